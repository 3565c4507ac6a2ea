"""Charting undocumented lineage from structural priors (Horwitz et al. 2025; Laufer et al. 2025):

* the **relation type** of an edge documented without one: quantized models carry quantization markers and
  are leaves, adapters come from peft or say lora/adapter, merges have several parents or merge markers; a
  naive Bayes over the child's name words, author, library and task learns the rest from the typed edges,
  and the relations of the parent's other children vote;
* **parents for models that declare none**: a derivative's name usually contains its base's name
  ("TheBloke/Llama-2-7B-GGUF" → "Llama-2-7B"), and a parent was uploaded before its child. The longest such
  base name wins; names shared by too many models, quantized-looking bases and younger bases are skipped.
"""
from __future__ import annotations

import re

import numpy as np
import scipy.sparse as sp

from hubatlas.core.analysis.data import AtlasData
from hubatlas.core.analysis.naive_bayes import NameWords, authors, naive_bayes, one_hot
from hubatlas.core.store.schema import RELATIONS

TYPED = ("finetune", "adapter", "quantized", "merge")  # the classes predicted (codes 0-3 of RELATIONS)
UNKNOWN = RELATIONS.index("unknown")
PRIOR_WEIGHT = 2.0
# without its marker a class is less likely (finetune has no marker): quantized models nearly always carry one
ABSENT = np.array([1.0, 0.5, 0.25, 0.3])
MIN_BASE_CHARS = 5
MAX_NAME_SHARE = 50  # a base name used by more models than this is too generic to point at one parent
_SEP = re.compile(r"[-_ ]")


def edge_design(data: AtlasData, words: NameWords) -> sp.csr_matrix:
    """Features of each node as a child: name words, author, library, task, marker flags, several parents."""
    n = data.n
    n_par = np.bincount(data.child, minlength=n)
    flags = np.stack([data.quant, data.adapter, data.merge, n_par >= 2], 1).astype(np.float32) * 3
    lib, lib_labels = data.attrs["library_name"]
    task, task_labels = data.attrs["pipeline_tag"]
    return sp.hstack([words.matrix, authors(data.author), one_hot(lib, len(lib_labels), 2.0),
                      one_hot(task, len(task_labels)), sp.csr_matrix(flags)], format="csr")


def relation_priors(data: AtlasData, nodes: np.ndarray) -> np.ndarray:
    """(len(nodes), 4) prior votes from the structural markers, in TYPED order."""
    n_par = np.bincount(data.child, minlength=data.n)[nodes]
    out = np.zeros((len(nodes), len(TYPED)))
    out[:, TYPED.index("quantized")] = data.quant[nodes]
    out[:, TYPED.index("adapter")] = data.adapter[nodes] & ~data.quant[nodes]
    out[:, TYPED.index("merge")] = (data.merge[nodes] | (n_par >= 2)).astype(float)
    return out


