"""Search over model ids: every match ranked, not a first batch of them (SQLite FTS5 for words, indexes on the
id and on the name part for exact and prefix matches, all case-insensitive as the Hub resolves ids).

Ranking: the exact id first; then models whose name (the part after ``/``) is the query; then ids or names
that start with it; then every other match; within each group the spelling typed (case included) first, then
real models before placeholders, most downloaded first, then by id. Removed models (gone from the Hub) are not
searched. Only the best ``limit`` of each source are read, ordered and cut by SQLite (see ``search``), so a
query matching 10^5 models costs what sorting them in SQLite costs, not building them all in Python."""

from __future__ import annotations

import heapq
import re
import sqlite3

_TOKEN = re.compile(r"\w+", re.UNICODE)
# the name part of an id, as the index `models_name_nocase` has it (the same expression, to be used)
NAME_SQL = "substr(m.id, instr(m.id, '/') + 1)"
COLS = "m.id, m.author, m.pipeline_tag, m.downloads, m.placeholder"
LIVE = "m.removed_at IS NULL"


def fts_query(text: str) -> str | None:
    """An FTS5 query for type-ahead text: every word must start a token of the id or author, except one-letter
    words, whose prefix expands to most of the index: a finished one must match a token exactly, and one still
    being typed is left out while other words narrow the search."""
    tokens = _TOKEN.findall(text.lower())
    if not tokens:
        return None
    typing = None if not text[-1:].isalnum() else tokens.pop()
    parts = [f'"{t}"*' if len(t) > 1 else f'"{t}"' for t in tokens]
    if typing is not None and (len(typing) > 1 or not parts):
        parts.append(f'"{typing}"*')
    return " AND ".join(parts)


ORDER = "m.placeholder, m.downloads IS NULL, m.downloads DESC, m.id"  # the ranking within a group, in SQL


def _exact(conn: sqlite3.Connection, text: str) -> list[tuple]:
    """The model whose id is the text, and (for text without a namespace) those whose name is."""
    rows = conn.execute(
        f"SELECT {COLS} FROM models m WHERE m.id = ? COLLATE NOCASE AND {LIVE}", (text,)
    ).fetchall()
    if "/" not in text:
        rows += conn.execute(
            f"SELECT {COLS} FROM models m WHERE {NAME_SQL} = ? COLLATE NOCASE AND {LIVE}", (text,)
        ).fetchall()
    return rows


def _prefixed(conn: sqlite3.Connection, text: str, limit: int) -> list[tuple]:
    """The ``limit`` best models whose id, and those whose name, starts with the text: ranges of the
    case-insensitive indexes, ordered and cut in SQLite (a namespace prefix can hold 10^5 models)."""
    hi = text + "\U0010ffff"
    rows = conn.execute(
        f"SELECT {COLS} FROM models m WHERE m.id >= ? COLLATE NOCASE AND m.id < ? COLLATE NOCASE "
        f"AND {LIVE} ORDER BY {ORDER} LIMIT ?",
        (text, hi, limit),
    ).fetchall()
    if "/" not in text:
        rows += conn.execute(
            f"SELECT {COLS} FROM models m WHERE {NAME_SQL} >= ? COLLATE NOCASE AND {NAME_SQL} < ? "
            f"COLLATE NOCASE AND {LIVE} ORDER BY {ORDER} LIMIT ?",
            (text, hi, limit),
        ).fetchall()
    return rows


def _words(conn: sqlite3.Connection, text: str, limit: int) -> list[tuple]:
    """The ``limit`` best full-text matches (every word starts a token of the id or author)."""
    q = fts_query(text)
    if not q:
        return []
    return conn.execute(
        f"SELECT {COLS} FROM models_fts f JOIN models m ON m.rowid = f.rowid "
        f"WHERE models_fts MATCH ? AND {LIVE} ORDER BY {ORDER} LIMIT ?",
        (q, limit),
    ).fetchall()


def _group(mid: str, low: str) -> int:
    i = mid.lower()
    name = i.partition("/")[2] or i
    if i == low:
        return 0
    if name == low:
        return 1
    if i.startswith(low) or name.startswith(low):
        return 2
    return 3


def search(conn: sqlite3.Connection, text: str, limit: int = 20) -> list[dict]:
    """The ``limit`` best matches of ``text`` (see the module's ranking)."""
    limit = max(1, int(limit))
    text = text.strip()
    if not text:
        return []
    low = text.lower()
    # Each source gives its own best ``limit`` in the order used within a group (placeholders last, then by
    # downloads and id), so the ``limit`` best of their union are the ``limit`` best of every match: groups 0-1
    # come whole from the exact lookups and group 2's best from the prefix ranges. With ``limit`` of those or
    # more, they are the answer; with fewer, they are all of groups 0-2, and the best ``limit`` full-text
    # matches hold at most that many of them, so enough of group 3's best to fill the rest.
    unique = {r[0]: r for r in _exact(conn, text) + _prefixed(conn, text, limit)}
    if len(unique) < limit:
        for r in _words(conn, text, limit):
            unique.setdefault(r[0], r)
    found = list(unique.values())

    def rank(r: tuple) -> tuple:
        spelled = (
            r[0] == text or r[0].partition("/")[2] == text
        )  # as typed, case included, before other cases
        return _group(r[0], low), not spelled, r[4], -(r[3] if r[3] is not None else -1), r[0]

    best = heapq.nsmallest(limit, found, key=rank)
    return [
        {"id": mid, "author": author, "pipeline_tag": tag, "downloads": dl, "placeholder": bool(ph)}
        for mid, author, tag, dl, ph in best
    ]
