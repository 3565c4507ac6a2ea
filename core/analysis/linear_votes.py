"""A model's missing attribute from its own features (name words, author, other attributes, tags, date: the
design of attribute_model) by multinomial logistic regression: what the naive Bayes of naive_bayes.py does,
but with the features weighed against each other instead of as independent (``llama`` and ``gguf`` together
say more than either alone). On the real 2024-07 Hub, alone, it got 0.839 of the hidden licences against the
naive Bayes's 0.731 (random split), 0.668 against 0.597 with authors held out; scikit-learn's SGDClassifier
on the same rows got 0.797 and 0.643 in 40-110 s.

It is fitted by a few epochs of minibatch gradient descent with AdaGrad steps, touching only the weights of
the features a batch uses (seconds on 500K models, where a generic solver took minutes), seeded.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

EPOCHS = 4
BATCH = 2_048
STEP = 0.5  # AdaGrad's base step
L2 = 1e-6  # weight decay per use of a feature
MAX_CLASSES = 64  # the most frequent classes it learns; the rarer ones share one column it never
# reports (a signal saying nothing of them)


class LinearVotes:
    """Softmax regression of ``codes`` (-1 unknown) on the rows ``train`` of ``X``; ``at`` gives the class
    probabilities of any rows (its reliability: 1 where the model was fitted at all). Only the MAX_CLASSES
    most frequent classes are learnt apart (its weights: features × MAX_CLASSES + 1, whatever the labels)."""

    def __init__(self, X: sp.csr_matrix, codes: np.ndarray, train: np.ndarray, k: int, seed: int = 0):
        train, codes = np.asarray(train, np.int64), np.asarray(codes, np.int64)
        self.X, self.k = X.tocsr().astype(np.float32), k
        counts = np.bincount(codes[train], minlength=k)
        self.classes = np.sort(np.argsort(-counts, kind="stable")[: min(MAX_CLASSES, k)])
        self.classes = self.classes[counts[self.classes] > 0]
        column = np.full(k, len(self.classes), np.int64)  # a rarer class: the shared last column
        column[self.classes] = np.arange(len(self.classes))
        c = len(self.classes) + int((counts > 0).sum() > len(self.classes))  # a shared column when needed
        self.W = np.zeros((X.shape[1], c), np.float32)
        self.b = np.zeros(c, np.float32)
        self.fitted = len(train) > 0
        if self.fitted:
            self._fit(train, column[codes[train]], seed)

    def _fit(self, train: np.ndarray, y: np.ndarray, seed: int) -> None:
        """Fit on rows ``train`` whose column is ``y``."""
        rng = np.random.default_rng([seed, 4241])
        G = np.full(self.W.shape, 1e-8, np.float32)  # AdaGrad's sums of squared gradients
        Gb = np.full(len(self.b), 1e-8, np.float32)
        prior = np.bincount(y, minlength=len(self.b)).astype(np.float64) + 1.0
        self.b[:] = np.log(prior / prior.sum())
        for _ in range(EPOCHS):
            order = rng.permutation(len(train))
            for start in range(0, len(train), BATCH):
                pick = order[start : start + BATCH]
                rows = train[pick]
                Xb = self.X[rows]
                used = np.unique(Xb.indices)
                Xu = Xb[:, used] if len(used) else Xb[:, :0]
                P = _softmax(Xu @ self.W[used] + self.b)
                P[np.arange(len(rows)), y[pick]] -= 1.0
                P /= len(rows)
                g = np.asarray(Xu.T @ P) + L2 * self.W[used]
                G[used] += g * g
                self.W[used] -= STEP * g / np.sqrt(G[used])
                gb = P.sum(0)
                Gb += gb * gb
                self.b -= STEP * gb / np.sqrt(Gb)

    def at(self, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(class probabilities, 0 for the rarer classes; reliability) per query row."""
        out = np.zeros((len(query), self.k), np.float32)
        if not self.fitted:
            return out, np.zeros(len(query))
        out[:, self.classes] = _softmax(self.X[query] @ self.W + self.b)[:, : len(self.classes)]
        return out, np.ones(len(query))


def _softmax(z: np.ndarray) -> np.ndarray:
    z = np.asarray(z, np.float32)
    z = z - z.max(1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(1, keepdims=True)
    return z
