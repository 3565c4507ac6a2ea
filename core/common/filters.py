"""What a view shows: the map's filters and the mask they make over the models.

One definition for the window (its shader applies the same rules), exports and `hubatlas labels --filter`:
the documented values each field may have (a set of dictionary codes, or None for any), a downloads range,
a creation-date range and whether undated models stay while a date range is set. Filters of different
fields combine with AND; the values of one field with OR.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass

import numpy as np

from hubatlas.core.common.dates import BACKFILLED_DAY, parse_date
from hubatlas.core.common.fields import FILTERED
from hubatlas.core.common.text import shown as shown_text

EPOCH = np.datetime64("1970-01-01", "D")


@dataclass
class Filters:
    """The filters of one view (see the module's text); days are days since 1970, None = open."""

    values: dict[str, frozenset[int] | None]
    min_downloads: int = 0
    max_downloads: int = 0
    since_day: int | None = None
    as_of_day: int | None = None
    hide_undated: bool = False

    def __post_init__(self) -> None:
        self.values = {f: _codes(self.values.get(f)) for f in FILTERED} | {
            k: _codes(v) for k, v in self.values.items() if k not in FILTERED
        }

    @classmethod
    def none(cls) -> Filters:
        return cls({f: None for f in FILTERED})

    @property
    def dated(self) -> bool:
        return self.since_day is not None or self.as_of_day is not None

    @property
    def active(self) -> bool:
        return (
            any(v is not None for v in self.values.values())
            or self.min_downloads > 0
            or self.max_downloads > 0
            or self.dated
        )

    def key(self) -> tuple:
        """A hashable key of these filters (a cache key for what they show)."""
        values = tuple(sorted((k, None if v is None else tuple(sorted(v))) for k, v in self.values.items()))
        return (
            values,
            self.min_downloads,
            self.max_downloads,
            self.since_day,
            self.as_of_day,
            self.hide_undated,
        )

    def keeps_undated(self) -> bool:
        return not self.hide_undated and self.since_day is None


def _codes(v) -> frozenset[int] | None:
    """A filter's values as a set of codes (None, or an empty set: any value)."""
    if v is None:
        return None
    got = frozenset(int(c) for c in ((v,) if isinstance(v, (int, np.integer)) else v))
    return got or None


def filter_mask(
    f: Filters,
    doc: dict[str, np.ndarray],
    day: np.ndarray,
    downloads: np.ndarray,
    nodes: np.ndarray | None = None,
) -> np.ndarray | None:
    """The filters as a boolean mask over all models, or over ``nodes`` (None: nothing filtered).
    ``doc[field]`` holds each model's documented code, ``day`` its creation day (< 0: undated)."""
    if not f.active:
        return None
    sel = slice(None) if nodes is None else nodes
    day, downloads = day[sel], downloads[sel]
    m = np.ones(len(day), dtype=bool)
    for name, codes in f.values.items():
        if codes is not None:
            m &= np.isin(doc[name][sel], list(codes))
    if f.min_downloads > 0:
        m &= downloads >= f.min_downloads
    if f.max_downloads > 0:
        m &= downloads <= f.max_downloads
    if f.dated:
        lo = -np.inf if f.since_day is None else f.since_day
        hi = np.inf if f.as_of_day is None else f.as_of_day
        # the back-filled day means "created before 2022-03": unknown to a view as of an earlier day
        unknown = (day < 0) | ((day == BACKFILLED_DAY) & (day > hi))
        m &= (~unknown & (day >= lo) & (day <= hi)) | (unknown & f.keeps_undated())
    return m


def snapshot_mask(snap, f: Filters) -> np.ndarray | None:
    """:func:`filter_mask` over a snapshot's own columns (a missing value: its field's code ``len(labels)``)."""
    doc = {}
    for name, codes in f.values.items():
        if codes is not None:
            c, labels = snap.codes(name)
            doc[name] = np.where(c >= 0, c, len(labels))
    day = snap.column("created_day").astype(np.int64)
    return filter_mask(f, doc, day, snap.column("downloads").astype(np.float64))


def parse_day(text: str) -> int:
    """``YYYY-MM-DD`` or ``YYYY-MM`` (its first day) as days since 1970, strictly (see
    :func:`hubatlas.core.common.dates.parse_date`); ValueError names the value and says what was wrong."""
    return parse_date(text)


def split_values(spec: str, rest: str) -> list[str]:
    """The VALUEs of ``FIELD=VALUE[,VALUE...]``: commas separate them; a value holding a comma is quoted
    (``license="cc,by,4.0"``) or has it escaped (``license=cc\\,by\\,4.0``; ``\\\\`` is a backslash), as in CSV."""
    try:
        values = next(csv.reader([rest], quotechar='"', escapechar="\\", strict=True), [])
    except csv.Error as e:
        raise ValueError(
            f"bad --filter {shown_text(spec)}: {e}; quote a value that holds a comma "
            '(FIELD="a,b") or escape it (FIELD=a\\,b)'
        ) from None
    if not values:
        raise ValueError(f"bad --filter {shown_text(spec)}: no VALUE after the '='")
    return values


def parse_values(specs: list[str] | None, snap) -> dict[str, frozenset[int] | None]:
    """``FIELD=VALUE[,VALUE...]`` specs (repeatable): the values of one field are alternatives (OR), filters
    of different fields all apply (AND); a value holding a comma is quoted or escaped (:func:`split_values`).
    A field or value no model has is a ValueError that says so."""
    values: dict[str, set[int]] = {}
    for spec in specs or []:
        field, sep, rest = spec.partition("=")
        if not sep or field not in FILTERED:
            raise ValueError(
                f"bad --filter {shown_text(spec)}: use FIELD=VALUE[,VALUE...] with FIELD one of {', '.join(FILTERED)}"
            )
        _, labels = snap.codes(field)
        for value in split_values(spec, rest):
            if value not in labels:
                raise ValueError(f"--filter {shown_text(spec)}: no model has {field} = {shown_text(value)}")
            values.setdefault(field, set()).add(labels.index(value))
    return {name: frozenset(values[name]) if name in values else None for name in FILTERED}


__all__ = ["Filters", "filter_mask", "parse_day", "parse_values", "snapshot_mask", "split_values"]
