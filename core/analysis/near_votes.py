"""The labels of an author's models nearest to a model in some order: by creation date (a batch of models
uploaded together carries one licence) or by name (``bert-ner-v2`` beside ``bert-ner-v1``). An author's
models taken all together (attribute_signals' ``author``) mix whatever the author ever chose; the nearest
ones say what the author chose for this kind of model, at that time: on the real 2024-07 Hub their top
licence was right for 0.85 of the hidden licences they spoke on, the author's whole vote for 0.81.
"""

from __future__ import annotations

import numpy as np

NEAR_K = 2  # labelled models read on each side


class NearVotes:
    """For each query model, the NEAR_K labelled models just before and just after it in ``group``'s order
    by ``key`` (both int64 ≥ 0; a negative group has none), the i-th on a side counting 1 / i. Only known
    labels (code ≥ 0) are read, never a query model's own (callers mask it)."""

    def __init__(self, group: np.ndarray, key: np.ndarray, codes: np.ndarray, k: int):
        group, key = np.asarray(group, np.int64), np.asarray(key, np.int64)
        self.span = int(key.max()) + 1 if len(key) else 1
        lab = np.flatnonzero((codes >= 0) & (group >= 0))
        joint = group[lab] * self.span + key[lab]
        order = np.argsort(joint, kind="stable")
        self.joint, self.group_of = joint[order], group[lab][order]
        self.codes = np.asarray(codes)[lab][order].astype(np.int64)
        self.group, self.key, self.k = group, key, k

    def at(self, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(class distribution, reliability) per query model: the weighted share of each label among the
        nearest, and 1 where any was found."""
        out = np.zeros((len(query), self.k))
        g = self.group[query]
        if not len(self.joint) or not len(query):
            return out, np.zeros(len(query))
        pos = np.searchsorted(self.joint, g * self.span + self.key[query])
        rows = np.arange(len(query))
        for side in range(1, NEAR_K + 1):
            for p in (pos - side, pos + side - 1):  # before: pos-1, pos-2...; after: pos, pos+1...
                ok = (p >= 0) & (p < len(self.joint)) & (g >= 0)
                at = np.clip(p, 0, len(self.joint) - 1)
                ok &= self.group_of[at] == g
                np.add.at(out, (rows[ok], self.codes[at[ok]]), 1.0 / side)
        cnt = out.sum(1)
        dist = np.divide(out, cnt[:, None], out=np.zeros(out.shape), where=cnt[:, None] > 0)
        return dist, np.where(cnt > 0, 1.0, 0.0)


def name_rank(names) -> np.ndarray:
    """Each model's rank in the alphabetical order of the names (int64, ties share one)."""
    values = np.asarray(names.to_pylist(), dtype=object)
    values[values == None] = ""  # noqa: E711  (an object array: elementwise comparison)
    _, rank = np.unique(values.astype(str), return_inverse=True)
    return rank.reshape(-1).astype(np.int64)
