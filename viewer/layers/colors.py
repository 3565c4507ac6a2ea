"""Colour policy: palettes, colour modes and their legends, as lookup tables over codes (a code per label, or
per ramp bin), so a colour change is a small table, never a per-node array. Pure numpy (no GL); per-node codes
come from layers.styling."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from hubatlas.core.common import fields as _fields

# Sixteen categorical colours, one per class the legend shows individually (TOP): Okabe-Ito's seven, then
# nine more chosen greedily to be as far as possible (CIE L*a*b*) from those, from each other, from the greys
# of "other" and "(none)" and from both themes' backgrounds, within a readable lightness. Any two differ by
# ΔE76 > 26 (tests/test_palette.py checks it).
PALETTE = [
    (230, 159, 0),
    (86, 180, 233),
    (0, 158, 115),
    (240, 228, 66),
    (0, 114, 178),
    (213, 94, 0),
    (204, 121, 167),
    (176, 0, 240),
    (0, 224, 0),
    (0, 96, 240),
    (224, 0, 80),
    (240, 0, 176),
    (112, 112, 16),
    (240, 160, 128),
    (32, 144, 0),
    (176, 208, 128),
]
OTHER = (128, 128, 128)
MISSING = (90, 90, 90)
MODALITY_COLORS = {
    "Text": (86, 180, 233),
    "Image": (230, 159, 0),
    "Video": (204, 121, 167),
    "Audio": (0, 158, 115),
    "Multimodal": (240, 228, 66),
    "Tabular": (213, 94, 0),
    "Reinforcement learning": (148, 103, 189),
    "Other": (140, 140, 140),
    "Unknown": (90, 90, 90),
}
# lineage relations (points coloured by relation, and edges) in colours no modality uses: an adapter edge is
# not "Image" orange
RELATION_COLORS = {
    "finetune": (176, 0, 240),
    "adapter": (240, 160, 128),
    "quantized": (0, 224, 0),
    "merge": (224, 0, 80),
    "unknown": (200, 200, 200),
    "none": (90, 90, 90),
    "cross-family": (0, 255, 255),  # a lineage edge between two families (drawn, never a colour-by class)
}


def relation_rgba(name: str, alpha: float) -> tuple[float, float, float, float]:
    """The colour of a lineage relation as GL floats (for edge overlays)."""
    r, g, b = (c / 255 for c in RELATION_COLORS.get(name, (200, 200, 200)))
    return (r, g, b, alpha)


MODES = _fields.MODES  # the one table (core.common.fields): re-exported for the viewer
CATEGORICAL = _fields.CATEGORICAL
TOP = 16  # categories shown individually; the rest are "other"


@dataclass
class LegendEntry:
    label: str
    color: tuple[int, int, int]
    count: int
    key: int  # legend class id (``ColorResult.lut_class`` values); -2 for the predicted-values note
    predicted: int = 0  # of ``count``, the models drawn in this class by a predicted value


RAMP_BINS = 256  # continuous modes: codes 0..255 are ramp bins, 256 is "unknown"


@dataclass
class ColorResult:
    """A colour mode's look-up tables: ``lut_rgba[code]`` and ``lut_class[code]`` (legend key) for every code of
    the mode's field, and its legend. Per-node colours and classes (``rgba``, ``classes``) are derived on demand
    from the per-node codes; the renderer uploads only the tables."""

    lut_rgba: np.ndarray  # (K, 4) uint8
    lut_class: np.ndarray  # (K,) int16
    legend: list[LegendEntry] = field(default_factory=list)
    continuous: tuple[str, str] | None = None  # (low label, high label) for continuous modes
    ramp: np.ndarray | None = None  # (256, 3) uint8 colour ramp for continuous modes
    node_codes: Callable[[], np.ndarray] | None = None  # () -> (n,) codes (lazy: not needed to draw)

    @cached_property
    def codes(self) -> np.ndarray:
        if self.node_codes is None:
            raise ValueError("these colours have no per-node codes")
        return self.node_codes()

    @cached_property
    def rgba(self) -> np.ndarray:
        return self.lut_rgba[self.codes]

    @cached_property
    def classes(self) -> np.ndarray:
        return self.lut_class[self.codes]


def viridis_like(t: np.ndarray) -> np.ndarray:
    """A perceptually ordered ramp (dark blue -> green -> yellow) without matplotlib."""
    stops = np.array([[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]], float)
    t = np.clip(t, 0, 1) * (len(stops) - 1)
    i = np.minimum(t.astype(int), len(stops) - 2)
    f = (t - i)[:, None]
    return (stops[i] * (1 - f) + stops[i + 1] * f).astype(np.uint8)


def categorical(
    counts: np.ndarray, labels: list, missing: int, fixed: dict | None = None, alpha: int = 200
) -> ColorResult:
    """Colour the ``TOP`` most frequent labels; the rest share 'other'; missing labels their own grey.
    ``counts[i]``: models with label ``i``; ``missing``: models without one. Codes are label indices, and
    ``len(labels)`` for a missing label."""
    counts = np.asarray(counts, dtype=np.int64)
    order = [i for i in np.argsort(-counts, kind="stable") if counts[i] > 0 and labels[i] is not None]
    shown = (
        order[:TOP]
        if not fixed
        else [i for i in order if labels[i] in fixed]
        + [i for i in order if labels[i] not in fixed][: max(0, TOP - len(fixed))]
    )
    lut_class = np.full(len(labels) + 1, -1, dtype=np.int16)
    legend: list[LegendEntry] = []
    colors = []
    for k, i in enumerate(shown):
        col = (fixed or {}).get(labels[i]) or PALETTE[k % len(PALETTE)]
        lut_class[i] = len(legend)
        legend.append(LegendEntry(str(labels[i]), tuple(col), int(counts[i]), len(legend)))
        colors.append(col)
    none_labels = [i for i, lab in enumerate(labels) if lab is None]
    other_n = int(counts.sum() - sum(e.count for e in legend) - counts[none_labels].sum())
    other_key = len(legend)
    grouped = sum(1 for i in order[len(shown) :] if i not in shown)
    # the leftover group names how many values it holds, so a real label "other" is never shown twice
    legend.append(
        LegendEntry(f"other ({grouped:,} values)" if grouped else "other", OTHER, other_n, other_key)
    )
    colors.append(OTHER)
    missing_n = int(missing + counts[none_labels].sum())
    missing_key = len(legend)
    legend.append(LegendEntry("(none)", MISSING, missing_n, missing_key))
    colors.append(MISSING)
    lut_class[lut_class < 0] = other_key
    lut_class[none_labels] = missing_key
    lut_class[-1] = missing_key
    palette = np.array([[*list(c), alpha] for c in colors], dtype=np.uint8)
    return ColorResult(
        lut_rgba=palette[lut_class], lut_class=lut_class, legend=[e for e in legend if e.count > 0]
    )


def continuous(known: int, unknown: int, low: str, high: str, alpha: int = 200) -> ColorResult:
    """A ramp of ``RAMP_BINS`` codes plus one for unknown values; legend classes 0 (known) and 1 (unknown)."""
    ramp = viridis_like(np.linspace(0, 1, RAMP_BINS))
    lut = np.empty((RAMP_BINS + 1, 4), np.uint8)
    lut[:RAMP_BINS, :3], lut[RAMP_BINS, :3] = ramp, MISSING
    lut[:, 3] = alpha
    cls = np.zeros(RAMP_BINS + 1, np.int16)
    cls[RAMP_BINS] = 1
    return ColorResult(
        lut_rgba=lut,
        lut_class=cls,
        legend=[
            LegendEntry("known", (200, 200, 200), int(known), 0),
            LegendEntry("(unknown)", MISSING, int(unknown), 1),
        ],
        continuous=(low, high),
        ramp=ramp,
    )


def ramp_codes(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Ramp bin of each value (``RAMP_BINS`` for NaN): the same arithmetic as the point shader."""
    v = np.asarray(values, dtype=np.float64)
    t = np.clip((v - lo) / (hi - lo), 0, 1) if hi > lo else np.zeros(len(v))
    out = np.floor(t * (RAMP_BINS - 1) + 0.5)
    return np.where(np.isfinite(v), out, RAMP_BINS).astype(np.int32)


