"""Bootstrap margins of evaluation figures: the held-out rows are resampled with replacement (seeded) and the
figure recomputed; the 2.5th and 97.5th percentiles are its 95% interval."""

from __future__ import annotations

import numpy as np

DRAWS = 200


def interval(right: np.ndarray, rng: np.random.Generator, draws: int = DRAWS) -> list[float] | None:
    """95% interval of the mean of the 0/1 array ``right`` (None when empty)."""
    right = np.asarray(right, np.float64)
    if not len(right):
        return None
    means = np.empty(draws)
    for i in range(draws):
        means[i] = right[rng.integers(0, len(right), len(right))].mean()
    lo, hi = np.percentile(means, [2.5, 97.5])
    return [round(float(lo), 4), round(float(hi), 4)]


def per_class(
    pred: np.ndarray, truth: np.ndarray, labels, rng: np.random.Generator, draws: int = DRAWS
) -> dict[str, dict]:
    """Per class: precision, recall, support and the 95% bootstrap interval of each (resampling rows)."""
    n = len(truth)
    idx = [rng.integers(0, n, n) for _ in range(draws)] if n else []
    out = {}
    for k, name in enumerate(labels):
        p, t = pred == k, truth == k
        boot_p, boot_r = [], []
        for ix in idx:
            tp = float((p[ix] & t[ix]).sum())
            if p[ix].any():
                boot_p.append(tp / p[ix].sum())
            if t[ix].any():
                boot_r.append(tp / t[ix].sum())
        tp = int((p & t).sum())
        out[name] = {
            "precision": _ratio(tp, int(p.sum())),
            "recall": _ratio(tp, int(t.sum())),
            "support": int(t.sum()),
            "predicted": int(p.sum()),
            "precision_95": _pct(boot_p),
            "recall_95": _pct(boot_r),
        }
    return out


def _pct(values: list[float]) -> list[float] | None:
    if len(values) < 10:
        return None
    lo, hi = np.percentile(values, [2.5, 97.5])
    return [round(float(lo), 4), round(float(hi), 4)]


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None
