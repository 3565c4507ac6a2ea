"""Legacy ids: the Hub moved its original, un-namespaced models under organisations (``bert-base-uncased`` is now
``google-bert/bert-base-uncased``, ``gpt2`` is ``openai-community/gpt2``) and redirects the old ids, while
children still name the old one. Left alone, the old id becomes a placeholder beside the real model and splits
its family in two.

The rule, found in the data rather than a hand list: the moved models kept their original repository, whose
creation date is the Hub's back-filled one (``2022-03-02T23:29:04``, the date every repository older than the
``createdAt`` field carries) and whose name (the part after the ``/``) is the old id. Among the models with that
name and that exact date, the canonical one is the most downloaded, provided it is a real model people use and
nothing else is close: at least ``MIN_DOWNLOADS`` downloads and ``DOMINANCE`` times the runner-up's. Old user
copies carry the same date too (``CoachCarter/distilbert-base-uncased``, 0 downloads), so an id whose
organisation copy is not in the data stays a placeholder instead of joining a copy; so does an ambiguous one.
Where the canonical repository is not in the data at all, the children naming it under its new id still are:
the namespaced id of that name that children name as a parent, clearly more than any other, is taken (see
``_named_canonical``). Resolved ids are kept as aliases: search, ``info`` and the window accept the old id and
show the canonical one (first in search, even where the data knows it only as a parent).
"""

from __future__ import annotations

import sqlite3

from hubatlas.core.common.dates import BACKFILLED

MIN_DOWNLOADS = (
    1_000  # a canonical model is used: every resolved one in the 2024-07 snapshot has 10^5 or more
)
DOMINANCE = 100  # ... and outranks every other candidate by this factor (else the id is ambiguous)
MIN_CHILDREN = 5  # a canonical id the data knows only from its children: this many name it ...
DOMINANCE_CHILDREN = 10  # ... and this many times the runner-up's
NAME_SQL = "substr(m.id, instr(m.id, '/') + 1)"  # the expression the index models_name_nocase holds


def canonical_of(conn: sqlite3.Connection, legacy: str) -> str | None:
    """The model an un-namespaced id names now, or None (not in the data, or ambiguous)."""
    rows = conn.execute(
        f"SELECT m.id, coalesce(m.downloads, 0) FROM models m WHERE {NAME_SQL} = ? COLLATE NOCASE "
        "AND m.placeholder = 0 AND m.removed_at IS NULL AND m.created_at LIKE ? AND instr(m.id, '/') > 0 "
        "ORDER BY 2 DESC, m.id LIMIT 2",
        (legacy, BACKFILLED + "%"),
    ).fetchall()
    if not rows:
        return None  # no original repository of that name: not a moved model ("Llama-2-7b-hf" is a bare name)
    (best, dl), runner = rows[0], rows[1][1] if len(rows) > 1 else 0
    if dl >= MIN_DOWNLOADS:
        return best if dl >= DOMINANCE * runner else None  # two used models of that name: ambiguous
    return _named_canonical(conn, legacy)  # only old copies here: the moved model itself is not in the data


def _named_canonical(conn: sqlite3.Connection, legacy: str) -> str | None:
    """Where the moved model itself is not in the data (the 2024-07 snapshot lacks ``openai-community/gpt2``
    and ``distilbert/distilbert-base-uncased``, though old copies of that name with the back-filled date show
    the name was an original repository), the children that name it under its new id still are: the
    namespaced id of that name that children name as a parent (a placeholder) is the canonical one, when at
    least MIN_CHILDREN name it and it has DOMINANCE_CHILDREN times the runner-up's children."""
    rows = conn.execute(  # parents the data does not hold (placeholders, or not yet made into ones)
        "SELECT e.parent, count(*) AS kids FROM edges e LEFT JOIN models m ON m.id = e.parent "
        "WHERE substr(e.parent, instr(e.parent, '/') + 1) = ? COLLATE NOCASE AND instr(e.parent, '/') > 0 "
        "AND (m.id IS NULL OR m.placeholder = 1) GROUP BY e.parent ORDER BY kids DESC, e.parent LIMIT 2",
        (legacy,),
    ).fetchall()
    if not rows:
        return None
    (best, kids), runner = rows[0], rows[1][1] if len(rows) > 1 else 0
    return best if kids >= MIN_CHILDREN and kids >= DOMINANCE_CHILDREN * runner else None


def resolve_legacy_ids(conn: sqlite3.Connection) -> int:
    """Point every edge that names a legacy id at its canonical model and keep the alias (inside the caller's
    transaction). Returns the number of ids resolved now."""
    legacy = [
        r[0]
        for r in conn.execute(
            "SELECT DISTINCT e.parent FROM edges e LEFT JOIN models m ON m.id = e.parent COLLATE NOCASE "
            "WHERE instr(e.parent, '/') = 0 AND (m.id IS NULL OR m.placeholder = 1)"
        )
    ]
    done = 0
    for old in legacy:
        new = canonical_of(conn, old)
        if new is None:
            continue
        # an edge to the old id becomes one to the new (a child naming both keeps one edge, the first's); the
        # canonical model naming its own old id (`org-self/selfie` tagged `base_model:selfie`) names itself:
        # that edge is dropped as a self-loop, never stored
        conn.execute(
            "INSERT OR IGNORE INTO self_loops (id) SELECT child FROM edges WHERE parent = ? COLLATE NOCASE "
            "AND child = ? COLLATE NOCASE",
            (old, new),
        )
        conn.execute(
            "INSERT OR IGNORE INTO edges (child, parent, relation, source, inferred_relation, confidence) "
            "SELECT child, ?, relation, source, inferred_relation, confidence FROM edges WHERE parent = ? "
            "COLLATE NOCASE AND child <> ? COLLATE NOCASE",
            (new, old, new),
        )
        conn.execute("DELETE FROM edges WHERE parent = ? COLLATE NOCASE", (old,))
        conn.execute(
            "INSERT INTO aliases (alias, canonical) VALUES (?, ?) ON CONFLICT(alias) DO UPDATE SET "
            "canonical = excluded.canonical",
            (old, new),
        )
        done += 1
    return done


def alias_of(conn: sqlite3.Connection, model_id: str) -> str | None:
    """The canonical id an old id stands for (case-insensitive), or None."""
    row = conn.execute("SELECT canonical FROM aliases WHERE alias = ? COLLATE NOCASE", (model_id,)).fetchone()
    return row[0] if row else None
