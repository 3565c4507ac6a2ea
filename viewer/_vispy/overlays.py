"""The small visuals drawn over the points: every lineage edge in view (budgeted, coloured by relation,
inferred edges paler, edges between two families in their own colour) and a region's outline. The selected
model, its family and its lineage: ``family_overlay``."""

from __future__ import annotations

import numpy as np
from vispy import scene

from hubatlas.viewer.layers import limits
from hubatlas.viewer.layers.colors import relation_rgba


class EdgeOverlay:
    """The lineage edges in view: at most ``budget``, the most important first (the better-ranked endpoint
    in the density-weighted order)."""

    def __init__(
        self,
        parent,
        edges,
        relations: list[str],
        xy: np.ndarray,
        order: np.ndarray,
        budget: int | None = None,
    ):
        """``edges``: the model's ``Edges`` (arrays); ``relations``: the names of their relation codes."""
        self.edges, self.relations, self.xy, self.order = edges, relations, xy, order
        self._budget = budget
        self.visual = scene.visuals.Line(parent=parent, connect="segments", width=1.0)
        self.visual.visible = False
        self.visual.order = -1  # under the points
        self.drawn = 0
        self.in_view = 0  # edges in view before the budget: more than ``drawn`` when it capped them
        self.cross_drawn = 0  # of ``drawn``, edges between two families
        self._arrays: tuple | None = None

    @property
    def budget(self) -> int:
        """Edges drawn at most (``limits.EDGE_BUDGET`` unless given)."""
        return limits.EDGE_BUDGET if self._budget is None else self._budget

    @property
    def arrays(self) -> tuple:
        """(source, target, relation code, inferred, cross) of every edge, most important first (built once)."""
        if self._arrays is None:
            e = self.edges
            big = np.iinfo(np.int64).max
            full_rank = np.full(len(self.xy), big, dtype=np.int64)
            full_rank[self.order] = np.arange(len(self.order))
            keep = np.argsort(np.minimum(full_rank[e.source], full_rank[e.target]), kind="stable")
            self._arrays = (e.source[keep], e.target[keep], e.relation[keep], e.inferred[keep], e.cross[keep])
        return self._arrays

    def hide(self) -> None:
        self.visual.visible = False

    def update(self, visible: np.ndarray, rect: tuple[float, float, float, float]) -> None:
        """Draw the edges with both ends visible and one end in ``rect`` (x0, y0, x1, y1)."""
        if not len(self.edges):
            return self.hide()
        src, dst, rel, inferred, cross = self.arrays
        x0, y0, x1, y1 = rect
        a, b = self.xy[src], self.xy[dst]
        inside = (
            visible[src]
            & visible[dst]
            & (
                ((a[:, 0] >= x0) & (a[:, 0] <= x1) & (a[:, 1] >= y0) & (a[:, 1] <= y1))
                | ((b[:, 0] >= x0) & (b[:, 0] <= x1) & (b[:, 1] >= y0) & (b[:, 1] <= y1))
            )
        )
        idx = np.flatnonzero(inside)
        self.in_view = len(idx)
        idx = idx[: self.budget]
        if not len(idx):
            return self.hide()
        names = self.relations
        palette = np.array([relation_rgba(nm, 0.35) for nm in names] + [relation_rgba("", 0.35)], np.float32)
        codes = np.minimum(rel[idx].astype(np.int64), len(names))
        seg = np.empty((2 * len(idx), 2), np.float32)
        seg[0::2], seg[1::2] = a[idx], b[idx]
        col = palette[codes]
        inf = inferred[idx]
        col[inf, :3] = 0.35 * col[inf, :3] + 0.65  # inferred lineage: washed out toward white, fainter
        col[inf, 3] = 0.2
        between = cross[idx]
        col[between] = relation_rgba("cross-family", 0.5)
        self.cross_drawn = int(between.sum())
        self.visual.set_data(pos=seg, color=np.repeat(col, 2, axis=0))
        self.visual.visible = True
        self.drawn = len(idx)


class RegionOverlay:
    """A region selection's outline (box or lasso, also while it is drawn). Its models are shown by fading
    every other model in the points shader (``Points.set_selected``), not by markers of their own."""

    def __init__(self, parent):
        self.outline = scene.visuals.Line(parent=parent, width=1.5, antialias=False)
        self.outline.visible = False
        self.outline.order = 4  # over the points, under the labels

    def show_outline(self, pts: np.ndarray | None, color=(1.0, 0.85, 0.2, 0.95)) -> None:
        if pts is None or len(pts) < 2:
            self.outline.visible = False
            return
        closed = np.vstack([pts, pts[:1]]).astype(np.float32)
        self.outline.set_data(pos=closed, color=color)
        self.outline.visible = True
