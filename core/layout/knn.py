"""Exact k-nearest neighbours by blocked matrix products (BLAS), and the lineage join of a kNN graph."""

from __future__ import annotations

import numpy as np


def knn(
    query: np.ndarray, ref: np.ndarray, k: int, *, exclude_self: bool = False, block: int = 1024
) -> tuple[np.ndarray, np.ndarray]:
    """(indices, euclidean distances) of the k nearest ``ref`` rows for every ``query`` row."""
    ref = np.ascontiguousarray(ref, dtype=np.float32)
    rn = (ref * ref).sum(1)
    k_eff = min(k + (1 if exclude_self else 0), len(ref))
    out_i = np.empty((len(query), min(k, len(ref) - (1 if exclude_self else 0))), dtype=np.int64)
    out_d = np.empty(out_i.shape, dtype=np.float32)
    refT = np.ascontiguousarray(ref.T)
    for s in range(0, len(query), block):
        q = np.ascontiguousarray(query[s : s + block], dtype=np.float32)
        d2 = q @ refT  # in place from here: no large temporaries
        d2 *= -2.0
        d2 += rn[None, :]
        d2 += (q * q).sum(1)[:, None]
        if exclude_self:
            d2[np.arange(len(q)), np.arange(s, s + len(q))] = np.inf
        if k_eff == 1:  # nearest only: a single pass
            j = np.argmin(d2, axis=1)
            out_i[s : s + len(q), 0] = j
            out_d[s : s + len(q), 0] = np.sqrt(np.maximum(d2[np.arange(len(q)), j], 0))
            continue
        part = np.argpartition(d2, k_eff - 1, axis=1)[:, :k_eff]
        pd = np.take_along_axis(d2, part, axis=1)
        order = np.argsort(pd, axis=1, kind="stable")
        part = np.take_along_axis(part, order, axis=1)[:, : out_i.shape[1]]
        pd = np.take_along_axis(pd, order, axis=1)[:, : out_i.shape[1]]
        out_i[s : s + len(q)] = part
        out_d[s : s + len(q)] = np.sqrt(np.maximum(pd, 0))
    return out_i, out_d


def join_lineage(
    idx: np.ndarray, dist: np.ndarray, parent: np.ndarray, child: np.ndarray, slots: int = 3
) -> tuple[np.ndarray, np.ndarray]:
    """Put each node's lineage neighbours (parents and children within the same index space) into the last
    ``slots`` columns of its kNN row, at the distance of its nearest feature neighbour, so UMAP pulls
    fine-tunes, adapters, quantizations and merges toward their parents."""
    idx, dist = idx.copy(), dist.copy()
    n, k = idx.shape
    src = np.concatenate([child, parent])
    dst = np.concatenate([parent, child])
    order = np.argsort(src, kind="stable")
    src, dst = src[order], dst[order]
    starts = np.searchsorted(src, np.arange(n))
    ends = np.searchsorted(src, np.arange(n), side="right")
    near = dist[:, 1] if k > 1 else dist[:, 0]
    has = np.flatnonzero(ends > starts)
    for j in range(min(slots, k - 1)):
        take = has[(ends[has] - starts[has]) > j]
        col = k - 1 - j
        idx[take, col] = dst[starts[take] + j]
        dist[take, col] = near[take]
    # keep rows sorted by distance (UMAP expects ascending neighbour distances)
    order = np.argsort(dist, axis=1, kind="stable")
    return np.take_along_axis(idx, order, axis=1), np.take_along_axis(dist, order, axis=1)
