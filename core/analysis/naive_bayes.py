"""Feature-neighbour evidence about a model's missing attribute: a multinomial naive Bayes over the model's
name words, its author and its other attributes (models that share these with it, wherever they sit in the
graph), plus the sparse design-matrix helpers it and the lineage votes (analysis.lineage_votes) share.

The layout's own neighbourhoods are not used: the layout is computed from the very attributes an evaluation
hides, so it would leak them.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from hubatlas.core.common.names import name_tokens

MAX_VOCAB = 200_000
ALPHA = 0.3


def one_hot(codes: np.ndarray, k: int, weight: float = 1.0) -> sp.csr_matrix:
    """(n, k) indicator rows; a code of -1 gives an empty row."""
    n = len(codes)
    ok = codes >= 0
    rows = np.flatnonzero(ok)
    return sp.csr_matrix(
        (np.full(len(rows), weight, np.float32), (rows, codes[ok].astype(np.int64))), shape=(n, max(k, 1))
    )


def frequent_codes(codes: np.ndarray, min_count: int = 2, cap: int = MAX_VOCAB) -> np.ndarray:
    """Recode so that only values seen at least ``min_count`` times (the ``cap`` most frequent) remain."""
    valid = codes >= 0
    counts = np.bincount(codes[valid], minlength=int(codes.max()) + 1 if valid.any() else 0)
    keep = np.flatnonzero(counts >= min_count)
    if len(keep) > cap:
        keep = keep[np.argsort(-counts[keep], kind="stable")[:cap]]
    remap = np.full(len(counts), -1, np.int64)
    remap[keep] = np.arange(len(keep))
    out = np.full(len(codes), -1, np.int64)
    out[valid] = remap[codes[valid]]
    return out


def authors(author: np.ndarray) -> sp.csr_matrix:
    """Indicator rows of each model's author, for authors with at least two models."""
    codes = frequent_codes(author)
    return one_hot(codes, int(codes.max()) + 1 if len(codes) else 1)


class NameWords:
    """Sparse (n, words) counts of the frequent words in model names (computed once per atlas)."""

    def __init__(self, ids: list[str]):
        owner, code, _ = name_tokens(ids)
        code = frequent_codes(code)
        ok = code >= 0
        k = int(code.max()) + 1 if ok.any() else 1
        self.matrix = sp.csr_matrix(
            (np.ones(int(ok.sum()), np.float32), (owner[ok], code[ok])), shape=(len(ids), k)
        )
        self.matrix.sum_duplicates()


class NaiveBayes:
    """A multinomial naive Bayes fitted on rows ``train`` of ``X``. Works on sparse counts only: no dense
    (features × classes) table is ever made; ``probs`` makes a dense (rows × classes) one, so callers ask for
    bounded chunks of rows."""

    def __init__(self, X: sp.csr_matrix, y: np.ndarray, train: np.ndarray, k: int):
        Y = one_hot(y[train], k)
        N = (X[train].T @ Y).tocsr()  # feature-class counts
        class_feat = np.asarray(N.sum(0)).ravel()  # all feature counts per class
        self.prior = np.log(np.bincount(y[train], minlength=k) + 1.0) - np.log(len(train) + k)
        self.logn = N
        self.logn.data = np.log1p(self.logn.data / ALPHA)
        self.per_feature = np.log(ALPHA) - np.log(class_feat + ALPHA * X.shape[1])
        self.X = X

    def probs(self, rows: np.ndarray) -> np.ndarray:
        Xq = self.X[rows]
        s = (Xq @ self.logn).toarray()
        s += self.prior + np.asarray(Xq.sum(1)).ravel()[:, None] * self.per_feature
        return softmax(s)


def naive_bayes(X: sp.csr_matrix, y: np.ndarray, train: np.ndarray, query: np.ndarray, k: int) -> np.ndarray:
    """Class probabilities (len(query), k) from a multinomial naive Bayes fitted on rows ``train``."""
    return NaiveBayes(X, y, train, k).probs(query)


def softmax(s: np.ndarray) -> np.ndarray:
    s = s - s.max(1, keepdims=True)
    np.exp(s, out=s)
    s /= s.sum(1, keepdims=True)
    return s
