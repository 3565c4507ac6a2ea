"""Dates as the atlas keeps them: days since 1970-01-01, and the Hub's back-filled creation date. The Hub
gave every repository older than its `createdAt` field the same date, 2022-03-02T23:29:04Z: such a model was
created *before* 2022-03, on a day nobody recorded, so it is never shown or counted as that day."""

from __future__ import annotations

import numpy as np

EPOCH = np.datetime64("1970-01-01", "D")
BACKFILLED = "2022-03-02T23:29:04"  # the Hub's createdAt for repositories older than the field
BACKFILLED_DAY = int((np.datetime64("2022-03-02", "D") - EPOCH).astype(int))
BACKFILLED_TEXT = "before 2022-03"
HUB_BEGAN = "2016-01-01"  # a creation date before this (the Hub held no models) is a broken record


def day_of(date: str) -> int:
    """Days since 1970-01-01 of an ISO date (YYYY-MM-DD...)."""
    return int((np.datetime64(date[:10], "D") - EPOCH).astype(int))


def day_text(day: float | None) -> str:
    """A day as people read it: the date, "before 2022-03" for the back-filled day, "unknown" for none."""
    if day is None or not np.isfinite(day) or day < 0:
        return "unknown"
    if int(day) == BACKFILLED_DAY:
        return BACKFILLED_TEXT
    return str(EPOCH + np.timedelta64(int(day), "D"))


def is_backfilled(created_at: str | None) -> bool:
    return created_at is not None and created_at.startswith(BACKFILLED[:16])
