"""Level of detail and spatial lookup for millions of points (numpy only).

- ``priority_order``: a permutation where every prefix is a density-weighted sample (sparse regions keep
  their points, dense regions are thinned), so drawing the first K points of the uploaded buffer is the
  interaction sample and drawing all N is full detail: no re-upload when switching.
- ``GridIndex``: points bucketed in a uniform grid (CSR), for hover picking and for the set of points in a
  viewport, in time proportional to the points in the cells touched, not to N.
"""

from __future__ import annotations

import numpy as np

from hubatlas.viewer.layers import limits


def priority_order(xy: np.ndarray, seed: int = 0, grid: int = 256, chunk: int | None = None) -> np.ndarray:
    """Permutation of all points; earlier = more important for a coarse view (density-weighted). Within each
    ``chunk`` the points are sorted along a Morton (Z-order) curve: a chunk is as good a sample as before,
    and consecutive points land near each other on screen, which a GPU blends far faster than points spread
    at random (measured on an H200: 2M blended points 6.2 ms in random order, 3.7 ms in sorted 8K chunks).
    A prefix of whole chunks is still a density-weighted sample."""
    n = len(xy)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    chunk = limits.CHUNK if chunk is None else chunk
    cell = _cells(xy, grid)
    counts = np.bincount(cell, minlength=grid * grid).astype(np.float64)
    rng = np.random.default_rng(seed)
    # sampling weight ~ 1/sqrt(density): sparse cells stay visible; key = u^(1/w) (weighted reservoir order)
    w = 1.0 / np.sqrt(counts[cell])
    key = np.log(rng.random(n)) / w
    order = np.argsort(-key, kind="stable")
    if chunk <= 1 or n <= 1:
        return order
    z = morton(xy[order])
    full = n - n % chunk
    rows = z[:full].reshape(-1, chunk)  # sorting many short rows is much faster than one long sort
    within = np.argsort(rows, axis=1) + (np.arange(len(rows)) * chunk)[:, None]
    out = order[within.ravel()]
    if full < n:
        out = np.concatenate([out, order[full:][np.argsort(z[full:], kind="stable")]])
    return out


def _spread(v: np.ndarray) -> np.ndarray:
    """The bits of 16-bit integers moved to the even positions of 32 (for interleaving)."""
    v = v.astype(np.uint32)
    v = (v | (v << 8)) & 0x00FF00FF
    v = (v | (v << 4)) & 0x0F0F0F0F
    v = (v | (v << 2)) & 0x33333333
    return (v | (v << 1)) & 0x55555555


def morton(xy: np.ndarray, bits: int = 10) -> np.ndarray:
    """Z-order key of each point of [-1, 1]² on a 2^bits grid."""
    side = 1 << bits
    q = np.clip(((np.asarray(xy, np.float32) + 1.0) * 0.5 * side).astype(np.int32), 0, side - 1)
    return _spread(q[:, 0]) | (_spread(q[:, 1]) << 1)


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
        parts = [
            self.items[self.starts[r * self.grid + cx0] : self.starts[r * self.grid + cx1 + 1]]
            for r in range(cy0, cy1 + 1)
        ]
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
