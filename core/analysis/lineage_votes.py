"""Lineage evidence about a model's missing attribute: the labels of its parents, siblings and children, as
class scores from sparse matrix products (2M nodes take seconds)."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from hubatlas.core.analysis.naive_bayes import one_hot


def lineage_votes(n: int, parent: np.ndarray, child: np.ndarray, codes: np.ndarray, k: int,
                  query: np.ndarray, weights=(2.0, 1.5, 1.0)) -> tuple[np.ndarray, np.ndarray]:
    """(weighted label distribution, total weight) per query node from its parents, siblings and children.
    Only known labels (code ≥ 0) vote; the query nodes' own labels are never read."""
    L = one_hot(codes, k)
    A = sp.csr_matrix((np.ones(len(child), np.float32), (child, parent)), shape=(n, n))
    Aq = A[query]
    sources = (Aq @ L, Aq @ (A.T @ L), A.T.tocsr()[query] @ L)  # parents, siblings (self excluded below), kids
    dist = np.zeros((len(query), k))
    total = np.zeros(len(query))
    for m, w in zip(sources, weights):
        m = m.toarray()
        cnt = m.sum(1)
        has = cnt > 0
        # siblings include the node itself once per parent; its label is unknown here, so nothing to remove
        rel = w * (1 - np.exp(-cnt / 2.0))
        dist[has] += rel[has, None] * m[has] / cnt[has, None]
        total += np.where(has, rel, 0)
    return dist, total
