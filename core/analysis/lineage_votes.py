"""Lineage evidence about a model's missing attribute: the labels of its parents, siblings and children, as
class scores from sparse matrix products (2M nodes take seconds)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from hubatlas.core.analysis.naive_bayes import one_hot


class LineageVotes:
    """The labels of each node's parents, siblings and children, weighted, as class scores. Only known labels
    (code ≥ 0) vote; the query nodes' own labels are never read. ``at`` makes dense (rows × classes) arrays,
    so callers ask for bounded chunks of nodes."""

    def __init__(
        self,
        n: int,
        parent: np.ndarray,
        child: np.ndarray,
        codes: np.ndarray,
        k: int,
        weights=(2.0, 1.5, 1.0),
    ):
        self.L = one_hot(codes, k)
        self.A = sp.csr_matrix((np.ones(len(child), np.float32), (child, parent)), shape=(n, n))
        self.AT = self.A.T.tocsr()
        self.up = self.AT @ self.L  # each node's children's labels (for its children's siblings)
        self.k, self.weights = k, weights

    def at(self, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(weighted label distribution, total weight) per query node."""
        Aq = self.A[query]
        sources = (Aq @ self.L, Aq @ self.up, self.AT[query] @ self.L)  # parents, siblings, children
        dist = np.zeros((len(query), self.k))
        total = np.zeros(len(query))
        for m, w in zip(sources, self.weights, strict=False):
            m = m.toarray()
            cnt = m.sum(1)
            has = cnt > 0
            # siblings include the node itself once per parent; its label is unknown here, so nothing to remove
            rel = w * (1 - np.exp(-cnt / 2.0))
            dist[has] += rel[has, None] * m[has] / cnt[has, None]
            total += np.where(has, rel, 0)
        return dist, total


def lineage_votes(
    n: int,
    parent: np.ndarray,
    child: np.ndarray,
    codes: np.ndarray,
    k: int,
    query: np.ndarray,
    weights=(2.0, 1.5, 1.0),
) -> tuple[np.ndarray, np.ndarray]:
    """(weighted label distribution, total weight) per query node from its parents, siblings and children."""
    return LineageVotes(n, parent, child, codes, k, weights).at(query)
