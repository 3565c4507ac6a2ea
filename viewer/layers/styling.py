"""The map's per-node attributes, encoded once for the renderer, and what a state turns them into: colour
look-up tables, the legend, and (for picking, edges and counts) the visible set. numpy only, no GL.

Each categorical field (modality, task, licence, library, relation) is coded per node: its documented label
``0..L-1``, ``L`` for none, and ``L+1+j`` for a model shown by its predicted label ``j`` (`hubatlas predict`),
so switching predicted colours on or off changes a table, not the nodes. Creation day and downloads are kept
as values; continuous colour modes map them onto a ramp. Two codes share one float32 (``a * m + b`` below
2**24, exact), so a point costs 24 bytes: x, y and four packed floats."""

from __future__ import annotations

import numpy as np

from hubatlas.core.common.fields import BY_NAME, CONTINUOUS as CONTINUOUS_MODES, FILTERED
from hubatlas.core.common.filters import Filters, filter_mask
from hubatlas.viewer.layers.colors import (
    CATEGORICAL,
    MODALITY_COLORS,
    RAMP_BINS,
    RELATION_COLORS,
    ColorResult,
    categorical,
    continuous,
    missing_entry,
    predicted_labels,
    ramp_codes,
    with_predictions,
)

FILTER_FIELDS = FILTERED
EXACT = 1 << 24  # a float32 holds every integer below this exactly
PACKED = (("modality", "pipeline_tag"), ("license", "library_name"))  # a_codes.x and a_codes.y, split in c
CONTINUOUS = tuple(CONTINUOUS_MODES)
FIXED_PALETTES = {"modality": MODALITY_COLORS, "relation": RELATION_COLORS}
# where the point shader holds the value each colour mode colours by (after unpacking a_codes)
SHADER_VALUE = {
    "modality": "c.x",
    "pipeline_tag": "c.y",
    "license": "c.z",
    "library_name": "c.w",
    "relation": "rel",
    "created": "day",
    "downloads": "logdl",
}


class FieldCodes:
    """One categorical field's codes per node, its static legend, and its predicted values once attached."""

    def __init__(self, snap, name: str):
        self.name = name
        codes, labels = snap.codes(name)
        col = snap.nodes.column(name).combine_chunks()
        if col.null_count:
            codes = np.where(np.asarray(col.is_null()), -1, codes)
        self.labels = labels
        self.L = len(labels)
        self.doc = np.where(codes >= 0, codes, self.L).astype(np.int32)  # documented code, L = none
        counts = np.bincount(self.doc, minlength=self.L + 1)
        fixed = FIXED_PALETTES.get(BY_NAME[name].palette)  # the fields table says which have fixed colours
        self.base = categorical(counts[: self.L], labels, int(counts[self.L]), fixed)
        self.codes = self.doc
        self.pred_labels: list = []
        self.pred_counts = np.zeros(0, np.int64)
        self.target_doc = self.L  # the documented code of every model shown by a prediction

    @property
    def size(self) -> int:
        return self.L + 1 + len(self.pred_labels)

    def doc_codes(self) -> np.ndarray:
        """The documented code of each node, -1 where it has none."""
        return np.where(self.doc < self.L, self.doc, -1).astype(np.int32)

    def attach(self, predicted: tuple[np.ndarray, list] | None) -> None:
        """Code the models without a documented value that have a predicted one as ``L+1+j``."""
        self.codes, self.pred_labels, self.pred_counts = self.doc, [], np.zeros(0, np.int64)
        if predicted is None:
            return
        pcodes, plabels = predicted
        classes = self.base.lut_class[self.doc]
        miss = missing_entry(self.base.legend)
        target = pcodes >= 0
        if miss is not None:
            target &= classes == miss.key
        if not target.any():
            return
        # the recoloured models share one documented class (the missing one), hence one look when not shown
        found = np.bincount(classes[target] - classes.min())
        target &= classes == found.argmax() + classes.min()
        self.target_doc = int(self.doc[np.flatnonzero(target)[0]])
        self.codes = self.doc.copy()
        self.codes[target] = self.L + 1 + pcodes[target]
        self.pred_labels = list(plabels)
        self.pred_counts = np.bincount(pcodes[target], minlength=len(plabels))

    def colors(self, show_predicted: bool, background) -> ColorResult:
        doc_size = self.L + 1
        if self.pred_labels and show_predicted:
            target = int(self.base.lut_class[self.target_doc])
            r = with_predictions(
                self.base, doc_size, self.pred_labels, self.pred_counts, background, target_key=target
            )
        else:
            k = len(self.pred_labels)  # predicted codes look like their documented value
            rgba = np.concatenate(
                [self.base.lut_rgba, np.repeat(self.base.lut_rgba[[self.target_doc]], k, 0)]
            )
            cls = np.concatenate([self.base.lut_class, np.repeat(self.base.lut_class[[self.target_doc]], k)])
            r = ColorResult(lut_rgba=rgba, lut_class=cls, legend=list(self.base.legend))
        r.node_codes = lambda: self.codes
        return r


def _date_text(day: float) -> str:
    return str(np.datetime64("1970-01-01") + np.timedelta64(int(day), "D"))


def _downloads_text(log_value: float) -> str:
    return f"{10**log_value - 1:,.0f}"


