"""Search over models: every match ranked, not a first batch of them (SQLite FTS5 for words of ids and of tasks
and tags, indexes on the id and on the name part for exact and prefix matches, all case-insensitive as the Hub
resolves ids).

Ranking, in order:
1. real models before placeholders (ids the data names as parents but does not hold), so a placeholder comes
   first only when nothing real matches; the model an old id names now (an alias), the models of an
   account the query names and a whole namespaced id typed as it is ("sentence-transformers/LaBSE", as a
   row of the type-ahead gives it) count as real whatever the data holds of them;
2. the exact id (case-insensitive); then the model an old un-namespaced id names now (an alias,
   ``core.store.legacy_ids``); then, for a query that names an account people use (``is_account``), that
   account's models, most downloaded first, placeholders among them ("sentence-transformers" lists
   sentence-transformers/* before sentence-transformers-testing/*); then matches of the id or name; then
   the task and tag matches ("sentiment" finds models tagged sentiment-analysis);
3. within the matches of the id or name, a score weighing exactness against popularity: ``log10(downloads +
   1)`` plus 3 for a name that is the query, 1.5 for an id or name that starts with it, 0.5 for words of the
   id, 0.25 more when spelled as typed (case included). So a bare word ("llama") gives the most downloaded
   match, not a junk repository named exactly that, while a full name ("Llama-2-7b-hf") gives the popular
   model of that name;
4. then models without a download count last, then by id.

The window's Enter selects the first of this ranking, so what the type-ahead lists first, what ``hubatlas
search`` prints first and what Enter selects are one model.

Removed models (gone from the Hub) are not searched. A query is cut at MAX_QUERY_CHARS, its repeated words
count once and at most MAX_WORDS are searched, so no text costs more than a short query.

Each source reads only its best ``limit`` (ordered and
cut by SQLite by downloads, which the score is monotone in within a source), so a query matching 10^5 models
costs what sorting them in SQLite costs, not building them all in Python."""

from __future__ import annotations

import heapq
import math
import re
import sqlite3

_TOKEN = re.compile(r"\w+", re.UNICODE)
# the name part of an id, as the index `models_name_nocase` has it (the same expression, to be used)
NAME_SQL = "substr(m.id, instr(m.id, '/') + 1)"
COLS = "m.id, m.author, m.pipeline_tag, m.downloads, m.placeholder"
LIVE = "m.removed_at IS NULL"


MAX_QUERY_CHARS = 200  # a Hub id is at most 96 characters a part: longer text is cut
MAX_WORDS = 12  # distinct words of a query searched at most
MAX_LIMIT = 10_000  # results returned at most


def fts_query(text: str) -> str | None:
    """An FTS5 query for type-ahead text: every word must start a token of the id or author, except one-letter
    words, whose prefix expands to most of the index: a finished one must match a token exactly, and one still
    being typed is left out while other words narrow the search."""
    tokens = list(dict.fromkeys(_TOKEN.findall(text.lower())))  # a repeated word narrows nothing
    if not tokens:
        return None
    if len(tokens) > MAX_WORDS:  # more words than any id has: the first ones decide
        tokens = tokens[: MAX_WORDS - 1] + tokens[-1:]
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


MIN_ACCOUNT_DOWNLOADS = 1_000  # an account whose models people use (as legacy_ids.MIN_DOWNLOADS) ...
MIN_ACCOUNT_CHILDREN = 5  # ... or whose models this many name as their parent (known only as parents)


def is_account(conn: sqlite3.Connection, text: str) -> bool:
    """Whether the query names an account people use: one of its models has MIN_ACCOUNT_DOWNLOADS downloads,
    or MIN_ACCOUNT_CHILDREN edges name its models as parents (the 2024-07 snapshot knows every
    sentence-transformers model only as a parent). A junk account that shares a popular word ("whisper/…",
    0 downloads) is not one, so "whisper" still gives openai/whisper-small first."""
    if not text or "/" in text:
        return False
    lo, hi = text + "/", text + "/\U0010ffff"
    used = conn.execute(
        f"SELECT 1 FROM models m WHERE m.id >= ? COLLATE NOCASE AND m.id < ? COLLATE NOCASE AND {LIVE} "
        "AND m.downloads >= ? LIMIT 1",
        (lo, hi, MIN_ACCOUNT_DOWNLOADS),
    ).fetchone()
    if used:
        return True
    spelled = {  # the account as the data spells it (edges are indexed by the exact parent id)
        r[0].partition("/")[0]
        for r in conn.execute(
            "SELECT id FROM models WHERE id >= ? COLLATE NOCASE AND id < ? COLLATE NOCASE LIMIT 20", (lo, hi)
        )
    }
    named = 0
    for acct in sorted(spelled):
        named += conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM edges WHERE parent >= ? AND parent < ? LIMIT ?)",
            (acct + "/", acct + "/\U0010ffff", MIN_ACCOUNT_CHILDREN),
        ).fetchone()[0]
    return named >= MIN_ACCOUNT_CHILDREN


def _account(conn: sqlite3.Connection, text: str, limit: int) -> list[tuple]:
    """The account's ``limit`` most downloaded models, placeholders among them (the order of ``rank_key``
    within the account: downloads; of those with none known, the most named as a parent first; then id)."""
    lo, hi = text + "/", text + "/\U0010ffff"
    return conn.execute(
        f"SELECT {COLS} FROM models m WHERE m.id >= ? COLLATE NOCASE AND m.id < ? COLLATE NOCASE AND {LIVE} "
        f"ORDER BY max(coalesce(m.downloads, 0), 0) DESC, m.downloads IS NULL, {NAMED_SQL} DESC, m.id LIMIT ?",
        (lo, hi, limit),
    ).fetchall()


