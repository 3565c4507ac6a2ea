"""Prefix full-text search over model ids and authors (SQLite FTS5)."""
from __future__ import annotations

import re
import sqlite3

_TOKEN = re.compile(r"\w+", re.UNICODE)
# Bound on FTS matches ranked by downloads: keeps a common prefix ("a") fast on 2M models.
CANDIDATES = 4000


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


def search(conn: sqlite3.Connection, text: str, limit: int = 20) -> list[dict]:
    """Exact id first; then, for ``namespace/name`` text, ids starting with it; otherwise ids and authors
    with a token starting with each word, most downloaded first, placeholders last."""
    limit = max(1, int(limit))
    text = text.strip()
    out: list[dict] = []
    seen: set[str] = set()
    cols = "m.id, m.author, m.pipeline_tag, m.downloads, m.placeholder"
    exact = conn.execute(f"SELECT {cols} FROM models m WHERE m.id=?", (text,)).fetchone()
    rows = [exact] if exact else []
    if "/" in text or len(text) == 1:
        # "namespace/name..." (or a single character) is an id prefix: a range scan of the id index
        rows += conn.execute(f"SELECT {cols} FROM models m WHERE m.id >= ? AND m.id < ? ORDER BY m.id LIMIT ?",
                             (text, text + "\U0010ffff", limit + 1)).fetchall()
    q = fts_query(text) if len(rows) == 0 else None
    if q:
        rows += conn.execute(
            f"SELECT {cols} FROM (SELECT rowid FROM models_fts WHERE models_fts MATCH ? LIMIT {CANDIDATES}) f "
            "JOIN models m ON m.rowid = f.rowid "
            "ORDER BY m.placeholder, coalesce(m.downloads, -1) DESC, m.id LIMIT ?",
            (q, limit + 1),
        ).fetchall()
    for mid, author, tag, dl, ph in rows:
        if mid in seen:
            continue
        seen.add(mid)
        out.append({"id": mid, "author": author, "pipeline_tag": tag, "downloads": dl, "placeholder": bool(ph)})
        if len(out) >= limit:
            break
    return out
