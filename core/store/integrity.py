"""Noticing a damaged database even where no query would touch the damage, without checking it on every open.

hubatlas's own writers record the database file's size and modification time when they close
(``atlas.sqlite.verified``). A file whose size or time differs from the record was changed by something else
(a crash mid-write, a disk error, a copy, a stray ``dd``): it gets SQLite's ``PRAGMA quick_check`` (about 5 s
for the 575K-model real atlas on a 2-core VM) before anything reads it, and a passing check is recorded so
the next open is free again. A damaged file is reported with how to recover; nothing is changed in it.

Only SQLite's own verdict on the file may call it damaged. A check that could not run, or could not read a
page (``unable to get the page. error code=7`` is a row of the check's result when memory runs out mid-check;
code 10 is an I/O error), is CheckNotRun: it says what ran out and that nothing says the atlas is damaged.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
from pathlib import Path

from hubatlas.core.common import atomic
from hubatlas.core.common.resources import OUT_OF_MEMORY, sqlite_not_run, what_ran_out
from hubatlas.core.common.text import printable

SUFFIX = ".verified"
_ERROR_CODE = re.compile(r"error code=(\d+)")


class CacheDamaged(RuntimeError):
    """The database failed its integrity check."""


class CheckNotRun(RuntimeError):
    """The integrity check could not run to its end (memory, a read error, a busy file): no verdict."""

    def __init__(self, where: object, what: str, detail: object):
        super().__init__(
            f"the atlas cache {printable(where)} could not be checked: {what} ({printable(detail, 200)}). "
            "Nothing was changed and nothing says it is damaged: run the same command again."
        )
        self.what = what


def not_run(problems: list[str]) -> str | None:
    """What stopped the check, when its result rows report a page it could not get for want of a resource
    (``unable to get the page. error code=7``), else None: the rows are SQLite's verdict on the file."""
    for row in problems:
        for code in _ERROR_CODE.findall(row):
            what = sqlite_not_run(int(code))
            if what is not None:
                return what
    return None


def damaged_message(where: object, detail: object) -> str:
    return (
        f"the atlas cache {printable(where)} is damaged ({printable(detail, 200)}). Nothing was changed; "
        "rebuild it with `hubatlas sync` or `hubatlas import` into a new --cache directory (the damaged "
        "file can be kept for inspection)."
    )


def fingerprint(db: Path) -> dict:
    st = os.stat(db)
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _record_path(db: Path) -> Path:
    return db.with_name(db.name + SUFFIX)


def recorded(db: Path) -> dict | None:
    try:
        d = json.loads(_record_path(db).read_text(encoding="utf-8"))
        return {"size": d["size"], "mtime_ns": d["mtime_ns"]}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def record(db: Path, fp: dict | None = None) -> None:
    """Note the file as it is now (or as ``fp`` saw it) as known good; silently skipped on a read-only cache."""
    with contextlib.suppress(OSError):
        atomic.write_text(_record_path(db), json.dumps(fp or fingerprint(db)))


def needs_check(db: Path) -> bool:
    return recorded(db) != fingerprint(db)


def intact(db: Path) -> bool | None:
    """Whether the database passes SQLite's quick check now (read-only; None when it cannot be run)."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
            problems = [r[0] for r in conn.execute("PRAGMA quick_check(3)").fetchall()]
    except (sqlite3.Error, OSError, MemoryError):
        return None
    return None if not_run(problems) else problems == ["ok"]


def check(conn: sqlite3.Connection, db: Path) -> None:
    """SQLite's quick check of every page; CacheDamaged when it finds anything, CheckNotRun when it could not
    run or read a page for want of memory or a working disk (no verdict). Records the file as good
    (as it was before the check began: a change made meanwhile is checked next time)."""
    fp = fingerprint(db)
    try:
        problems = [r[0] for r in conn.execute("PRAGMA quick_check(3)").fetchall()]
    except MemoryError:
        raise CheckNotRun(db.parent, OUT_OF_MEMORY, "SQLite: out of memory") from None
    except sqlite3.DatabaseError as e:  # the check itself could not run: the disk or memory, not the file
        what = what_ran_out(e) or sqlite_not_run(getattr(e, "sqlite_errorcode", None))
        if what is not None:
            raise CheckNotRun(db.parent, what, e) from None
        raise CacheDamaged(damaged_message(db.parent, e)) from None
    what = not_run(problems)
    if what is not None:  # the row that says so, not the pages it then could not account for
        lines = "\n".join(problems).splitlines()
        raise CheckNotRun(db.parent, what, next(x for x in lines if _ERROR_CODE.search(x)))
    if problems != ["ok"]:
        raise CacheDamaged(damaged_message(db.parent, "; ".join(problems)))
    record(db, fp)
