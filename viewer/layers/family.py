"""A model's family as the Family panel shows it: its root first, each model's children grouped by how they
derive from it (documented relation; an inferred type says so; a merge that belongs to another family, by
its primary parent, is grouped as such), each group most downloaded first, with the relation, downloads and
creation date of every row. No Qt."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from hubatlas.core.common.dates import day_text


@dataclass(frozen=True)
class Row:
    node: int
    id: str
    relation: str  # to the parent it is listed under ("" for a root)
    downloads: int | None
    created: str
    children: int
    below: int


class FamilyView:
    """The family browser over an AtlasModel's documented lineage."""

    def __init__(self, model):
        self.model = model
        e = model.edges
        doc = ~e.proposed
        src, dst = e.source[doc], e.target[doc]
        order = np.argsort(src, kind="stable")
        self.kids, self.kid_rel, self.kid_inferred, self.kid_cross = (
            dst[order],
            e.relation[doc][order],
            e.inferred[doc][order],
            e.cross[doc][order],
        )
        self.start = np.searchsorted(src[order], np.arange(model.n + 1))
        self.tree = model.family_tree
        self.downloads = np.nan_to_num(model.column("downloads").astype(np.float64), nan=-1.0)

    @cached_property
    def _ids(self):
        return self.model.ids

    def relation_name(self, code: int, inferred: bool, cross: bool = False) -> str:
        names = self.model.relations
        name = names[code] if code < len(names) else "unknown"
        name = f"{name} (inferred)" if inferred else name
        return f"{name}, in another family" if cross else name

    def row(self, node: int, relation: str = "") -> Row:
        dl = self.model.snap.nodes.column("downloads")[node].as_py()
        return Row(
            int(node),
            self._ids[node].as_py(),
            relation,
            dl,
            day_text(self.model.column("created_day")[node]),
            int(self.start[node + 1] - self.start[node]),
            int(self.tree.below()[node]),
        )

    def groups(self, node: int) -> list[tuple[str, list[int]]]:
        """The children of ``node`` by relation (the largest group first), each most downloaded first."""
        a, b = self.start[node], self.start[node + 1]
        kids, rel, inf, cross = self.kids[a:b], self.kid_rel[a:b], self.kid_inferred[a:b], self.kid_cross[a:b]
        out: dict[str, list[int]] = {}
        for k in np.argsort(-self.downloads[kids], kind="stable"):
            name = self.relation_name(int(rel[k]), bool(inf[k]), bool(cross[k]))
            out.setdefault(name, []).append(int(kids[k]))
        return sorted(out.items(), key=lambda kv: -len(kv[1]))

    def roots(self, node: int) -> list[int]:
        """The family's roots, the one with most models below first."""
        below = self.tree.below()
        return sorted(self.tree.roots_of(node), key=lambda r: -below[r])

    def path_from_root(self, node: int) -> list[int]:
        """The chain of parents from the family's root down to ``node`` (primary parents; cycle-safe)."""
        t = self.tree
        if t.primary is not None:
            return t.primary_path(node)
        chain, seen = [node], {node}
        while True:
            ps = [p for p in t.pars[t.pstart[chain[-1]] : t.pstart[chain[-1] + 1]].tolist() if p not in seen]
            if not ps:
                return chain[::-1]
            chain.append(ps[0])
            seen.add(ps[0])

    def relation_between(self, parent: int, child: int) -> str:
        a, b = self.start[parent], self.start[parent + 1]
        hit = np.flatnonzero(self.kids[a:b] == child)
        if not len(hit):
            return ""
        i = a + hit[0]
        return self.relation_name(int(self.kid_rel[i]), bool(self.kid_inferred[i]), bool(self.kid_cross[i]))

    def summary(self, node: int) -> str:
        roots = len(self.tree.roots_of(node))
        size = int(self.model.family_sizes[self.model.column("family")[node]])
        below = int(self.tree.below()[node])
        fam = self.model.column("family")
        e = self.model.edges
        links = int((e.cross & ((fam[e.source] == fam[node]) | (fam[e.target] == fam[node]))).sum())
        out = f"{_count(roots, 'root')}, {_count(size, 'model')} in this family; {below:,} below the selected model"
        return out + (f"; {_count(links, 'merge link')} to other families" if links else "")


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")
