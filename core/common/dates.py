"""Dates as the atlas keeps them: days since 1970-01-01, and the Hub's back-filled creation date. The Hub
gave every repository older than its `createdAt` field the same date, 2022-03-02T23:29:04Z: such a model was
created *before* 2022-03, on a day nobody recorded, so it is never shown or counted as that day."""

from __future__ import annotations

import re

import numpy as np

from hubatlas.core.common.text import shown

EPOCH = np.datetime64("1970-01-01", "D")
BACKFILLED = "2022-03-02T23:29:04"  # the Hub's createdAt for repositories older than the field
BACKFILLED_DAY = int((np.datetime64("2022-03-02", "D") - EPOCH).astype(int))
BACKFILLED_TEXT = "before 2022-03"
HUB_BEGAN = "2016-01-01"  # a creation date before this (the Hub held no models) is a broken record
FIRST_YEAR, LAST_YEAR = 1970, 2199  # the dates a person may ask for: views, filters, time-lapses
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}(-[0-9]{2})?")


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


def parse_date(text: str) -> int:
    """A date a person gives (``YYYY-MM-DD``, or ``YYYY-MM`` for its first day) as days since 1970. Anything
    else is a ValueError that names the value: words NumPy would take (``today``, ``NaT``), times, signs and
    years outside FIRST_YEAR to LAST_YEAR (``-200000-01-01``), days that do not exist (``2024-02-30``)."""
    t = text.strip() if isinstance(text, str) else ""
    if not _DATE.fullmatch(t):
        raise ValueError(f"not a date: {shown(text)} (use YYYY-MM-DD or YYYY-MM)")
    if not FIRST_YEAR <= int(t[:4]) <= LAST_YEAR:
        raise ValueError(f"date {shown(text)} is out of range (years {FIRST_YEAR} to {LAST_YEAR})")
    try:
        d = np.datetime64(t, "D")
    except ValueError:
        raise ValueError(f"not a date: {shown(text)} (no such day)") from None
    if str(d)[: len(t)] != t:  # NumPy rolls 2024-02-30 over instead of refusing it
        raise ValueError(f"not a date: {shown(text)} (no such day)")
    return int((d - EPOCH).astype(np.int64))