PREDICTABLE = tuple(f.name for f in _fields.FIELDS if f.predicted)


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


def missing_entry(legend: list[LegendEntry]) -> LegendEntry | None:
    """The legend entry whose models a prediction may recolour (no documented value), if any."""
    by_label = {e.label: e for e in legend}
    return by_label.get("(none)") or by_label.get("unknown") or by_label.get("none")


def with_predictions(
    result: ColorResult,
    doc_size: int,
    pred_labels: list,
    pred_counts: np.ndarray,
    background,
    paler: float = 0.55,
    target_key: int | None = None,
) -> ColorResult:
    """Extend a categorical result (codes ``0..doc_size-1``) with the codes ``doc_size + j`` of models shown by
    their predicted value ``j``: its legend colour mixed toward the background (visibly paler), in that legend
    entry's class so legend toggles include them. The legend counts what is drawn (issue 36): each class
    counts its predicted models too (``LegendEntry.predicted`` says how many), and the class the predicted
    models came from (``target_key``: no documented value) loses them, so a class nothing wears any more is
    not listed. A legend line counts every predicted model."""
    legend = [LegendEntry(e.label, e.color, e.count, e.key) for e in result.legend]  # the base stays as is
    by_label = {e.label: e for e in legend}
    other = next(
        (e for e in legend if e.color == OTHER), None
    )  # the leftover group (grey), whatever its label
    used = np.flatnonzero(pred_counts > 0)
    if other is None and any(pred_labels[j] not in by_label for j in used):
        # a predicted value outside the legend and no 'other' entry yet (it had no members)
        other = LegendEntry("other", OTHER, 0, max((x.key for x in legend), default=-1) + 1)
        legend.append(other)
    bg = np.array([c * 255 for c in background[:3]])
    k = len(pred_labels)
    rgba = np.zeros((doc_size + k, 4), np.uint8)
    cls = np.zeros(doc_size + k, np.int16)
    rgba[:doc_size], cls[:doc_size] = result.lut_rgba[:doc_size], result.lut_class[:doc_size]
    for j in range(k):
        e = by_label.get(pred_labels[j], other)
        if e is None:
            continue
        cls[doc_size + j] = e.key
        rgba[doc_size + j, :3] = (np.array(e.color) * (1 - paler) + bg * paler).astype(np.uint8)
        rgba[doc_size + j, 3] = result.lut_rgba[0, 3] if len(result.lut_rgba) else 200
        e.count += int(pred_counts[j])
        e.predicted += int(pred_counts[j])
    n = int(pred_counts.sum())
    for e in legend:
        if e.key == target_key:
            e.count -= n  # now drawn in their predicted classes
    legend = [e for e in legend if e.count > 0]
    if n:
        legend.append(LegendEntry(f"predicted values (paler): {n:,}", (128, 128, 128), n, -2))
    return ColorResult(
        lut_rgba=rgba,
        lut_class=cls,
        legend=legend,
        continuous=result.continuous,
        ramp=result.ramp,
        node_codes=result.node_codes,
    )
