"""Families: weakly connected components of the documented lineage graph (the snapshot's ``family``), with
their roots, size, depth, breadth, relation and licence mix and growth over time; and the family tree of
one model, for the viewer's family panel."""

from __future__ import annotations

import numpy as np

from hubatlas.core.analysis.data import RELATION_LABELS, AtlasData, node_relation
from hubatlas.core.store.graph import levels


def family_table(data: AtlasData, top: int = 20) -> list[dict]:
    """The ``top`` largest families (by models), each a dict ready for JSON/CSV."""
    n = data.n
    if n == 0:
        return []
    fam = data.family.astype(np.int64)
    nf = int(fam.max()) + 1
    size = np.bincount(fam, minlength=nf)
    order = np.argsort(-size, kind="stable")[:top]
    order = order[size[order] > 1]
    depth = data.depth.astype(np.int64)
    max_depth = np.zeros(nf, np.int64)
    np.maximum.at(max_depth, fam, depth)
    rel = node_relation(data)
    guessed = np.full(n, -1, np.int64)  # the inferred type of a node documented with an untyped parent
    if len(data.inferred_relation) == len(data.child):
        sel = data.inferred_relation >= 0
        guessed[data.child[sel]] = data.inferred_relation[sel]
    lic, lic_labels = data.attrs["license"]
    has_parent = np.zeros(n, bool)
    has_parent[data.child] = True
    month = data.month()
    members = np.argsort(fam, kind="stable")
    starts = np.searchsorted(fam[members], np.arange(nf + 1))
    out = []
    ids = data.ids
    for f in order.tolist():
        m = members[starts[f] : starts[f + 1]]
        roots = m[~has_parent[m]]
        # name the family after the root most of its members descend from (primary-parent tree)
        under = np.bincount(data.root[m], minlength=n)[roots]
        roots = roots[np.lexsort((-data.downloads[roots], -under))]
        breadth = int(np.bincount(depth[m]).max())
        rmix = np.bincount(rel[m], minlength=len(RELATION_LABELS))
        lmix = np.bincount(lic[m][lic[m] >= 0], minlength=len(lic_labels))
        top_lic = np.argsort(-lmix, kind="stable")[:5]
        mm = month[m][month[m] >= 0]
        years = {}
        if len(mm):
            y = 1970 + mm // 12
            years = {str(k): int(v) for k, v in zip(*np.unique(y, return_counts=True), strict=False)}
        out.append(
            {
                "family": f,
                "root": ids[int(roots[0])].as_py() if len(roots) else None,
                "roots": len(roots),
                "other_roots": [ids[int(r)].as_py() for r in roots[1:4]],
                "size": int(size[f]),
                "depth": int(max_depth[f]),
                "breadth": breadth,
                "relations": {
                    RELATION_LABELS[i]: int(c)
                    for i, c in enumerate(rmix)
                    if c and RELATION_LABELS[i] != "none"
                },
                "inferred_relations": {  # the untyped ones above, as `layout`/`infer` typed them
                    RELATION_LABELS[int(i)]: int(c)
                    for i, c in zip(*np.unique(guessed[m][guessed[m] >= 0], return_counts=True), strict=True)
                },
                "licenses": {lic_labels[i]: int(lmix[i]) for i in top_lic if lmix[i]},
                "no_license": int((lic[m] < 0).sum()),
                "first": _month_name(mm.min()) if len(mm) else None,
                "last": _month_name(mm.max()) if len(mm) else None,
                "models_per_year": years,
            }
        )
    return out


def _month_name(m: int) -> str:
    return f"{1970 + int(m) // 12}-{int(m) % 12 + 1:02d}"


class FamilyTree:
    """Children and parent lists over documented edges, for browsing a family from its root, and how many
    models lie below each node. ``primary``: each node's primary parent (the snapshot's ``parent`` column, -1
    for a root): a family is then one root and what descends from it, a merge under its primary parent only;
    without it (an older snapshot) the lowest-index parent stands in and a merge may show several roots."""

    def __init__(
        self,
        n: int,
        parent: np.ndarray,
        child: np.ndarray,
        depth: np.ndarray,
        primary: np.ndarray | None = None,
    ):
        self.primary = None if primary is None else np.asarray(primary, np.int64)
        order = np.argsort(parent, kind="stable")
        self.kids = child[order]
        self.start = np.searchsorted(parent[order], np.arange(n + 1))
        order = np.argsort(child, kind="stable")
        self.pars = parent[order]
        self.pstart = np.searchsorted(child[order], np.arange(n + 1))
        self._depth = np.asarray(depth)
        self._below: np.ndarray | None = None

    def children(self, node: int) -> np.ndarray:
        return self.kids[self.start[node] : self.start[node + 1]]

    def roots_of(self, node: int) -> list[int]:
        """The ancestors of ``node`` that have no parent (cycle-safe): its family's one root when the primary
        parents are known."""
        if self.primary is not None:
            chain = self.primary_path(node)
            return [chain[0]]
        seen, stack, roots = {node}, [node], []
        while stack:
            v = stack.pop()
            ps = self.pars[self.pstart[v] : self.pstart[v + 1]].tolist()
            if not ps:
                roots.append(v)
            for p in ps:
                if p not in seen:
                    seen.add(p)
                    stack.append(p)
        return sorted(roots)

    def primary_path(self, node: int) -> list[int]:
        """The chain of primary parents from the root down to ``node`` (cycle-safe)."""
        assert self.primary is not None
        chain, seen = [node], {node}
        while (p := int(self.primary[chain[-1]])) >= 0 and p not in seen:
            chain.append(p)
            seen.add(p)
        return chain[::-1]

    def below(self) -> np.ndarray:
        """Models below each node in the primary-parent tree that gives the snapshot its depth (a merge is
        counted under its primary parent only), summed bottom-up once: O(edges), then a lookup per row."""
        if self._below is None:
            n = len(self.start) - 1
            has = np.diff(self.pstart) > 0
            pp = np.full(n, -1, np.int64)
            if self.primary is not None:
                pp = self.primary.copy()
            else:
                pp[has] = np.minimum.reduceat(self.pars, self.pstart[:-1][has])  # lowest-index parent
            depth = self._depth.astype(np.int64)
            tree = (pp >= 0) & (depth[np.maximum(pp, 0)] == depth - 1)  # edges of the depth tree only
            size = np.ones(n, np.int64)
            for _, at in levels(depth, np.flatnonzero(tree), descending=True):
                np.add.at(size, pp[at], size[at])
            self._below = size - 1
        return self._below
