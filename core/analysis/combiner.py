"""A learnt chooser among the signals' answers (attribute_signals), in place of one scalar weight per signal.

Each row's candidate classes are the TOP best of every signal and of the weighted sum (signal_weights); each
(row, candidate) pair is described by what every signal says of that class (its score, its evidence on the
row, the score relative to the signal's own best, the class's rank in it), the weighted sum's share, the
class's frequency and the row's context (row_context: the model's other attributes, popularity, tags, date,
author size), and a gradient-boosted classifier learns, on the inner fold of the visible values, which
candidate is the right one: the signals are trusted as far as their evidence goes ("the author's three
models all say mit" counts for more than one neighbour's guess), which no fixed weights can express. The
row's answer is its most probable candidate, and that probability its score (calibrated by the caller).

The classifier runs on one thread: its OpenMP threads wait for each other by spinning, which on a machine
whose other core is busy made a fit ten times slower (98 s instead of 9 s on the real licence inner fold).
"""

from __future__ import annotations

from typing import Any

import numpy as np

TOP = 2  # best classes of each signal (and of the weighted sum) a row's candidates come from
ITERATIONS = 150
LEARNING_RATE = 0.1
PAIRS_PER_BLOCK = 4_000  # (row, candidate) pairs whose per-class ranks are computed at a time
MIN_ROWS = 50  # fewer inner rows than this (or a single outcome): no combiner, the weighted sum decides


def candidates(S: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, class) of each candidate pair, sorted by row, and the weighted sum (rows, classes)."""
    comb = np.tensordot(w.astype(np.float32), S, axes=1)
    n, k = comb.shape
    top = min(TOP, k)
    mask = np.zeros((n, k), bool)
    for score in (*S, comb):
        np.put_along_axis(mask, np.argpartition(-score, top - 1, axis=1)[:, :top], True, axis=1)
    mask &= S.sum(0) > 0  # a class no signal scores is never a candidate
    rows, cls = np.nonzero(mask)
    return rows, cls, comb


def features(
    S: np.ndarray,
    rows: np.ndarray,
    cls: np.ndarray,
    comb: np.ndarray,
    prior: np.ndarray,
    context: np.ndarray | None = None,
):
    """(pairs, 4 × signals + 3 + context columns) float32: per signal the class's score, the signal's
    evidence on the row, the score over the signal's best, the class's rank in the signal (capped at 10);
    then the weighted sum's share and its ratio to its best, the class's log frequency, and the row's
    ``context`` (rows, columns)."""
    m = S.shape[0]
    mass, best = S.sum(2), S.max(2)
    c = 0 if context is None else context.shape[1]
    out = np.empty((len(rows), 4 * m + 3 + c), np.float32)
    for a in range(0, len(rows), PAIRS_PER_BLOCK):
        r, c = rows[a : a + PAIRS_PER_BLOCK], cls[a : a + PAIRS_PER_BLOCK]
        v = S[:, r, c]
        rank = (S[:, r, :] > v[:, :, None]).sum(2)
        out[a : a + len(r), :m] = v.T
        out[a : a + len(r), m : 2 * m] = mass[:, r].T
        out[a : a + len(r), 2 * m : 3 * m] = (v / np.maximum(best[:, r], 1e-9)).T
        out[a : a + len(r), 3 * m : 4 * m] = np.minimum(rank, 10).T
    cs = comb[rows, cls]
    out[:, 4 * m] = cs / np.maximum(comb.sum(1)[rows], 1e-9)
    out[:, 4 * m + 1] = cs / np.maximum(comb.max(1)[rows], 1e-9)
    out[:, 4 * m + 2] = prior[cls]
    if context is not None:
        out[:, 4 * m + 3 :] = context[rows]
    return out


class Combiner:
    """The chooser, fitted on signals ``S`` (signals, rows, classes) of rows whose answer is ``truth``;
    ``weights`` are the scalar weights its weighted-sum features use, ``counts`` each class's visible values,
    ``categorical`` which of the context's columns hold categories (no context when None). A ``dropped``
    signal is zeroed before anything is read (an ablation)."""

    def __init__(
        self,
        weights: np.ndarray,
        counts: np.ndarray,
        dropped: int | None = None,
        seed: int = 0,
        categorical: np.ndarray | None = None,
    ):
        self.weights, self.dropped, self.seed = np.asarray(weights, np.float64), dropped, seed
        self.categorical = categorical
        self.prior = np.log(np.asarray(counts, np.float64) + 1.0)
        self.model: Any = None  # the fitted classifier

    def _signals(self, S: np.ndarray) -> np.ndarray:
        if self.dropped is None:
            return S
        S = S.copy()
        S[self.dropped] = 0
        return S

    def fit(self, S: np.ndarray, truth: np.ndarray, context: np.ndarray | None = None) -> Combiner | None:
        """This combiner fitted on rows of ``context`` (given when ``categorical`` is), or None when the rows
        are too few or every candidate is (never) right."""
        from sklearn.ensemble import HistGradientBoostingClassifier

        S = self._signals(S)
        rows, cls, comb = candidates(S, self.weights)
        y = cls == truth[rows]
        if len(truth) < MIN_ROWS or y.all() or not y.any():
            return None
        from threadpoolctl import threadpool_limits

        model = HistGradientBoostingClassifier(
            max_iter=ITERATIONS,
            learning_rate=LEARNING_RATE,
            early_stopping=False,
            random_state=self.seed,
            categorical_features=self._categorical(S.shape[0]),
        )
        with threadpool_limits(1):
            self.model = model.fit(features(S, rows, cls, comb, self.prior, self._context(context)), y)
        return self

    def _context(self, context: np.ndarray | None) -> np.ndarray | None:
        if self.categorical is None:
            return None
        if context is None or context.shape[1] != len(self.categorical):
            raise ValueError("this combiner reads a context of every row")
        return context

    def _categorical(self, m: int) -> np.ndarray | None:
        """Which feature columns hold categories (the context's), or None when none do."""
        if self.categorical is None or not self.categorical.any():
            return None
        return np.r_[np.zeros(4 * m + 3, bool), self.categorical]

    def predict(self, S: np.ndarray, context: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(class, probability that it is right) per row (``context``: of the same rows); a row without
        candidates gets the weighted sum's best class and probability 0."""
        S = self._signals(S)
        rows, cls, comb = candidates(S, self.weights)
        pred, prob = comb.argmax(1), np.zeros(len(comb))
        if len(rows):
            from threadpoolctl import threadpool_limits

            with threadpool_limits(1):
                X = features(S, rows, cls, comb, self.prior, self._context(context))
                p = self.model.predict_proba(X)[:, 1]
            order = np.lexsort((p, rows))  # by row, then probability: each row's best comes last
            last = order[np.r_[rows[order][1:] != rows[order][:-1], True]]
            pred[rows[last]], prob[rows[last]] = cls[last], p[last]
        return pred, prob
