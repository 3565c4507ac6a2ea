"""Lineage edges from every place the Hub records them.

Sources, in the order a model's parents are listed:
- ``cardData.base_model`` (a string or a list; a merge lists several), with ``cardData.base_model_relation``
  overriding the relation of every card parent;
- tags ``base_model:<relation>:<id>`` (relation in finetune|adapter|quantized|merge) and ``base_model:<id>``;
- the ``baseModels`` expand (a list of ids or ``{"id": ...}`` objects, or ``{"relation": r, "models": [...]}``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from hubatlas.core.common.repo_ids import is_model_id
from hubatlas.core.store.rows import EdgeRow
from hubatlas.core.store.schema import RELATIONS

TYPED = frozenset(r for r in RELATIONS if r != "unknown")
_HF_PREFIXES = ("https://huggingface.co/", "http://huggingface.co/", "hf.co/", "huggingface.co/")


class LineageError(ValueError):
    """A lineage field has a shape the Hub never produces."""


_URL_PATH = re.compile(r"^([^/]+/[^/]+)/(?:tree|blob|resolve)/.*$")


def clean_id(value: object) -> str | None:
    """The text of a lineage field as an id: a Hub URL or a URL path into a repository (``org/m/tree/main``)
    becomes the repository's id; None when it is empty or not a string. (Whether the result is a valid model
    id is checked by the caller, which counts what it drops.)"""
    if not isinstance(value, str):
        return None
    v = value.strip()
    for p in _HF_PREFIXES:
        if v.startswith(p):
            v = v[len(p) :]
            break
    v = v.rstrip("/")  # (a leading one is an absolute path, not an id)
    m = _URL_PATH.match(v)
    if m:
        v = m.group(1)
    return v or None


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


# Several relation tags naming one parent (which the Hub should not produce) resolve to the most specific one,
# whatever their order: an adapter or a quantization is a fact about the files; merge and finetune are not.
TAG_PRECEDENCE = ("adapter", "quantized", "merge", "finetune")


def edges_for(
    model_id: str,
    tags: Iterable[str] | None,
    card: dict | None,
    base_models: object = None,
    dropped: list[str] | None = None,
) -> tuple[list[EdgeRow], bool]:
    """All (child, parent, relation, source) edges of one model and whether a self-loop was dropped.

    Parents are matched case-insensitively (the Hub resolves ids so) and spelled as the first source that
    names them, in the order tags, card, baseModels (tags are written by the Hub itself). A parent value that
    is not a model id (a local path, ``org/m@rev``, a URL elsewhere) is dropped and appended to ``dropped``.

    Relation precedence for one parent: the card's explicit ``base_model_relation``, then its relation tags
    (the most specific of them: TAG_PRECEDENCE), then the ``baseModels`` relation; a parent still untyped is a
    ``merge`` when the model names several distinct parents, else ``unknown``. Source is where the parent was
    found, most authoritative first: tag, card, baseModels.
    """
    order: list[str] = []  # lower-cased keys, in listing order (card, tags, baseModels)
    spelling: dict[str, tuple[int, str]] = {}  # key -> (rank of the source that spelled it, spelling)
    tag_rels: dict[str, set[str]] = {}
    in_tags: set[str] = set()
    in_card: set[str] = set()
    in_bm: set[str] = set()

    def note(raw: object, rank: int, where: set[str]) -> str | None:
        pid = clean_id(raw)
        if pid is None:
            return None
        if not is_model_id(pid):
            if dropped is not None:
                dropped.append(pid)
            return None
        key = pid.lower()
        if key not in spelling:
            order.append(key)
        if key not in spelling or rank < spelling[key][0]:
            spelling[key] = (rank, pid)
        where.add(key)
        return key

    card_rel = None
    if card:
        if not isinstance(card, dict):
            raise LineageError("cardData must be an object")
        for p in _as_list(card.get("base_model"), "cardData.base_model"):
            note(p, 1, in_card)
        r = card.get("base_model_relation")
        card_rel = r if r in TYPED else None

    for t in tags or ():
        if not t.startswith("base_model:"):
            continue
        rest = t[len("base_model:") :]
        head, sep, tail = rest.partition(":")
        typed = bool(sep) and head in TYPED
        key = note(tail if typed else rest, 0, in_tags)
        if key is not None and typed:
            tag_rels.setdefault(key, set()).add(head)

    bm_parents, bm_rel = parse_base_models(base_models)
    for pid in bm_parents:
        note(pid, 2, in_bm)

    me = model_id.lower()
    self_loop = me in spelling
    parents = [k for k in order if k != me]
    several = len(parents) > 1
    edges = []
    for k in parents:
        tag_rel = next((r for r in TAG_PRECEDENCE if r in tag_rels.get(k, ())), None)
        rel = (card_rel if k in in_card else None) or tag_rel or (bm_rel if k in in_bm else None)
        if rel is None:
            rel = "merge" if several else "unknown"
        src = "tag" if k in in_tags else "card" if k in in_card else "baseModels"
        edges.append(EdgeRow(model_id, spelling[k][1], rel, src))
    return edges, self_loop
