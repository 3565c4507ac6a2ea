"""Family structure of the lineage graph, vectorised for millions of nodes and safe on cycles.

- family: weakly connected component of all lineage edges (scipy);
- primary parent: each child's parent with the smallest node index (merges keep all parents in `edges`);
- root and depth: breadth-first from nodes without a primary parent. Nodes that are never reached sit on a
  cycle (or below one): the cycle is broken at its lowest-index node, which becomes a root, and counted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Families:
    family: np.ndarray  # int32 component label per node (labels ordered by first node)
    primary_parent: np.ndarray  # int32, -1 for roots
    root: np.ndarray  # int32 node index of the tree root
    depth: np.ndarray  # int16 hops from the root
    cycles_broken: int


def primary_parents(n: int, parent: np.ndarray, child: np.ndarray) -> np.ndarray:
    pp = np.full(n, np.iinfo(np.int32).max, dtype=np.int64)
    if len(child):
        np.minimum.at(pp, child.astype(np.int64), parent.astype(np.int64))
    pp[pp == np.iinfo(np.int32).max] = -1
    return pp.astype(np.int32)


def components(n: int, parent: np.ndarray, child: np.ndarray) -> np.ndarray:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    if n == 0:
        return np.zeros(0, dtype=np.int32)
    g = coo_matrix((np.ones(len(parent), dtype=np.int8), (parent, child)), shape=(n, n)).tocsr()
    _, labels = connected_components(g, directed=True, connection="weak")
    # relabel in order of first appearance so labels are stable for the same data
    _, first = np.unique(labels, return_index=True)
    order = np.argsort(first)
    remap = np.empty_like(order)
    remap[order] = np.arange(len(order))
    return remap[labels].astype(np.int32)


def _children_csr(pp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = len(pp)
    has = pp >= 0
    kids = np.flatnonzero(has).astype(np.int32)
    par = pp[has]
    order = np.argsort(par, kind="stable")
    kids = kids[order]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.add.at(indptr, par.astype(np.int64) + 1, 1)
    np.cumsum(indptr, out=indptr)
    return indptr, kids


def _expand(frontier: np.ndarray, indptr: np.ndarray, kids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    starts = indptr[frontier]
    counts = indptr[frontier + 1] - starts
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32)
    owner = np.repeat(np.arange(len(frontier)), counts)
    offs = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    return kids[starts[owner] + offs], frontier[owner]


def families(n: int, parent: np.ndarray, child: np.ndarray) -> Families:
    """Family, primary parent, root and depth of every node; ``parent``/``child`` are edge index arrays."""
    parent = np.asarray(parent, dtype=np.int32)
    child = np.asarray(child, dtype=np.int32)
    pp = primary_parents(n, parent, child)
    indptr, kids = _children_csr(pp)
    root = np.full(n, -1, dtype=np.int32)
    depth = np.zeros(n, dtype=np.int32)

    def bfs(start: np.ndarray) -> None:
        root[start] = start
        depth[start] = 0
        frontier = start.astype(np.int32)
        while len(frontier):
            nxt, via = _expand(frontier, indptr, kids)
            fresh = root[nxt] < 0
            nxt, via = nxt[fresh], via[fresh]
            root[nxt] = root[via]
            depth[nxt] = depth[via] + 1
            frontier = nxt

    bfs(np.flatnonzero(pp < 0))
    cycles = 0
    pending = np.flatnonzero(root < 0)
    for v in pending:  # only nodes on or below a cycle; real data has a handful
        if root[v] >= 0:
            continue
        # walk up primary parents to a node on the cycle, then break it there (lowest index on the cycle)
        seen: dict[int, int] = {}
        u = int(v)
        while u not in seen and root[u] < 0:
            seen[u] = len(seen)
            u = int(pp[u])
        if root[u] >= 0:  # reached a rooted node: cannot happen for a pending node, kept for safety
            continue
        cyc_start = seen[u]
        cycle = [k for k, i in seen.items() if i >= cyc_start]
        brk = min(cycle)
        pp[brk] = -1
        cycles += 1  # brk stays in its old parent's child list; BFS skips it there as already rooted
        bfs(np.array([brk], dtype=np.int32))
    return Families(
        family=components(n, parent, child),
        primary_parent=pp,
        root=root,
        depth=np.minimum(depth, np.iinfo(np.int16).max).astype(np.int16),
        cycles_broken=cycles,
    )
