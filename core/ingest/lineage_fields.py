"""Lineage edges from every place the Hub records them.

Sources, in the order a model's parents are listed:
- ``cardData.base_model`` (a string or a list; a merge lists several), with ``cardData.base_model_relation``
  overriding the relation of every card parent;
- tags ``base_model:<relation>:<id>`` (relation in finetune|adapter|quantized|merge) and ``base_model:<id>``;
- the ``baseModels`` expand (a list of ids or ``{"id": ...}`` objects, or ``{"relation": r, "models": [...]}``).
"""
from __future__ import annotations

from collections.abc import Iterable

from hubatlas.core.store.schema import RELATIONS

TYPED = frozenset(r for r in RELATIONS if r != "unknown")
_HF_PREFIXES = ("https://huggingface.co/", "http://huggingface.co/", "hf.co/", "huggingface.co/")


class LineageError(ValueError):
    """A lineage field has a shape the Hub never produces."""


def clean_id(value: object) -> str | None:
    """A model id from a lineage field, or None when it is empty or not a string."""
    if not isinstance(value, str):
        return None
    v = value.strip()
    for p in _HF_PREFIXES:
        if v.startswith(p):
            v = v[len(p):]
            break
    v = v.strip("/")
    if not v or any(c.isspace() for c in v) or len(v) > 256:
        return None
    return v


def _as_list(value: object, field: str) -> list:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return value
    raise LineageError(f"{field} must be a string or a list, not {type(value).__name__}")


def parse_base_models(value: object) -> tuple[list[str], str | None]:
    """Parents and relation from the ``baseModels`` expand, whatever of its shapes it comes in."""
    if value is None:
        return [], None
    relation = None
    models = value
    if isinstance(value, dict):
        relation = value.get("relation")
        models = value.get("models", [])
    out = []
    for m in _as_list(models, "baseModels"):
        mid = clean_id(m.get("id") if isinstance(m, dict) else m)
        if mid:
            out.append(mid)
    return out, relation if relation in TYPED else None


def edges_for(model_id: str, tags: Iterable[str] | None, card: dict | None,
              base_models: object = None) -> tuple[list[tuple[str, str, str, str]], bool]:
    """All (child, parent, relation, source) edges of one model and whether a self-loop was dropped.

    Relation precedence: the card's explicit ``base_model_relation``, then a relation tag, then the
    ``baseModels`` relation; parents still untyped are ``merge`` when the model names several, else ``unknown``.
    Source is where the parent was found, most authoritative first: tag, card, baseModels.
    """
    order: list[str] = []
    tag_rel: dict[str, str | None] = {}
    in_card: set[str] = set()
    in_bm: set[str] = set()

    card_rel = None
    if card:
        if not isinstance(card, dict):
            raise LineageError("cardData must be an object")
        for p in _as_list(card.get("base_model"), "cardData.base_model"):
            pid = clean_id(p)
            if pid and pid not in in_card:
                in_card.add(pid)
                order.append(pid)
        r = card.get("base_model_relation")
        card_rel = r if r in TYPED else None

    for t in tags or ():
        if not t.startswith("base_model:"):
            continue
        rest = t[len("base_model:"):]
        head, sep, tail = rest.partition(":")
        if sep and head in TYPED:
            pid, rel = clean_id(tail), head
        else:
            pid, rel = clean_id(rest), None
        if not pid:
            continue
        if pid not in tag_rel and pid not in in_card:
            order.append(pid)
        if rel or pid not in tag_rel:
            tag_rel[pid] = rel or tag_rel.get(pid)

    bm_parents, bm_rel = parse_base_models(base_models)
    for pid in bm_parents:
        if pid not in in_bm:
            in_bm.add(pid)
            if pid not in tag_rel and pid not in in_card:
                order.append(pid)

    self_loop = model_id in order
    parents = [p for p in order if p != model_id]
    several = len(parents) > 1
    edges = []
    for p in parents:
        rel = (card_rel if p in in_card else None) or tag_rel.get(p) or (bm_rel if p in in_bm else None)
        if rel is None:
            rel = "merge" if several else "unknown"
        src = "tag" if p in tag_rel else "card" if p in in_card else "baseModels"
        edges.append((model_id, p, rel, src))
    return edges, self_loop
