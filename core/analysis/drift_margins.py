"""How sure a drift finding is, and what it should be compared with.

* **Margins**: each finding compares two figures (parents' mean against children's, flows one way against the
  other). The samples behind them are resampled with replacement (a seeded bootstrap of BOOTSTRAP draws) and
  the difference is recomputed: its 95% interval, and the share of draws in which the finding still holds.
  A finding that holds in fewer than STABLE of the draws (or fails in fewer) is said to flip on resampling.
* **Family resemblance**: "siblings are more alike than parent and child" means little without knowing how
  alike any two models of one family are, or any two models at all; the same measure is taken over random
  pairs within a family and random pairs of the whole atlas.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

BOOTSTRAP = 200
STABLE = 0.95  # a finding holding in this share of the draws (or failing in it) is stable


def margin(
    a: np.ndarray, b: np.ndarray | None, rng: np.random.Generator, stat: Callable = np.mean
) -> dict | None:
    """The difference ``stat(a) - stat(b)`` (or ``stat(a)`` alone), its 95% bootstrap interval and the share
    of draws in which it is positive; None without samples."""
    a = np.asarray(a, np.float64)
    if not len(a) or (b is not None and not len(b)):
        return None
    b = None if b is None else np.asarray(b, np.float64)

    def diff(x: np.ndarray, y: np.ndarray | None) -> float:
        return float(stat(x)) - (float(stat(y)) if y is not None else 0.0)

    draws = np.empty(BOOTSTRAP)
    for i in range(BOOTSTRAP):
        x = a[rng.integers(0, len(a), len(a))]
        y = None if b is None else b[rng.integers(0, len(b), len(b))]
        draws[i] = diff(x, y)
    lo, hi = np.percentile(draws, [2.5, 97.5])
    share = float((draws > 0).mean())
    return {
        "difference": round(diff(a, b), 4),
        "interval_95": [round(float(lo), 4), round(float(hi), 4)],
        "holds_in_share_of_draws": round(share, 3),
        "stable": bool(share >= STABLE or share <= 1 - STABLE),
        "draws": BOOTSTRAP,
    }


def family_pairs(family: np.ndarray, nodes: np.ndarray, rng: np.random.Generator, k: int) -> tuple:
    """``k`` random pairs of distinct ``nodes`` of one family (families of one node give none)."""
    if not len(nodes):
        return nodes, nodes
    order = nodes[np.argsort(family[nodes], kind="stable")]
    fam = family[order]
    starts = np.flatnonzero(np.r_[True, fam[1:] != fam[:-1]])
    sizes = np.diff(np.r_[starts, len(order)])
    of = np.repeat(np.arange(len(starts)), sizes)
    eligible = np.flatnonzero(sizes[of] > 1)
    if not len(eligible):
        return nodes[:0], nodes[:0]
    i = rng.choice(eligible, size=k)
    f = of[i]
    j = starts[f] + (i - starts[f] + 1 + rng.integers(0, sizes[f] - 1)) % sizes[f]  # another member
    return order[i], order[j]


def random_pairs(nodes: np.ndarray, rng: np.random.Generator, k: int) -> tuple:
    """Up to ``k`` random pairs of distinct ``nodes``."""
    if len(nodes) < 2:
        return nodes[:0], nodes[:0]
    a, b = rng.choice(nodes, size=k), rng.choice(nodes, size=k)
    return a[a != b], b[a != b]


def same_share(codes: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[float | None, int]:
    """Share of pairs (both values known) with the same value, and how many pairs that is."""
    known = (codes[a] >= 0) & (codes[b] >= 0)
    n = int(known.sum())
    return (round(float((codes[a][known] == codes[b][known]).mean()), 4) if n else None), n


__all__ = ["BOOTSTRAP", "STABLE", "family_pairs", "margin", "random_pairs", "same_share"]
