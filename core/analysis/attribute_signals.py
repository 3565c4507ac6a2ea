"""The evidence about a model's missing attribute, one signal at a time (the Model Atlas paper predicts from
atlas neighbours; the Anatomy paper measured how licences flow down families). Each signal gives, for the
query nodes, a class distribution and a reliability in [0, 1] (0 where it has nothing to say):

* ``features``: a naive Bayes over name words, author and the model's other attributes (naive_bayes);
* ``linear``: a logistic regression over the same features, weighed against each other (linear_votes);
* ``lineage``: the labels of the model's parents, siblings and children (lineage_votes);
* ``author``: the labels of the author's other models;
* ``author_time``, ``author_name``: the labels of the author's models nearest to it by creation date and by
  name (near_votes: what the author chose for that batch, that kind of model);
* ``family``: the labels of the other models of its family (its documented lineage component);
* ``flow``: the parents' labels carried through the transitions learnt from documented parent→child pairs
  (llama2 → llama2, mit → apache-2.0: a family's licence lineage, drift included);
* ``namesake``: the labels of the models of the same name once packaging words are dropped (another
  author's copy, quantization or adapter of the same model: TheBloke/Llama-2-7B-GGUF and meta/Llama-2-7b);
* ``cited``: the labels of the models that share an ``arxiv:`` or ``dataset:`` tag with it (the same paper,
  the same training data), each shared tag weighted by 1 / log2(1 + its models);
* ``atlas``: the labels of the nearest documented models in the atlas's feature space, the target's own
  block left out (given as ``space``; see core.cli.atlas_space for why not the map's x/y).

Only known labels (code ≥ 0) are read; a query node's own label is never read (callers mask it).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp

from hubatlas.core.analysis.data import AtlasData
from hubatlas.core.analysis.lineage_votes import LineageVotes
from hubatlas.core.analysis.linear_votes import LinearVotes
from hubatlas.core.analysis.naive_bayes import NaiveBayes, NameWords, one_hot
from hubatlas.core.analysis.near_votes import NearVotes, name_rank

SIGNALS = (
    "features",
    "lineage",
    "linear",
    "author",
    "author_time",
    "author_name",
    "family",
    "flow",
    "namesake",
    "cited",
    "atlas",
)
CITED_PREFIXES = ("arxiv:", "dataset:")
ATLAS_K = 10  # nearest documented models the atlas signal reads
# neighbours within (1 + ATLAS_EPS) of the true k-th distance: 4x faster on 575K models, 95% the same neighbours
ATLAS_EPS = 1.0
FLOW_SMOOTHING = 0.5  # pseudo-counts on a transition table's diagonal (an unseen parent label passes on)

# coordinates of every node in a space that never saw the target attribute: (target, codes) -> (n, d)
AtlasSpace = Callable[[str, np.ndarray], np.ndarray]


def reliability(count: np.ndarray) -> np.ndarray:
    """How far to trust votes from ``count`` labelled models: 0 for none, near 1 from about 6."""
    return 1.0 - np.exp(-np.asarray(count, np.float64) / 2.0)


class GroupVotes:
    """The label distribution of each group's labelled members (an author's models, a family)."""

    def __init__(self, group: np.ndarray, codes: np.ndarray, k: int):
        ok = (codes >= 0) & (group >= 0)
        g = int(group.max()) + 1 if len(group) else 1
        self.M = sp.csr_matrix(
            (np.ones(int(ok.sum()), np.float32), (group[ok].astype(np.int64), codes[ok].astype(np.int64))),
            shape=(g, k),
        )
        self.group = group

    def at(self, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        g = self.group[query]
        m = self.M[np.maximum(g, 0)].toarray()
        m[g < 0] = 0
        cnt = m.sum(1)
        return _normalised(m, cnt), reliability(cnt)


class FlowVotes:
    """The parents' labels mapped through P(child label | parent label), learnt from documented edges whose
    both ends are labelled."""

    def __init__(self, data: AtlasData, codes: np.ndarray, k: int):
        cp, cc = codes[data.parent], codes[data.child]
        ok = (cp >= 0) & (cc >= 0)
        t = (
            np.bincount(cp[ok].astype(np.int64) * k + cc[ok], minlength=k * k)
            .reshape(k, k)
            .astype(np.float64)
        )
        t += FLOW_SMOOTHING * np.eye(k) + 1e-3
        self.T = t / t.sum(1, keepdims=True)
        self.A = sp.csr_matrix(
            (np.ones(len(data.child), np.float32), (data.child, data.parent)), shape=(data.n, data.n)
        )
        self.L = one_hot(codes, k)

    def at(self, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        pl = (self.A[query] @ self.L).toarray()
        cnt = pl.sum(1)
        return _normalised(pl @ self.T, cnt), reliability(cnt)


def derived(data: AtlasData, key: str, make: Callable[[], np.ndarray]) -> np.ndarray:
    """A per-model array made from ``data`` once and kept on it (each fit builds the signals three times)."""
    kept = getattr(data, "derived", None)
    if kept is None:
        return make()
    if key not in kept:
        kept[key] = make()
    return kept[key]


def namesakes(data: AtlasData) -> np.ndarray:
    """Each model's group of models of the same name, packaging words dropped (parent_candidates.stripped;
    7 s on 575K models, made once per atlas)."""
    from hubatlas.core.analysis.parent_candidates import stripped

    def make() -> np.ndarray:
        names = [stripped(n or "") for n in data.names.to_pylist()]
        _, group = np.unique(np.asarray(names, dtype=object).astype(str), return_inverse=True)
        return group.astype(np.int64).reshape(-1)

    return derived(data, "namesakes", make)


class CitedVotes:
    """Labels of the models sharing a CITED_PREFIXES tag with each query model, a tag shared by many counting
    less (1 / log2(1 + its models))."""

    def __init__(self, data: AtlasData, codes: np.ndarray, k: int):
        rows, tags = data.tag_pairs
        rows = np.asarray(rows, np.int64)
        sel = np.zeros(len(rows), bool)
        for prefix in CITED_PREFIXES:
            sel |= pc.starts_with(tags, prefix).to_numpy(zero_copy_only=False).astype(bool)
        tag = pc.dictionary_encode(tags.filter(pa.array(sel))).indices.to_numpy(zero_copy_only=False)
        T = sp.csr_matrix(
            (np.ones(int(sel.sum()), np.float32), (rows[sel], tag.astype(np.int64))),
            shape=(data.n, int(tag.max()) + 1 if len(tag) else 1),
        )
        T.data[:] = 1.0  # a tag listed twice counts once
        used = np.asarray(T.sum(0)).ravel()
        self.Tw = (T @ sp.diags((1.0 / np.log2(1.0 + np.maximum(used, 1.0))).astype(np.float32))).tocsr()
        self.labels_of_tag = (T.T @ one_hot(codes, k)).tocsr()

    def at(self, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        m = (self.Tw[query] @ self.labels_of_tag).toarray()
        cnt = m.sum(1)
        return _normalised(m, cnt), reliability(cnt)


class AtlasVotes:
    """Labels of the ATLAS_K nearest labelled nodes in ``coords`` (rank-weighted), a model itself left out."""

    def __init__(self, coords: np.ndarray, codes: np.ndarray, k: int):
        from scipy.spatial import cKDTree

        self.ref = np.flatnonzero((codes >= 0) & np.isfinite(coords).all(1))
        self.tree = cKDTree(coords[self.ref]) if len(self.ref) else None
        self.coords, self.codes, self.k = coords, codes, k

    def at(self, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        out = np.zeros((len(query), self.k))
        if self.tree is None or not len(query):
            return out, np.zeros(len(query))
        kk = min(ATLAS_K + 1, len(self.ref))
        _, near = self.tree.query(self.coords[query], k=kk, eps=ATLAS_EPS, workers=-1)
        near = self.ref[near.reshape(len(query), kk)]
        rows = np.arange(len(query))
        used = np.zeros(len(query), np.int64)
        for j in range(kk):
            take = (near[:, j] != query) & (used < ATLAS_K)  # never the model itself
            np.add.at(out, (rows[take], self.codes[near[take, j]]), 1.0 / (1 + used[take]))
            used += take
        cnt = out.sum(1)
        return _normalised(out, cnt), np.where(cnt > 0, 1.0, 0.0)


class Signals:
    """Every signal for one attribute, from the codes a predictor may read (-1 = unknown to it)."""

    def __init__(
        self,
        data: AtlasData,
        X: sp.csr_matrix,
        codes: np.ndarray,
        k: int,
        coords: np.ndarray | None = None,
    ):
        self.k = k
        train = np.flatnonzero(codes >= 0)
        self.nb = NaiveBayes(X, codes, train, k)
        self.linear = LinearVotes(X, codes, train, k)
        self.votes = LineageVotes(data.n, data.parent, data.child, codes, k)
        author = np.asarray(data.author, np.int64)
        self.author = GroupVotes(author, codes, k)
        self.author_time = NearVotes(author, np.maximum(data.created_day, 0), codes, k)
        self.author_name = NearVotes(
            author, derived(data, "name_rank", lambda: name_rank(data.names)), codes, k
        )
        fam = np.asarray(data.family, np.int64) if len(data.family) == data.n else np.full(data.n, -1)
        self.family = GroupVotes(fam, codes, k)
        self.flow = FlowVotes(data, codes, k)
        self.namesake = GroupVotes(namesakes(data), codes, k)
        self.cited = CitedVotes(data, codes, k)
        self.atlas = AtlasVotes(coords, codes, k) if coords is not None else None

    def names(self) -> tuple[str, ...]:
        return SIGNALS if self.atlas is not None else SIGNALS[:-1]

    def at(self, query: np.ndarray) -> np.ndarray:
        """(len(names), len(query), k) float32: each signal's distribution times its reliability."""
        dist, _ = self.votes.at(query)
        out = [self.nb.probs(query), dist]  # the lineage votes come weighted already (lineage_votes)
        sources: list[LinearVotes | GroupVotes | NearVotes | FlowVotes | CitedVotes | AtlasVotes]
        sources = [
            self.linear,
            self.author,
            self.author_time,
            self.author_name,
            self.family,
            self.flow,
            self.namesake,
            self.cited,
        ]
        if self.atlas is not None:
            sources.append(self.atlas)
        for s in sources:
            d, r = s.at(query)
            out.append(d * r[:, None])
        return np.stack(out).astype(np.float32)


def _normalised(m: np.ndarray, cnt: np.ndarray) -> np.ndarray:
    return np.divide(m, cnt[:, None], out=np.zeros(m.shape), where=cnt[:, None] > 0)


__all__ = ["SIGNALS", "AtlasSpace", "NameWords", "Signals", "reliability"]
