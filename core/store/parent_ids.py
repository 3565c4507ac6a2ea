"""Parent ids as the Hub resolves them: case-insensitively. Records spell a parent as their authors typed it
(``meta-llama/llama-3.1-8b``); edges are respelled to the model they name, so one model is one node."""

from __future__ import annotations

import sqlite3


def resolve_parent_case(c: sqlite3.Connection) -> int:
    """Spell every parent as the model it names, case-insensitively (the Hub resolves ids so): an edge to
    ``meta-llama/llama-3.1-8b`` goes to ``meta-llama/Llama-3.1-8B`` when that model is in the atlas; parents
    known only by id that differ in case become one spelling. The placeholders of the spellings no edge uses
    any more are left to the caller (Store.add_placeholders removes every placeholder no edge names).
    Returns how many parent ids changed."""
    unknown = [
        p
        for (p,) in c.execute(
            "SELECT DISTINCT e.parent FROM edges e LEFT JOIN models m ON m.id = e.parent "
            "WHERE m.id IS NULL OR m.placeholder = 1"
        )
    ]
    respell: dict[str, str] = {}
    first: dict[str, str] = {}
    for p in sorted(unknown):
        real = c.execute(
            "SELECT id FROM models WHERE id = ? COLLATE NOCASE AND placeholder = 0 ORDER BY rowid LIMIT 1",
            (p,),
        ).fetchone()
        canon = real[0] if real else first.setdefault(p.lower(), p)
        if canon != p:
            respell[p] = canon
    for old, new in respell.items():
        c.execute("UPDATE OR IGNORE edges SET parent=? WHERE parent=?", (new, old))
        c.execute("DELETE FROM edges WHERE parent=?", (old,))  # a child already had the right spelling
    return len(respell)
