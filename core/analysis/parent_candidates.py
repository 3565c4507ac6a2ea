"""Candidate parents for models that declare none, from every place the data points at a base model:

* ``name``: an older model's name inside the child's name (parent_names.propose_parents);
* ``packaged``: a quantized or adapter-looking child (gguf, gptq, awq, mlx, 4bit, lora, peft... in its name,
  tags or library) named like another author's model once the packaging words are dropped, or exactly like
  it ("TheBloke/Llama-2-7B-Chat-GGUF" and "someone/Mistral-7B-Instruct-v0.2" tagged gguf point at their base
  by name: the name rule never proposes a whole name, since a same-named model is more often a copy);
* ``author``: the parents the child's author declared for their other models (an author who fine-tunes
  bert-base-uncased again and again seldom says so every time); the author's two most declared ones.

The data has no file lists (the 2024-07 snapshot records ids, tags and counts only), so adapter configs that
name their base cannot be read here; the adapter and quantization tags stand in for them. Which candidate to
believe is learnt (parent_confidence); each is one row with the sources that proposed it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from hubatlas.core.analysis.data import AtlasData
from hubatlas.core.analysis.parent_names import propose_parents

SOURCES = ("name", "packaged", "author")
AUTHOR_TOP = 2  # an author's most declared parents proposed for their undeclared models
PACKAGING = re.compile(
    r"(?i)[-_. ]?(gguf|ggml|gptq|awq|exl2|mlx|bnb|[2-8][-_]?bits?|int[48]|nf4|fp8|fp16|bf16|imatrix|"
    r"q[2-8]_(?:k|0|1)(?:_[a-z0-9]+)?|quantized|quantised|lora|qlora|peft|adapters?|dora)(?=$|[-_. ])"
)


@dataclass
class Candidates:
    """One row per (child, proposed parent): which sources proposed it, the name rule's confidence (0 when
    it did not), and for author candidates the share of the author's declared children naming that parent."""

    child: np.ndarray
    parent: np.ndarray
    sources: np.ndarray  # (rows, len(SOURCES)) bool
    name_confidence: np.ndarray
    author_share: np.ndarray
    author_declared: np.ndarray  # children the author declared a parent for

    def __len__(self) -> int:
        return len(self.child)


def stripped(name: str) -> str:
    """The name without its packaging words (quantization and adapter markers), lower case."""
    return PACKAGING.sub("", name.lower()).strip("-_. ")


def packaged_parents(data: AtlasData, orphans: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(child, parent) for quantized or adapter-looking orphans named like another author's older model."""
    names = data.names.to_pylist()
    kids_of = np.bincount(data.parent, minlength=data.n) if len(data.parent) else np.zeros(data.n, np.int64)
    best: dict[str, int] = {}
    order = np.lexsort((-data.downloads.astype(np.float64), -kids_of))  # most children, then downloads
    looks = data.quant | data.adapter
    for i in order.tolist():
        if not (looks[i] or data.placeholder[i]):
            best.setdefault(names[i].lower(), i)
    author = np.asarray(data.author)
    created = data.created_day
    kids, pars = [], []
    for c in orphans[looks[orphans]].tolist():
        if created[c] < 0:
            continue
        for nm in dict.fromkeys((stripped(names[c]), names[c].lower())):
            j = best.get(nm)
            if j is not None and j != c and author[j] != author[c] and 0 <= created[j] <= created[c]:
                kids.append(c)
                pars.append(j)
                break
    return np.asarray(kids, np.int64), np.asarray(pars, np.int64)


def author_parents(
    data: AtlasData, orphans: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(child, parent, share, declared) for orphans whose author declared parents for other models: each of
    the author's AUTHOR_TOP most declared parents older than the child, with its share of the author's
    declared children and how many those are."""
    empty = np.zeros(0, np.int64)
    if not len(data.child) or not len(orphans):
        return empty, empty, np.zeros(0), empty
    author = np.asarray(data.author, np.int64)
    a = author[data.child]
    key = np.unique(a * data.n + data.parent.astype(np.int64), return_counts=True)
    ka, kp, cnt = key[0] // data.n, key[0] % data.n, key[1]
    declared = np.bincount(author[np.unique(data.child)], minlength=int(author.max()) + 1)
    order = np.lexsort((kp, -cnt, ka))  # per author: most declared first
    ka, kp, cnt = ka[order], kp[order], cnt[order]
    first = np.searchsorted(ka, ka, side="left")
    top = (np.arange(len(ka)) - first) < AUTHOR_TOP
    ka, kp, cnt = ka[top], kp[top], cnt[top]
    kids, pars, share, decl = [], [], [], []
    starts = np.searchsorted(ka, author[orphans], side="left")
    ends = np.searchsorted(ka, author[orphans], side="right")
    created = data.created_day
    for c, s, e in zip(orphans.tolist(), starts.tolist(), ends.tolist(), strict=True):
        for r in range(s, e):
            p = int(kp[r])
            if p != c and 0 <= created[p] <= created[c] and not data.quant[p]:
                kids.append(c)
                pars.append(p)
                share.append(cnt[r] / max(declared[ka[r]], 1))
                decl.append(declared[ka[r]])
    return (
        np.asarray(kids, np.int64),
        np.asarray(pars, np.int64),
        np.asarray(share),
        np.asarray(decl, np.int64),
    )


def candidates(data: AtlasData, orphans: np.ndarray, sources=SOURCES) -> Candidates:
    """Every candidate parent of the ``orphans`` from the given ``sources``, one row per pair."""
    rows: dict[tuple[int, int], list] = {}

    def add(c, p, src, conf=0.0, share=0.0, decl=0):
        r = rows.setdefault((c, p), [np.zeros(len(SOURCES), bool), 0.0, 0.0, 0])
        r[0][SOURCES.index(src)] = True
        r[1], r[2], r[3] = max(r[1], conf), max(r[2], share), max(r[3], decl)

    if "name" in sources:
        c, p, conf = propose_parents(data, orphans)
        for x in zip(c.tolist(), p.tolist(), conf.tolist(), strict=True):
            add(x[0], x[1], "name", conf=x[2])
    if "packaged" in sources:
        for c, p in zip(*(a.tolist() for a in packaged_parents(data, orphans)), strict=True):
            add(c, p, "packaged")
    if "author" in sources:
        for c, p, s, d in zip(*(a.tolist() for a in author_parents(data, orphans)), strict=True):
            add(c, p, "author", share=s, decl=d)
    keys = sorted(rows)
    vals = [rows[k] for k in keys]
    return Candidates(
        child=np.asarray([k[0] for k in keys], np.int64),
        parent=np.asarray([k[1] for k in keys], np.int64),
        sources=np.asarray([v[0] for v in vals], bool).reshape(len(keys), len(SOURCES)),
        name_confidence=np.asarray([v[1] for v in vals], np.float64),
        author_share=np.asarray([v[2] for v in vals], np.float64),
        author_declared=np.asarray([v[3] for v in vals], np.int64),
    )


def best_per_child(child: np.ndarray, confidence: np.ndarray) -> np.ndarray:
    """Row indices of the most confident candidate of each child (the first on ties), in child order."""
    if not len(child):
        return np.zeros(0, np.int64)
    order = np.lexsort((-confidence, child))
    first = np.ones(len(order), bool)
    first[1:] = child[order][1:] != child[order][:-1]
    return order[first]
