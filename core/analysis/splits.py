"""Which documented values an evaluation hides: a seeded share of them (split "random"), or every value of a
seeded share of the authors that have any (split "author": nothing of the same author is left to lean on,
as for a newcomer's models)."""

from __future__ import annotations

import numpy as np

SPLITS = ("random", "author")


def hide(data, documented: np.ndarray, rng: np.random.Generator, frac: float, split: str) -> np.ndarray:
    """The documented nodes to hide, sorted: a seeded ``frac`` of them (split "random"), or every documented
    value of a seeded ``frac`` of the authors that have any (split "author")."""
    if split == "author":
        who = np.unique(data.author[documented])
        chosen = rng.choice(who, size=share(frac, len(who)), replace=False) if len(who) else who
        return np.sort(documented[np.isin(data.author[documented], chosen)])
    if split != "random":
        raise ValueError(f"unknown split {split!r} (one of {', '.join(SPLITS)})")
    return np.sort(rng.choice(documented, size=share(frac, len(documented)), replace=False))


def share(frac: float, n: int) -> int:
    """``frac`` of ``n`` items, at least one of a non-empty set and never more than all."""
    return min(n, max(1, round(frac * n))) if n else 0