def relation_scores(data: AtlasData, X: sp.csr_matrix, edge_rel: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Class probabilities (len(query), 4) for the edges ``query``. ``edge_rel`` holds each edge's relation
    code with -1 (or 'unknown') where it must not be read."""
    k = len(TYPED)
    known = (edge_rel >= 0) & (edge_rel < k)
    codes = np.where(known, edge_rel, -1)
    train = np.flatnonzero(known)
    cq = data.child[query]
    if len(train) == 0:
        probs = np.full((len(query), k), 1.0 / k)
    else:
        Xe = X[data.child]  # an edge's features are its child's
        probs = naive_bayes(Xe, codes, train, query, k)
    # lineage: the typed relations of the parent's other children and of the child's other parents
    by_parent = sp.csr_matrix((np.ones(len(train)), (data.parent[train], codes[train])), shape=(data.n, k))
    by_child = sp.csr_matrix((np.ones(len(train)), (data.child[train], codes[train])), shape=(data.n, k))
    votes = by_parent[data.parent[query]].toarray() + by_child[cq].toarray()
    cnt = votes.sum(1)
    w = 1.5 * (1 - np.exp(-cnt / 2.0))
    dist = np.divide(votes, cnt[:, None], out=np.zeros_like(votes), where=cnt[:, None] > 0)
    prior = relation_priors(data, cq)
    score = (probs + w[:, None] * dist + PRIOR_WEIGHT * prior) * np.where(prior > 0, 1.0, ABSENT)
    return score / score.sum(1, keepdims=True)


def infer_relations(data: AtlasData, words: NameWords, edge_rel: np.ndarray | None = None
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(edge indices, relation codes, confidence) for every edge without a relation type."""
    rel = data.relation.astype(np.int64) if edge_rel is None else edge_rel
    query = np.flatnonzero((rel < 0) | (rel == UNKNOWN))
    if len(query) == 0:
        return query, np.zeros(0, np.int64), np.zeros(0)
    p = relation_scores(data, edge_design(data, words), np.where(rel == UNKNOWN, -1, rel), query)
    return query, p.argmax(1), p.max(1)


# -- parents for models that declare none -------------------------------------------------------------------

def base_names(name: str) -> list[str]:
    """Candidate base names inside a model name, longest first: every run of whole words (cut at - _ or
    space) that starts at the beginning or after one of the first three separators. Never the whole name:
    another author's model of the same name is a copy or a sibling more often than a parent."""
    cuts = [m.start() for m in _SEP.finditer(name)]
    starts = [0] + [c + 1 for c in cuts[:3]]
    ends = cuts + [len(name)]
    out = {name[a:b] for a in starts for b in ends if MIN_BASE_CHARS <= b - a < len(name)}
    return sorted(out, key=len, reverse=True)


def propose_parents(data: AtlasData, orphans: np.ndarray, blocked: np.ndarray | None = None
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(child, proposed parent, confidence) for the ``orphans`` whose name contains an older model's name.
    ``blocked`` marks nodes that may not be proposed as parents (e.g. quantized-looking ones)."""
    names = data.names.to_pylist()
    created = data.created_day
    blocked = data.quant if blocked is None else blocked
    count: dict[str, int] = {}
    best: dict[str, int] = {}
    order = np.lexsort((-data.downloads.astype(np.float64),))  # most downloaded first
    for i in order.tolist():
        if blocked[i] or data.placeholder[i]:
            continue
        nm = names[i]
        count[nm] = count.get(nm, 0) + 1
        best.setdefault(nm, i)
    kids, pars, conf = [], [], []
    for c in orphans.tolist():
        own = names[c]
        for base in base_names(own):
            j = best.get(base)
            if j is None or j == c or count[base] > MAX_NAME_SHARE:
                continue
            if created[j] >= 0 and created[c] >= 0 and created[j] > created[c]:
                continue  # a parent is uploaded before its child
            kids.append(c)
            pars.append(j)
            conf.append(min(0.95, 0.35 + 0.6 * len(base) / max(len(own), 1)) / count[base] ** 0.5)
            break
    return np.asarray(kids, np.int64), np.asarray(pars, np.int64), np.asarray(conf)


def orphan_nodes(data: AtlasData, hidden_children: np.ndarray | None = None) -> np.ndarray:
    """Real (non-placeholder) models with no documented parent (plus ``hidden_children``)."""
    has = np.zeros(data.n, bool)
    has[data.child] = True
    if hidden_children is not None:
        has[hidden_children] = False
    return np.flatnonzero(~has & ~data.placeholder)


def evaluate_inference(data: AtlasData, words: NameWords, seed: int = 0, frac: float = 0.2) -> dict:
    """Hide documented edges and measure what inference recovers: relation types (accuracy, per-type
    precision/recall, majority baseline) and proposed parents (precision, recall)."""
    rng = np.random.default_rng(seed)
    rel = data.relation.astype(np.int64)
    typed = np.flatnonzero(rel < len(TYPED))
    out: dict = {"seed": seed, "hidden_fraction": frac}
    if len(typed):
        hide = rng.choice(typed, size=max(1, int(round(frac * len(typed)))), replace=False)
        masked = rel.copy()
        masked[hide] = -1
        p = relation_scores(data, edge_design(data, words), masked, hide)
        pred, truth = p.argmax(1), rel[hide]
        visible = np.setdiff1d(typed, hide)
        major = int(np.bincount(rel[visible], minlength=len(TYPED)).argmax()) if len(visible) else 0
        per = {}
        for k, name in enumerate(TYPED):
            tp = int(((pred == k) & (truth == k)).sum())
            per[name] = {"precision": _ratio(tp, int((pred == k).sum())), "recall": _ratio(tp, int((truth == k).sum())),
                         "support": int((truth == k).sum())}
        out["relation"] = {"hidden": len(hide), "accuracy": _ratio(int((pred == truth).sum()), len(hide)),
                           "majority": TYPED[major], "majority_accuracy": _ratio(int((truth == major).sum()),
                                                                                len(hide)), "per_type": per}
    kids_with_parents = np.unique(data.child)
    kids_with_parents = kids_with_parents[~data.placeholder[kids_with_parents]]
    if len(kids_with_parents):
        hidden = rng.choice(kids_with_parents, size=max(1, int(round(frac * len(kids_with_parents)))),
                            replace=False)
        keep = ~np.isin(data.child, hidden)
        view = _without_edges(data, keep)
        c, p, _ = propose_parents(view, orphan_nodes(view))
        on_hidden = np.isin(c, hidden)
        true_pairs = set(zip(data.child[~keep].tolist(), data.parent[~keep].tolist()))
        correct = sum((a, b) in true_pairs for a, b in zip(c[on_hidden].tolist(), p[on_hidden].tolist()))
        out["parents"] = {"hidden_children": len(hidden), "proposed": int(on_hidden.sum()),
                          "correct": int(correct), "precision": _ratio(correct, int(on_hidden.sum())),
                          "recall": _ratio(correct, len(hidden)),
                          "proposed_for_undocumented": int((~on_hidden).sum())}
    return out


def _without_edges(data: AtlasData, keep: np.ndarray) -> AtlasData:
    from dataclasses import replace

    return replace(data, parent=data.parent[keep], child=data.child[keep], relation=data.relation[keep])


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def store_inferred(store, data: AtlasData, words: NameWords, min_confidence: float = 0.3) -> dict:
    """Replace the atlas's inferred lineage in one transaction: relation types for untyped documented edges
    (``inferred_relation``) and proposed parents (edges with source 'inferred'). Documented values are never
    changed; a documented edge that arrives later replaces an inferred one."""
    import pyarrow as pa

    eidx, rel, conf = infer_relations(data, words)
    c, p, pconf = propose_parents(data, orphan_nodes(data))
    keep = pconf >= min_confidence
    c, p, pconf = c[keep], p[keep], pconf[keep]
    prel = np.zeros(0, np.int64)
    if len(c):  # type the proposed edges like any untyped edge
        ext = _with_edges(data, p, c)
        q = np.arange(len(data.parent), len(ext.parent))
        prel = relation_scores(ext, edge_design(ext, words), np.where(ext.relation == UNKNOWN, -1, ext.relation),
                               q).argmax(1)

    def idl(a):
        return data.ids.take(pa.array(np.asarray(a, np.int64))).to_pylist()

    with store.transaction():
        store.conn.execute("DELETE FROM edges WHERE source='inferred'")
        store.conn.execute("UPDATE edges SET inferred_relation=NULL, confidence=NULL WHERE inferred_relation IS NOT NULL")
        store.conn.executemany(
            "UPDATE edges SET inferred_relation=?, confidence=? WHERE child=? AND parent=? AND relation='unknown'",
            zip([TYPED[r] for r in rel.tolist()], conf.round(4).tolist(), idl(data.child[eidx]),
                idl(data.parent[eidx])))
        store.conn.executemany(
            "INSERT INTO edges (child, parent, relation, source, confidence) VALUES (?, ?, ?, 'inferred', ?) "
            "ON CONFLICT(child, parent) DO NOTHING",
            zip(idl(c), idl(p), [TYPED[r] for r in prel.tolist()], pconf.round(4).tolist()))
        store.bump_data_version()
    return {"typed": int(len(eidx)), "proposed": int(len(c)),
            "typed_by_relation": {t: int((rel == i).sum()) for i, t in enumerate(TYPED)},
            "proposed_by_relation": {t: int((prel == i).sum()) for i, t in enumerate(TYPED)}}


def _with_edges(data: AtlasData, parent: np.ndarray, child: np.ndarray) -> AtlasData:
    from dataclasses import replace

    return replace(data, parent=np.concatenate([data.parent, parent]).astype(data.parent.dtype),
                   child=np.concatenate([data.child, child]).astype(data.child.dtype),
                   relation=np.concatenate([data.relation, np.full(len(child), UNKNOWN, data.relation.dtype)]))
