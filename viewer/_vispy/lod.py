"""Level of detail and spatial lookup for millions of points (numpy only).

- ``priority_order``: a permutation where every prefix is a density-weighted sample (sparse regions keep
  their points, dense regions are thinned), so drawing the first K points of the uploaded buffer is the
  interaction sample and drawing all N is full detail: no re-upload when switching.
- ``GridIndex``: points bucketed in a uniform grid (CSR), for hover picking and for the set of points in a
  viewport, in time proportional to the points in the cells touched, not to N.
"""
from __future__ import annotations

import numpy as np


def priority_order(xy: np.ndarray, seed: int = 0, grid: int = 256) -> np.ndarray:
    """Permutation of all points; earlier = more important for a coarse view (density-weighted)."""
    n = len(xy)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    cell = _cells(xy, grid)
    counts = np.bincount(cell, minlength=grid * grid).astype(np.float64)
    rng = np.random.default_rng(seed)
    # sampling weight ~ 1/sqrt(density): sparse cells stay visible; key = u^(1/w) (weighted reservoir order)
    w = 1.0 / np.sqrt(counts[cell])
    key = np.log(rng.random(n)) / w
    return np.argsort(-key, kind="stable")


def _cells(xy: np.ndarray, grid: int) -> np.ndarray:
    g = np.clip(((xy + 1.0) * 0.5 * grid).astype(np.int64), 0, grid - 1)
    return g[:, 1] * grid + g[:, 0]


class GridIndex:
    """Uniform grid over [-1, 1]^2 holding point indices (into the array it was built from)."""

    def __init__(self, xy: np.ndarray, grid: int = 512):
        self.grid = grid
        self.xy = np.asarray(xy, dtype=np.float32)
        ok = np.isfinite(self.xy).all(1)
        idx = np.flatnonzero(ok)
        cell = _cells(self.xy[idx], grid)
        order = np.argsort(cell, kind="stable")
        self.items = idx[order]
        self.starts = np.searchsorted(cell[order], np.arange(grid * grid + 1))

    def _range(self, lo: float, hi: float) -> tuple[int, int]:
        a = int(np.clip((lo + 1) * 0.5 * self.grid, 0, self.grid - 1))
        b = int(np.clip((hi + 1) * 0.5 * self.grid, 0, self.grid - 1))
        return a, b

    def cells(self, x0: float, y0: float, x1: float, y1: float) -> tuple[int, int, int, int]:
        """The cell range (cx0, cx1, cy0, cy1) overlapping a rectangle."""
        return self._range(x0, x1) + self._range(y0, y1)

    def in_rect(self, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
        """Indices of points in the cells overlapping the rectangle (a superset; exact test left to GL)."""
        return self.in_cells(*self.cells(x0, y0, x1, y1))

    def in_cells(self, cx0: int, cx1: int, cy0: int, cy1: int) -> np.ndarray:
        parts = [self.items[self.starts[r * self.grid + cx0]: self.starts[r * self.grid + cx1 + 1]]
                 for r in range(cy0, cy1 + 1)]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def count_in_rect(self, x0: float, y0: float, x1: float, y1: float) -> int:
        cx0, cx1 = self._range(x0, x1)
        cy0, cy1 = self._range(y0, y1)
        rows = np.arange(cy0, cy1 + 1) * self.grid
        return int((self.starts[rows + cx1 + 1] - self.starts[rows + cx0]).sum())

    def nearest(self, x: float, y: float, radius: float, mask: np.ndarray | None = None) -> int | None:
        """The nearest point within ``radius`` (optionally among ``mask``-true points), or None."""
        cand = self.in_rect(x - radius, y - radius, x + radius, y + radius)
        if mask is not None and len(cand):
            cand = cand[mask[cand]]
        if not len(cand):
            return None
        d2 = ((self.xy[cand] - np.array([x, y], dtype=np.float32)) ** 2).sum(1)
        j = int(np.argmin(d2))
        return int(cand[j]) if d2[j] <= radius * radius else None