# how many edges name a model as their parent, for a model without a download count (else 0)
NAMED_SQL = (
    "CASE WHEN m.downloads IS NULL THEN (SELECT count(*) FROM edges e WHERE e.parent = m.id) ELSE 0 END"
)


def named_counts(conn: sqlite3.Connection, ids: list[str]) -> dict[str, int]:
    """Edges naming each of ``ids`` as their parent (the popularity of a model known only as a parent)."""
    out: dict[str, int] = {}
    for i in range(0, len(ids), 500):
        part = ids[i : i + 500]
        marks = ",".join("?" * len(part))
        out.update(
            conn.execute(
                f"SELECT parent, count(*) FROM edges WHERE parent IN ({marks}) GROUP BY parent", part
            ).fetchall()
        )
    return out


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


def _alias(conn: sqlite3.Connection, text: str) -> list[tuple]:
    """The model an old un-namespaced id (an alias) names now."""
    return conn.execute(
        f"SELECT {COLS} FROM aliases a JOIN models m ON m.id = a.canonical WHERE a.alias = ? AND {LIVE}",
        (text,),
    ).fetchall()


def _tagged(conn: sqlite3.Connection, text: str, limit: int) -> list[tuple]:
    """The ``limit`` most downloaded models whose task or tags hold every word of the text."""
    q = fts_query(text)
    if not q:
        return []
    return conn.execute(
        f"SELECT {COLS} FROM models_tags_fts f JOIN models m ON m.rowid = f.rowid "
        f"WHERE models_tags_fts MATCH ? AND {LIVE} ORDER BY {ORDER} LIMIT ?",
        (q, limit),
    ).fetchall()


EXACT_NAME, PREFIX, WORDS, AS_TYPED = 3.0, 1.5, 0.5, 0.25  # the score's bonuses (see the module's text)


def rank_key(
    mid: str,
    downloads: int | None,
    placeholder: int,
    text: str,
    tier_hint: int,
    account: bool = False,
    named: int = 0,
) -> tuple:
    """The sort key of one match (smaller first). ``tier_hint``: 0 for an alias's canonical model, 1 for a
    match of the id's words, 2 for a match of the task or tag words only. ``account``: the text names an
    account people use (``is_account``): its models come right after the exact id and the alias; those of
    them without a download count are ordered by ``named``, the edges naming them as a parent."""
    low, i = text.lower(), mid.lower()
    owner, sep, name = i.partition("/")
    name = name if sep else i
    spelled = mid == text or mid.partition("/")[2] == text
    own = account and sep and owner == low
    if i == low:
        tier, bonus = 0, EXACT_NAME
    elif tier_hint == 0:
        tier, bonus = 1, EXACT_NAME
    elif own:  # the account's own models, most downloaded first
        tier, bonus, spelled = 2, 0.0, False
    elif name == low:
        tier, bonus = 3, EXACT_NAME
    elif i.startswith(low) or name.startswith(low):
        tier, bonus = 3, PREFIX
    elif tier_hint == 1:
        tier, bonus = 3, WORDS
    else:
        tier, bonus = 4, 0.0
    score = bonus + (AS_TYPED if spelled else 0.0) + math.log10(max(downloads or 0, 0) + 1)
    # an old id's canonical model, an account's models and a full id typed (or picked from the type-ahead)
    # come first even where the data knows them only as parents (placeholders)
    counts_as_real = tier_hint == 0 or own or (tier == 0 and sep)
    popular = -named if own and downloads is None else 0
    return bool(placeholder) and not counts_as_real, tier, -score, downloads is None, popular, mid


def search(conn: sqlite3.Connection, text: str, limit: int = 20) -> list[dict]:
    """The ``limit`` best matches of ``text`` (see the module's ranking)."""
    limit = min(max(1, int(limit)), MAX_LIMIT)
    text = text.strip()[:MAX_QUERY_CHARS].strip()
    if not text:
        return []
    # Each source gives its own best ``limit`` in the order the score keeps within it (placeholders last,
    # then by downloads, then id), so the ``limit`` best of their union are the ``limit`` best of every match.
    # Task and tag words rank below every real match of the id, so they are read only when those are too few.
    hint: dict[str, int] = {}
    found: dict[str, tuple] = {}
    sources = [
        (_alias(conn, text), 0),
        (_exact(conn, text), 1),
        (_prefixed(conn, text, limit), 1),
        (_words(conn, text, limit), 1),
    ]
    account = is_account(conn, text)
    if account:  # its own models (the id range "<text>/...", most downloaded first)
        sources.append((_account(conn, text, limit), 1))
    for rows, tier in sources:
        for r in rows:
            found.setdefault(r[0], r)
            hint[r[0]] = min(hint.get(r[0], 3), tier)
    if sum(1 for r in found.values() if not r[4]) < limit:
        for r in _tagged(conn, text, limit):
            found.setdefault(r[0], r)
            hint.setdefault(r[0], 2)
    low = text.lower() + "/"
    named = named_counts(conn, [m for m, r in found.items() if r[3] is None and m.lower().startswith(low)])
    best = heapq.nsmallest(
        limit,
        found.values(),
        key=lambda r: rank_key(r[0], r[3], r[4], text, hint[r[0]], account, named.get(r[0], 0)),
    )
    return [
        {"id": mid, "author": author, "pipeline_tag": tag, "downloads": dl, "placeholder": bool(ph)}
        for mid, author, tag, dl, ph in best
    ]
