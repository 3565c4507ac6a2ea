"""How much each signal (attribute_signals) counts, learnt on the visible values only: a seeded share of them
is hidden a second time (an inner fold, split like the evaluation: by value or by author), every signal is
computed for it from what is left, and the weights that predict it best are kept (coordinate ascent over a
small grid, the features signal fixed at 1). The hidden values of an evaluation are never read.
"""

from __future__ import annotations

import numpy as np

GRID = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0)
PASSES = 2
INNER_FRAC = 0.1  # share of the visible values hidden for the inner fold
INNER_MAX = 15_000  # at most this many of them are used (dense signals: rows × classes × signals)
INNER_MIN = 50  # fewer than this: the default weights


def default_weights(m: int) -> np.ndarray:
    """1 for every signal: the evidence simply added up."""
    return np.ones(m)


def fit_weights(S: np.ndarray, truth: np.ndarray, allowed: np.ndarray | None = None) -> np.ndarray:
    """Weights (one per signal of ``S``: (signals, rows, classes)) that maximise accuracy on ``truth``; a
    signal not ``allowed`` keeps weight 0 (an ablation). Ties keep the earlier, smaller weight."""
    m = S.shape[0]
    allowed = np.ones(m, bool) if allowed is None else allowed
    w = np.where(allowed, 1.0, 0.0)
    if len(truth) < INNER_MIN:
        return w
    w[0] = 1.0 if allowed[0] else 0.0
    S32 = S.astype(np.float32, copy=False)
    score = np.tensordot(w.astype(np.float32), S32, axes=1)
    best = float((score.argmax(1) == truth).mean())
    for _ in range(PASSES):
        for s in range(1, m):
            if not allowed[s]:
                continue
            rest = score - np.float32(w[s]) * S32[s]  # the sum without this signal: one product per trial
            for g in GRID:
                acc = float(((rest + np.float32(g) * S32[s]).argmax(1) == truth).mean())
                if acc > best + 1e-9:
                    best, w = acc, w.copy()
                    w[s] = g
            score = rest + np.float32(w[s]) * S32[s]
    return w


def combine(S: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(predicted class, confidence = the winner's share of the combined evidence) per row."""
    score = np.tensordot(w.astype(np.float32), S, axes=1)
    total = score.sum(1)
    pred = score.argmax(1)
    conf = np.divide(score[np.arange(len(pred)), pred], total, out=np.zeros(len(pred)), where=total > 0)
    return pred, conf