class AtlasStyle:
    """Everything the renderer needs per node (built once per snapshot) and per state (small tables)."""

    def __init__(self, snap):
        self.n = len(snap)
        self.fields = {f: FieldCodes(snap, f) for f in CATEGORICAL}
        self.day = snap.column("created_day").astype(np.int64) if self.n else np.zeros(0, np.int64)
        self.downloads = snap.column("downloads").astype(np.float64) if self.n else np.zeros(0)
        self._predictions = None
        self._colors: dict = {}
        self._ranges: dict[str, tuple[float, float]] = {}

    def range_of(self, mode: str) -> tuple[float, float]:
        """A continuous mode's value at the ramp's ends (1st and 99th percentiles; computed when first asked)."""
        if mode not in self._ranges:
            self._ranges[mode] = self._range(self.value(mode))
        return self._ranges[mode]

    @staticmethod
    def _range(v: np.ndarray) -> tuple[float, float]:
        ok = v[np.isfinite(v)]
        if not len(ok):
            return (0.0, 0.0)
        lo, hi = np.percentile(ok, [1, 99])
        return (float(lo), float(hi))

    def log_downloads(self) -> np.ndarray:
        return np.where(self.downloads >= 0, np.log10(np.maximum(self.downloads, 0) + 1), np.nan)

    # -- per node, uploaded once ---------------------------------------------------------------------------------
    def attach_predictions(self, table) -> bool:
        """Code predicted values (a table from `hubatlas predict`, or None); True when the codes changed."""
        if table is self._predictions:
            return False
        self._predictions = table
        for name, f in self.fields.items():
            f.attach(predicted_labels(table, name, self.n))
        self._colors.clear()
        return True

    def multipliers(self) -> tuple[float, float, float]:
        """The range of the second code of each packed pair (the relation shares with the creation day)."""
        return (float(self.fields["pipeline_tag"].size), float(self.fields["library_name"].size), 65536.0)

    def packed(self, nodes: np.ndarray) -> np.ndarray:
        """(len(nodes), 4) float32: modality·task, licence·library, relation·(day+1), downloads (-1: unknown)."""
        out = np.empty((len(nodes), 4), np.float32)
        for k, (a, b) in enumerate(PACKED):
            fa, fb = self.fields[a], self.fields[b]
            if fa.size * fb.size >= EXACT:
                raise ValueError(f"too many distinct {a} × {b} values to pack ({fa.size} × {fb.size})")
            out[:, k] = fa.codes[nodes].astype(np.float64) * fb.size + fb.codes[nodes]
        day = np.clip(self.day[nodes] + 1, 0, 65535)  # 0: no date
        if self.fields["relation"].size * 65536 >= EXACT:
            raise ValueError("too many relation values to pack")
        out[:, 2] = self.fields["relation"].codes[nodes].astype(np.float64) * 65536 + day
        out[:, 3] = np.where(self.downloads[nodes] >= 0, self.downloads[nodes], -1)
        return out

    # -- per state: small tables -----------------------------------------------------------------------------------
    def colors(self, mode: str, show_predicted: bool, background) -> ColorResult:
        key = (mode, show_predicted and self._predictions is not None, tuple(background))
        if key not in self._colors:
            self._colors[key] = self._make_colors(mode, key[1], background)
        return self._colors[key]

    def _make_colors(self, mode: str, show_predicted: bool, background) -> ColorResult:
        if mode in self.fields:
            return self.fields[mode].colors(show_predicted, background)
        if mode not in CONTINUOUS:
            from hubatlas.viewer.layers.colors import MODES

            raise ValueError(f"unknown colour mode {mode!r}; choose one of {', '.join(MODES)}")
        lo, hi = self.range_of(mode)
        values = self.value(mode)
        known = int(np.isfinite(values).sum())
        fmt = _date_text if mode == "created" else _downloads_text  # a log scale: the ends in downloads
        labels = ("", "")
        if (
            known
        ):  # the ramp spans the 1st to 99th percentiles: the legend says where it clips, and the extremes
            vmin, vmax = float(np.nanmin(values)), float(np.nanmax(values))
            labels = (
                f"≤ {fmt(lo)} (min {fmt(vmin)})" if lo > vmin else fmt(lo),
                f"≥ {fmt(hi)} (max {fmt(vmax)})" if hi < vmax else fmt(hi),
            )
        r = continuous(known, self.n - known, *labels)
        r.node_codes = lambda: ramp_codes(values, lo, hi)
        return r

    def value(self, mode: str) -> np.ndarray:
        """The continuous value a mode colours by (NaN: unknown), as the shader computes it."""
        return np.where(self.day >= 0, self.day, np.nan) if mode == "created" else self.log_downloads()

    def filter_mask(self, f: Filters, nodes: np.ndarray | None = None) -> np.ndarray | None:
        """The filters as a boolean mask over all nodes, or over ``nodes`` (None: nothing filtered); the
        shader applies the same rules."""
        doc = {name: self.fields[name].doc for name, codes in f.values.items() if codes is not None}
        return filter_mask(f, doc, self.day, self.downloads, nodes)


__all__ = ["FILTER_FIELDS", "RAMP_BINS", "AtlasStyle", "FieldCodes", "Filters"]
