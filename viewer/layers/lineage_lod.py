"""What of a selected model's lineage to draw for a view (issue 36: "lineage that reveals"), Qt- and GL-free.

A big family (stabilityai/stable-diffusion-xl-base-1.0: 4,040 edges in the 2024-07 snapshot; a synthetic
giant: 20,000) drawn edge by edge buries the map and stalls a software renderer. Here each edge has a
relation — documented (``merge``), typed by inference (``finetune (inferred)``: the Hub gave no type, the
layout's inference did), or unknown — and the edges are drawn by level of detail:

- children of one parent, of one relation, that fall in one grid cell of about ``CELL_PX`` screen pixels are
  one segment to their mean position (a bundle: more opaque the more it holds). Zoomed out, a fan of 1,000
  children becomes a few dozen bundles; zoomed in, every cell holds one child and every edge is its own;
- only edges with an end in (a margin around) the view are drawn, at most ``limits.LINEAGE_DRAWN`` segments,
  the fullest bundles first; the opacity falls as more are drawn, so the family's shape reads at every zoom;
- the grid is anchored to the map (not to the view) and its cell is a power of two of map units, so panning
  and exported tiles group the same children the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hubatlas.viewer.layers import limits

CELL_PX = 14.0  # a bundle gathers the children in a cell about this many screen pixels wide
INFERRED = " (inferred)"  # suffix of a relation typed by inference (no type documented on the Hub)
MARGIN = 0.5  # of the view's width, around it, whose edges are drawn too (a short pan needs no new layout)
DOCUMENTED_ALPHA, INFERRED_ALPHA = 0.9, 0.6
FULL_ALPHA_SEGMENTS = 300  # more segments than this fade (by the square root of the excess)


def relation_rgb(name: str) -> tuple[int, int, int]:
    """The colour of a lineage relation: its documented colour; typed by inference, the same hue paler."""
    from hubatlas.viewer.layers.colors import RELATION_COLORS

    base = name[: -len(INFERRED)] if name.endswith(INFERRED) else name
    r, g, b = RELATION_COLORS.get(base, RELATION_COLORS["unknown"])
    if name.endswith(INFERRED):
        return (int(r * 0.55 + 255 * 0.45), int(g * 0.55 + 255 * 0.45), int(b * 0.55 + 255 * 0.45))
    return (r, g, b)


@dataclass
class Drawn:
    """Segments to draw: ``pos`` (2k, 2) float32 pairs, ``color`` (2k, 4) float32; ``edges``: how many lineage
    edges they stand for; ``bundled``: segments that stand for more than one edge."""

    pos: np.ndarray
    color: np.ndarray
    edges: int
    bundled: int

    @property
    def segments(self) -> int:
        return len(self.pos) // 2


EMPTY = Drawn(np.zeros((0, 2), np.float32), np.zeros((0, 4), np.float32), 0, 0)


class LineageLOD:
    """The lineage edges (parent, child, relation name) of a selection over map positions ``xy``."""

    def __init__(self, xy: np.ndarray, placed: np.ndarray, lineage: list[tuple[int, int, str]]):
        edges = [(a, b, r) for a, b, r in lineage if placed[a] and placed[b]]
        self.names = sorted({r for _, _, r in edges})
        code_of = {r: i for i, r in enumerate(self.names)}
        self.src = np.array([a for a, _, _ in edges], np.int64)
        self.dst = np.array([b for _, b, _ in edges], np.int64)
        self.code = np.array([code_of[r] for _, _, r in edges], np.int64)
        self.a = xy[self.src].astype(np.float64) if len(edges) else np.zeros((0, 2))
        self.b = xy[self.dst].astype(np.float64) if len(edges) else np.zeros((0, 2))
        rgb = np.array([relation_rgb(r) for r in self.names], np.float32).reshape(-1, 3) / 255
        alpha = np.array([INFERRED_ALPHA if r.endswith(INFERRED) else DOCUMENTED_ALPHA for r in self.names])
        self.rgba = np.concatenate([rgb, alpha.reshape(-1, 1).astype(np.float32)], 1)

    def __len__(self) -> int:
        return len(self.src)

    @staticmethod
    def cell_for(px_world: float) -> float:
        """The grid's cell: about CELL_PX pixels, rounded to a power of two of map units."""
        return float(2.0 ** np.round(np.log2(max(CELL_PX * px_world, 1e-12))))

    def draw(
        self, rect: tuple[float, float, float, float], px_world: float, budget: int | None = None
    ) -> Drawn:
        """The segments for the view ``rect`` (x0, y0, x1, y1) at ``px_world`` map units a pixel."""
        if not len(self):
            return EMPTY
        budget = limits.LINEAGE_DRAWN if budget is None else budget
        x0, y0, x1, y1 = rect
        mx, my = MARGIN * (x1 - x0), MARGIN * (y1 - y0)
        x0, x1, y0, y1 = x0 - mx, x1 + mx, y0 - my, y1 + my
        a, b = self.a, self.b
        near = ((a[:, 0] >= x0) & (a[:, 0] <= x1) & (a[:, 1] >= y0) & (a[:, 1] <= y1)) | (
            (b[:, 0] >= x0) & (b[:, 0] <= x1) & (b[:, 1] >= y0) & (b[:, 1] <= y1)
        )
        idx = np.flatnonzero(near)
        if not len(idx):
            return EMPTY
        cell = self.cell_for(px_world)
        kx = np.floor(b[idx, 0] / cell).astype(np.int64)
        ky = np.floor(b[idx, 1] / cell).astype(np.int64)
        src, code = self.src[idx], self.code[idx]
        order = np.lexsort((ky, kx, code, src))
        keys = np.stack([src[order], code[order], kx[order], ky[order]], 1)
        start = np.flatnonzero(np.r_[True, (keys[1:] != keys[:-1]).any(1)])
        count = np.diff(np.r_[start, len(order)])
        group = np.repeat(np.arange(len(start)), count)
        members = idx[order]
        mean = np.stack(
            [np.bincount(group, b[members, 0]) / count, np.bincount(group, b[members, 1]) / count], 1
        )
        first = members[start]
        keep = np.argsort(-count, kind="stable")[:budget]  # the fullest bundles first
        n = len(keep)
        pos = np.empty((2 * n, 2), np.float32)
        pos[0::2], pos[1::2] = a[first[keep]], mean[keep]
        rgba = self.rgba[self.code[first[keep]]].copy()
        fullness = 0.45 + 0.55 * np.minimum(1.0, np.log2(1 + count[keep]) / 4)  # a bundle of 15+: opaque
        fade = min(1.0, float(np.sqrt(FULL_ALPHA_SEGMENTS / max(n, 1))))
        rgba[:, 3] *= (fullness * max(fade, 0.3)).astype(np.float32)
        return Drawn(pos, np.repeat(rgba, 2, axis=0), int(count[keep].sum()), int((count[keep] > 1).sum()))

    def counts(self) -> list[tuple[str, int]]:
        """(relation name, edges) of the whole lineage, most first: the legend's rows."""
        c = np.bincount(self.code, minlength=len(self.names))
        return [(self.names[i], int(c[i])) for i in np.argsort(-c, kind="stable") if c[i]]
