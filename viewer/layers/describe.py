"""A model described in words for the window (plain text: every value comes from untrusted metadata and is
shown, never interpreted): the hover tooltip's lines and the details panel's lines. No Qt."""

from __future__ import annotations

import json

from hubatlas.core.common.dates import BACKFILLED_TEXT, day_text, is_backfilled
from hubatlas.core.common.text import printable


def count(n: int | None, noun: str, plural: str | None = None) -> str:
    """``1 download``, ``2 downloads``, ``unknown downloads``."""
    if n is None or n < 0:
        return f"unknown {plural or noun + 's'}"
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def _text(v: object, limit: int = 200) -> str:
    return printable("-" if v is None else v, limit)


def hover_lines(model, node: int) -> list[str]:
    """The tooltip of a model: id, task, library, licence, downloads, likes, created, relation to its parent."""
    nodes = model.snap.nodes

    def value(col: str):
        return nodes.column(col)[node].as_py()

    rel = value("relation")
    task = _text(value("pipeline_tag"))
    guess = model.predicted_for(node).get("pipeline_tag") if value("pipeline_tag") is None else None
    if guess:
        task += f" (predicted: {_text(guess[0])})"
    lines = [_text(model.model_id(node))]
    if value("placeholder"):
        lines.append("a placeholder: named as a parent, not in the data")
    return [
        *lines,
        f"task: {task} · library: {_text(value('library_name'))}",
        f"licence: {_text(value('license'))}",
        f"{count(value('downloads'), 'download')} · {count(value('likes'), 'like')}",
        f"created: {day_text(value('created_day'))}",
        "no parent in the data" if rel in (None, "none") else f"relation to its parent: {_text(rel)}",
    ]


DETAIL_FIELDS = (
    "author",
    "modality",
    "pipeline_tag",
    "library_name",
    "license",
    "languages",
    "downloads",
    "likes",
    "created_at",
    "last_modified",
    "gated",
    "card_length",
    "source",
)


def detail_lines(rec: dict, predicted: dict | None = None) -> list[str]:
    """Every stored field of a record, its parents, children and tags, and the raw record."""
    lines = []
    for k in DETAIL_FIELDS:
        v = rec.get(k)
        if isinstance(v, list):
            v = ", ".join(map(str, v))
        elif isinstance(v, int) and not isinstance(v, bool):
            v = f"{v:,}"  # counts read as the panels print them: 23,711,362
        if k == "created_at" and isinstance(v, str) and is_backfilled(v):
            v = f"{BACKFILLED_TEXT} (the Hub's back-filled date {v[:10]})"
        guess = (predicted or {}).get(k)
        if v is None and guess:
            lines.append(f"{k}: {_text(guess[0])}  (predicted, {guess[1]:.0%} confidence)")
        else:
            lines.append(f"{k}: {_text(v)}")
    lines += ["", "parents:"]
    for p in rec.get("parents", []) or []:
        lines.append(f"  {_text(p['id'], 300)}  [{p['relation']}, from {p['source']}]")
    if predicted and predicted.get("relation"):
        r, c = predicted["relation"]
        lines.append(f"  relation type: {_text(r)}  (predicted, {c:.0%} confidence)")
    if not rec.get("parents"):
        lines.append("  none")
    ch = rec.get("children", {})
    lines.append(
        "children: " + ", ".join(f"{k} {v:,}" for k, v in ch.items() if v)
        if any(ch.values())
        else "children: none"
    )
    lines += ["", "tags: " + _text(", ".join(rec.get("tags") or []) or "-", 5000)]
    if rec.get("raw"):
        lines += ["", "raw record:", _text(json.dumps(rec["raw"], ensure_ascii=False)[:20000], 20000)]
    return lines
