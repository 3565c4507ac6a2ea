"""Which of the map's labels to draw in a view, and where: no Qt, no GL (the window, exports and tests use it).

The labels (computed with the layout, see ``hubatlas.core.layout.labels``) are kept sorted by priority once:
coarser first, then by how many models they name. For a view, a vectorised pass keeps those due at this zoom
inside the view; then labels are placed greedily in priority order on a coarse occupancy grid of the screen
(so no two drawn labels overlap, nor the areas to avoid, such as the legend). The cost depends on the number
of labels, never on the number of models: well under a millisecond for a few thousand labels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from hubatlas.viewer.layers import limits

KIND_RANK = {
    "family": 0,
    "publisher": 1,
    "word": 2,
    "library": 3,
    "task": 4,
    "topic": 5,
    "untagged": 6,
    "model": 7,
}  # priority at one zoom
SHOWN_SHARE = 0.5  # a label names something a view shows while at least this share of its models are shown
CHAR_W = 0.62  # average glyph width as a share of the font's pixel size (a little generous)
LINE_H = 1.35  # line height as a share of the font's pixel size
PAD = 3  # pixels kept free around each label
CELL = 4  # occupancy grid cell, pixels
SIZES = ((1.0, 17.0), (2.0, 14.0), (4.0, 12.5), (8.0, 11.5), (float("inf"), 11.0))  # min_zoom -> font px


def font_px(min_zoom: float) -> float:
    for z, px in SIZES:
        if min_zoom <= z:
            return px
    return SIZES[-1][1]


@dataclass(frozen=True)
class PlacedLabel:
    index: int  # row of the label table
    text: str
    x: float  # world position of the label's centre
    y: float
    px: float  # font size, pixels
    rect: tuple[int, int, int, int]  # screen box (x0, y0, x1, y1), pixels, y down
    tier: int  # 0: region at the overview, larger: finer


class LabelSet:
    """The labels of one layout, in priority order."""

    def __init__(self, table=None):
        self.members_flat = np.zeros(0, np.int64)
        self.members_start = np.zeros(1, np.int64)
        if table is None or table.num_rows == 0:
            self.n = 0
            self.text: list[str] = []
            self.x = self.y = self.min_zoom = np.zeros(0, np.float64)
            self.count = np.zeros(0, np.int64)
            self.kind: list[str] = []
            return
        mz = table.column("min_zoom").to_numpy().astype(np.float64)
        cnt = table.column("count").to_numpy().astype(np.int64)
        kinds_all = table.column("kind").to_pylist() if "kind" in table.column_names else [""] * len(mz)
        rank = np.array([KIND_RANK.get(k, len(KIND_RANK)) for k in kinds_all])
        order = np.lexsort((-cnt, rank, mz))  # coarser first; at one zoom families first, then by size
        self.n = len(order)
        self.text = [table.column("text")[int(i)].as_py() for i in order]
        self.x = table.column("x").to_numpy().astype(np.float64)[order]
        self.y = table.column("y").to_numpy().astype(np.float64)[order]
        self.min_zoom, self.count = mz[order], cnt[order]
        self.kind = [kinds_all[int(i)] for i in order]
        if "members" in table.column_names:
            lists = table.column("members").combine_chunks().take(pa.array(order))
            self.members_flat = lists.flatten().to_numpy(zero_copy_only=False).astype(np.int64)
            self.members_start = lists.offsets.to_numpy().astype(np.int64)
        self.tier = np.searchsorted(np.array([z for z, _ in SIZES]), self.min_zoom).astype(np.int64)
        self.px = np.array([font_px(z) for z in self.min_zoom])
        self.width = np.array([len(t) for t in self.text]) * self.px * CHAR_W

    def __len__(self) -> int:
        return self.n

    def mostly_shown(self, shown: np.ndarray) -> np.ndarray:
        """Per label, whether at least SHOWN_SHARE of the models it names (its kept sample) are in the boolean
        mask ``shown``: what it names exists in that view (a model label: its model is shown)."""
        sizes = np.diff(self.members_start)
        kept = np.bincount(
            np.repeat(np.arange(self.n), sizes), weights=shown[self.members_flat], minlength=self.n
        )
        return kept >= SHOWN_SHARE * np.maximum(sizes, 1)

    def choose(
        self,
        rect: tuple[float, float, float, float],
        size: tuple[int, int],
        zoom: float,
        avoid: Sequence[tuple[int, int, int, int]] = (),
        scale: float = 1.0,
        max_drawn: int | None = None,
        allowed: np.ndarray | None = None,
    ) -> list[PlacedLabel]:
        """Labels to draw for the world rectangle ``rect`` (x0, y0, x1, y1) shown on ``size`` pixels (w, h) at
        ``zoom`` (1 = the overview); ``avoid``: screen boxes to keep clear; ``scale``: font scale (exports)."""
        if not self.n:
            return []
        w, h = int(size[0]), int(size[1])
        zoom = max(zoom, 1.0)  # zoomed out past the overview: still the overview's names
        x0, y0, x1, y1 = rect
        sx, sy = w / max(x1 - x0, 1e-12), h / max(y1 - y0, 1e-12)
        due = np.flatnonzero(
            (True if allowed is None else allowed)
            & (self.min_zoom <= zoom * 1.0001)
            & (self.x >= x0)
            & (self.x <= x1)
            & (self.y >= y0)
            & (self.y <= y1)
        )[: limits.LABELS_TRIED]
        gw, gh = w // CELL + 2, h // CELL + 2
        occ = np.zeros((gh, gw), dtype=bool)
        for a in avoid:
            occ[max(a[1] // CELL, 0) : a[3] // CELL + 1, max(a[0] // CELL, 0) : a[2] // CELL + 1] = True
        out: list[PlacedLabel] = []
        px = self.px[due] * scale
        hw = self.width[due] * scale / 2 + PAD
        hh = px * LINE_H / 2 + PAD
        cx = (self.x[due] - x0) * sx
        cy = (y1 - self.y[due]) * sy
        bx0, by0 = (cx - hw).astype(np.int64), (cy - hh).astype(np.int64)
        bx1, by1 = (cx + hw).astype(np.int64) + 1, (cy + hh).astype(np.int64) + 1
        inside = np.flatnonzero((bx0 >= 0) & (by0 >= 0) & (bx1 <= w) & (by1 <= h))
        g0, g1, g2, g3 = bx0 // CELL, by0 // CELL, bx1 // CELL + 1, by1 // CELL + 1
        seen: set[str] = set()  # no text twice in one view
        for j in inside.tolist():
            i = int(due[j])
            cells = occ[g1[j] : g3[j], g0[j] : g2[j]]
            if cells.any() or self.text[i] in seen:
                continue
            cells[...] = True
            seen.add(self.text[i])
            out.append(
                PlacedLabel(
                    i,
                    self.text[i],
                    float(self.x[i]),
                    float(self.y[i]),
                    float(px[j]),
                    (int(bx0[j]) + PAD, int(by0[j]) + PAD, int(bx1[j]) - PAD, int(by1[j]) - PAD),
                    int(self.tier[i]),
                )
            )
            if len(out) >= (limits.LABELS_DRAWN if max_drawn is None else max_drawn):
                break
        return out


def overlapping(placed: list[PlacedLabel]) -> list[tuple[int, int]]:
    """Pairs of placed labels whose boxes intersect (for tests and checks; none are expected)."""
    bad = []
    for a in range(len(placed)):
        ra = placed[a].rect
        for b in range(a + 1, len(placed)):
            rb = placed[b].rect
            if ra[0] < rb[2] and rb[0] < ra[2] and ra[1] < rb[3] and rb[1] < ra[3]:
                bad.append((a, b))
    return bad
