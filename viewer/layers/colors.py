"""Colour modes: snapshot columns -> per-node RGBA (uint8) and legend entries. Pure numpy (no GL)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# Okabe-Ito + Tableau-like qualitative palette, readable on dark and light backgrounds
PALETTE = [
    (230, 159, 0), (86, 180, 233), (0, 158, 115), (240, 228, 66), (0, 114, 178), (213, 94, 0), (204, 121, 167),
    (148, 103, 189), (140, 86, 75), (227, 119, 194), (188, 189, 34), (23, 190, 207), (255, 127, 14),
    (44, 160, 44), (214, 39, 40), (31, 119, 180), (174, 199, 232), (255, 187, 120), (152, 223, 138),
    (255, 152, 150),
]
OTHER = (128, 128, 128)
MISSING = (90, 90, 90)
MODALITY_COLORS = {
    "Text": (86, 180, 233), "Image": (230, 159, 0), "Video": (204, 121, 167), "Audio": (0, 158, 115),
    "Multimodal": (240, 228, 66), "Tabular": (213, 94, 0), "Reinforcement learning": (148, 103, 189),
    "Other": (140, 140, 140), "Unknown": (90, 90, 90),
}
RELATION_COLORS = {"finetune": (86, 180, 233), "adapter": (230, 159, 0), "quantized": (0, 158, 115),
                   "merge": (204, 121, 167), "unknown": (200, 200, 200), "none": (90, 90, 90)}

def relation_rgba(name: str, alpha: float) -> tuple[float, float, float, float]:
    """The colour of a lineage relation as GL floats (for edge overlays)."""
    return tuple(c / 255 for c in RELATION_COLORS.get(name, (200, 200, 200))) + (alpha,)


MODES = {
    "modality": "Modality", "pipeline_tag": "Task", "license": "Licence", "library_name": "Library",
    "relation": "Relation to parent", "created": "Creation date", "downloads": "Downloads (log)",
}
CATEGORICAL = ("modality", "pipeline_tag", "license", "library_name", "relation")
TOP = 16  # categories shown individually; the rest are "other"


@dataclass
class LegendEntry:
    label: str
    color: tuple[int, int, int]
    count: int
    key: int  # class id in ``ColorResult.classes``


@dataclass
class ColorResult:
    rgba: np.ndarray                  # (n, 4) uint8
    classes: np.ndarray               # (n,) int16 class per node (legend key); -1 for continuous modes
    legend: list[LegendEntry] = field(default_factory=list)
    continuous: tuple[str, str] | None = None  # (low label, high label) for continuous modes
    ramp: np.ndarray | None = None    # (256, 3) uint8 colour ramp for continuous modes


def viridis_like(t: np.ndarray) -> np.ndarray:
    """A perceptually ordered ramp (dark blue -> green -> yellow) without matplotlib."""
    stops = np.array([[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]], float)
    t = np.clip(t, 0, 1) * (len(stops) - 1)
    i = np.minimum(t.astype(int), len(stops) - 2)
    f = (t - i)[:, None]
    return (stops[i] * (1 - f) + stops[i + 1] * f).astype(np.uint8)


def categorical(codes: np.ndarray, labels: list, fixed: dict | None = None, alpha: int = 200) -> ColorResult:
    """Colour the ``TOP`` most frequent labels; the rest share 'other'; missing labels their own grey."""
    codes = np.asarray(codes, dtype=np.int64)
    valid = codes >= 0
    counts = np.bincount(codes[valid], minlength=len(labels))
    order = [i for i in np.argsort(-counts, kind="stable") if counts[i] > 0 and labels[i] is not None]
    shown = order[:TOP] if not fixed else [i for i in order if labels[i] in fixed] + \
        [i for i in order if labels[i] not in fixed][: max(0, TOP - len(fixed))]
    lut_class = np.full(len(labels) + 1, -1, dtype=np.int16)
    legend: list[LegendEntry] = []
    colors = []
    for k, i in enumerate(shown):
        col = (fixed or {}).get(labels[i]) or PALETTE[k % len(PALETTE)]
        lut_class[i] = len(legend)
        legend.append(LegendEntry(str(labels[i]), tuple(col), int(counts[i]), len(legend)))
        colors.append(col)
    other_n = int(counts.sum() - sum(e.count for e in legend) - sum(counts[i] for i, lab in enumerate(labels)
                                                                    if lab is None))
    other_key = len(legend)
    legend.append(LegendEntry("other", OTHER, other_n, other_key))
    colors.append(OTHER)
    missing_n = int((~valid).sum() + sum(counts[i] for i, lab in enumerate(labels) if lab is None))
    missing_key = len(legend)
    legend.append(LegendEntry("(none)", MISSING, missing_n, missing_key))
    colors.append(MISSING)
    lut_class[lut_class < 0] = other_key
    for i, lab in enumerate(labels):
        if lab is None:
            lut_class[i] = missing_key
    lut_class[-1] = missing_key
    classes = lut_class[np.where(valid, codes, len(labels))]
    palette = np.array([list(c) + [alpha] for c in colors], dtype=np.uint8)
    legend = [e for e in legend if e.count > 0]
    return ColorResult(rgba=palette[classes], classes=classes, legend=legend)


def continuous(values: np.ndarray, low: str, high: str, alpha: int = 200) -> ColorResult:
    v = np.asarray(values, dtype=np.float64)
    ok = np.isfinite(v)
    n = len(v)
    rgba = np.empty((n, 4), dtype=np.uint8)
    rgba[:] = list(MISSING) + [alpha]
    if ok.any():
        lo, hi = np.percentile(v[ok], [1, 99])
        t = (v[ok] - lo) / (hi - lo) if hi > lo else np.zeros(int(ok.sum()))
        rgba[ok, :3] = viridis_like(t)
    ramp = viridis_like(np.linspace(0, 1, 256))
    return ColorResult(rgba=rgba, classes=np.where(ok, 0, 1).astype(np.int16),
                       legend=[LegendEntry("known", (200, 200, 200), int(ok.sum()), 0),
                               LegendEntry("(unknown)", MISSING, int((~ok).sum()), 1)],
                       continuous=(low, high), ramp=ramp)


def color_by(snap, mode: str) -> ColorResult:
    """Colours for a snapshot (``hubatlas.core.snapshot.Snapshot``) in one of ``MODES``."""
    if mode in CATEGORICAL:
        codes, labels = snap.codes(mode)
        col = snap.nodes.column(mode).combine_chunks()
        if col.null_count:
            codes = np.where(np.asarray(col.is_null()), -1, codes)
        fixed = MODALITY_COLORS if mode == "modality" else RELATION_COLORS if mode == "relation" else None
        return categorical(codes, labels, fixed)
    if mode == "created":
        day = snap.column("created_day").astype(np.float64)
        day[day < 0] = np.nan
        ok = day[np.isfinite(day)]
        fmt = (lambda d: str(np.datetime64("1970-01-01") + np.timedelta64(int(d), "D")))
        lo, hi = (fmt(np.percentile(ok, 1)), fmt(np.percentile(ok, 99))) if len(ok) else ("", "")
        return continuous(day, lo, hi)
    if mode == "downloads":
        dl = snap.column("downloads").astype(np.float64)
        dl[dl < 0] = np.nan
        v = np.log10(dl + 1)
        ok = v[np.isfinite(v)]
        lo, hi = (f"{10 ** np.percentile(ok, 1) - 1:,.0f}", f"{10 ** np.percentile(ok, 99) - 1:,.0f}") if len(ok) \
            else ("", "")
        return continuous(v, lo, hi)
    raise ValueError(f"unknown colour mode {mode!r}; choose one of {', '.join(MODES)}")


PREDICTABLE = ("modality", "pipeline_tag", "license", "library_name", "relation")


def predicted_labels(predictions, mode: str, n: int) -> tuple[np.ndarray, list] | None:
    """(int32 code per node, -1 where nothing is predicted; labels) of the predicted values for a colour mode,
    or None when the predictions (a pyarrow Table from ``hubatlas predict``) do not cover this mode."""
    if predictions is None or mode not in PREDICTABLE or predictions.num_rows != n:
        return None
    source = "pipeline_tag" if mode == "modality" else mode
    if source not in predictions.column_names:
        return None
    col = predictions.column(source).combine_chunks()
    codes = col.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int32)
    labels = col.dictionary.to_pylist()
    if mode == "modality":  # map the few task labels, not the nodes
        from hubatlas.core.common.taxonomy import modality_of

        mods = [modality_of(x) for x in labels]
        names = sorted(set(mods))
        lut = np.array([names.index(m) for m in mods] + [-1], np.int32)
        codes, labels = lut[codes], names
    return codes, labels


def with_predictions(result: ColorResult, predicted: tuple[np.ndarray, list], background,
                     paler: float = 0.55) -> ColorResult:
    """Colour nodes without a documented value by their predicted value's legend colour, mixed toward the
    background (visibly paler) and kept in that legend entry's class so legend toggles include them. A
    legend line counts them."""
    codes, labels = predicted
    by_label = {e.label: e for e in result.legend}
    missing = by_label.get("(none)") or by_label.get("unknown") or by_label.get("none")
    other = by_label.get("other")
    target = codes >= 0
    if missing is not None:
        target &= result.classes == missing.key
    used = np.unique(codes[target])
    if other is None and any(labels[j] not in by_label for j in used):
        # a predicted value outside the legend and no 'other' entry yet (it had no members)
        other = LegendEntry("other", OTHER, 0, max((x.key for x in result.legend), default=-1) + 1)
    bg = np.array([c * 255 for c in background[:3]])
    key_lut = np.zeros(len(labels), np.int16)
    color_lut = np.zeros((len(labels), 3), np.uint8)
    for j in used.tolist():
        e = by_label.get(labels[j], other)
        key_lut[j] = e.key
        color_lut[j] = (np.array(e.color) * (1 - paler) + bg * paler).astype(np.uint8)
    rgba, classes = result.rgba.copy(), result.classes.copy()
    idx = np.flatnonzero(target)
    rgba[idx, :3] = color_lut[codes[idx]]
    classes[idx] = key_lut[codes[idx]]
    legend = list(result.legend)
    if other is not None and other not in legend:
        legend.append(other)
    if len(idx):
        legend.append(LegendEntry(f"predicted values (paler): {len(idx):,}", (128, 128, 128), len(idx), -2))
    return ColorResult(rgba=rgba, classes=classes, legend=legend, continuous=result.continuous, ramp=result.ramp)
