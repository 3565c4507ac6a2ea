"""Charting undocumented lineage from structural priors (Horwitz et al. 2025; Laufer et al. 2025):

* the **relation type** of an edge documented without one: quantized models carry quantization markers and
  are leaves, adapters come from peft or say lora/adapter, merges have several parents or merge markers; a
  naive Bayes over the child's name words, author, library and task learns the rest from the typed edges,
  and the relations of the parent's other children vote;
* **parents for models that declare none**: a derivative's name usually contains its base's name
  ("TheBloke/Llama-2-7B-GGUF" → "Llama-2-7B"), a parent was uploaded before its child, and real bases
  already have documented children. The base with the most children wins; generic names, quantized-looking
  bases and younger or undated ones are skipped. The confidence is calibrated on the atlas's own documented
  lineage (parent_quality) before anything is stored.
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
MIN_CLASS_EDGES = 20  # a relation type needs this many documented edges to be learnt or evaluated
MAX_NAME_SHARE = 50  # a base name used by more models than this is too generic to point at one parent
_SEP = re.compile(r"[-_ ]")


def edge_design(data: AtlasData, words: NameWords) -> sp.csr_matrix:
    """Features of each node as a child: name words, author, library, task, marker flags, several parents."""
    n = data.n
    n_par = np.bincount(data.child, minlength=n)
    flags = np.stack([data.quant, data.adapter, data.merge, n_par >= 2], 1).astype(np.float32) * 3
    lib, lib_labels = data.attrs["library_name"]
    task, task_labels = data.attrs["pipeline_tag"]
    return sp.hstack(
        [
            words.matrix,
            authors(data.author),
            one_hot(lib, len(lib_labels), 2.0),
            one_hot(task, len(task_labels)),
            sp.csr_matrix(flags),
        ],
        format="csr",
    )


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
    if (np.bincount(edge_rel[known], minlength=k) >= MIN_CLASS_EDGES).sum() < 2:
        # one documented type (2024-era data: merges only) teaches nothing about the others: markers decide
        known = np.zeros_like(known)
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


def infer_relations(
    data: AtlasData, words: NameWords, edge_rel: np.ndarray | None = None
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
    ends = [*cuts, len(name)]
    out = {name[a:b] for a in starts for b in ends if MIN_BASE_CHARS <= b - a < len(name)}
    return sorted(out, key=len, reverse=True)


def propose_parents(
    data: AtlasData, orphans: np.ndarray, blocked: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(child, proposed parent, confidence) for the ``orphans`` whose name contains an older model's name.
    ``blocked`` marks nodes that may not be proposed as parents (e.g. quantized-looking ones).

    What makes a proposal right, measured on the real 2024-07 Hub: the base already has documented children
    (a base with none was the true parent of 4% of proposals, one with 100 or more of 90%), then its
    downloads. So each base name points at its model with the most documented children (then downloads),
    every base name inside the child's name is tried, and the longest whose model has children wins (the
    longest of all when none has); the confidence grows with those children and with how much of the child's
    name the base covers."""
    names = data.names.to_pylist()
    created = data.created_day
    blocked = data.quant if blocked is None else blocked
    kids_of = np.bincount(data.parent, minlength=data.n) if len(data.parent) else np.zeros(data.n, np.int64)
    count: dict[str, int] = {}
    best: dict[str, int] = {}
    order = np.lexsort((-data.downloads.astype(np.float64), -kids_of))  # most children, then downloads
    for i in order.tolist():
        if blocked[i] or data.placeholder[i]:
            continue
        nm = names[i].lower()
        count[nm] = count.get(nm, 0) + 1
        best.setdefault(nm, i)
    kids, pars, conf = [], [], []
    for c in orphans.tolist():
        own = names[c]
        if created[c] < 0:
            continue  # an undated model cannot be shown to be younger than any parent
        top = None
        for base in base_names(own):
            j = best.get(base.lower())
            if j is None or j == c or created[j] < 0 or created[j] > created[c]:
                continue  # a parent is uploaded before its child (and unknown dates cannot show it)
            if count[base.lower()] > MAX_NAME_SHARE and kids_of[j] < MAX_NAME_SHARE:
                continue  # a generic name, and no model of that name is a known base
            score = (1 - np.exp(-kids_of[j] / 25.0)) * (0.6 + 0.4 * len(base) / max(len(own), 1))
            if top is None or (kids_of[j] > 0, len(base)) > (kids_of[top[0]] > 0, top[2]):
                top = (j, score, len(base))  # the longest base that is a known base
        if top is not None:
            kids.append(c)
            pars.append(top[0])
            conf.append(0.02 + 0.97 * top[1])
    return np.asarray(kids, np.int64), np.asarray(pars, np.int64), np.asarray(conf)


def orphan_nodes(data: AtlasData, hidden_children: np.ndarray | None = None) -> np.ndarray:
    """Real (non-placeholder) models with no documented parent (plus ``hidden_children``)."""
    has = np.zeros(data.n, bool)
    has[data.child] = True
    if hidden_children is not None:
        has[hidden_children] = False
    return np.flatnonzero(~has & ~data.placeholder)


BUCKETS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
TARGET_PRECISION = 0.80  # the default threshold keeps proposals at least this precise on held-back lineage
MIN_PROPOSALS = 10  # fewer held-back proposals than this at a threshold say nothing about its precision


def _relation_quality(data: AtlasData, words: NameWords, rng: np.random.Generator, frac: float) -> dict:
    rel = data.relation.astype(np.int64)
    typed = np.flatnonzero(rel < len(TYPED))
    support = {t: int((rel[typed] == k).sum()) for k, t in enumerate(TYPED)}
    if sum(v >= MIN_CLASS_EDGES for v in support.values()) < 2:
        return {
            "evaluated": False,
            "documented_types": support,
            "reason": f"too few documented relation types to evaluate: at least two types need "
            f"{MIN_CLASS_EDGES} typed edges each (older Hub data tags most parents without a type)",
        }
    hide = rng.choice(typed, size=max(1, round(frac * len(typed))), replace=False)
    masked = rel.copy()
    masked[hide] = -1
    p = relation_scores(data, edge_design(data, words), masked, hide)
    pred, truth = p.argmax(1), rel[hide]
    visible = np.setdiff1d(typed, hide)
    major = int(np.bincount(rel[visible], minlength=len(TYPED)).argmax()) if len(visible) else 0
    per = {}
    for k, name in enumerate(TYPED):
        tp = int(((pred == k) & (truth == k)).sum())
        per[name] = {
            "precision": _ratio(tp, int((pred == k).sum())),
            "recall": _ratio(tp, int((truth == k).sum())),
            "support": int((truth == k).sum()),
        }
    return {
        "evaluated": True,
        "hidden": len(hide),
        "accuracy": _ratio(int((pred == truth).sum()), len(hide)),
        "majority": TYPED[major],
        "majority_accuracy": _ratio(int((truth == major).sum()), len(hide)),
        "per_type": per,
        "documented_types": support,
    }


def parent_quality(data: AtlasData, seed: int = 0, frac: float = 0.2) -> dict | None:
    """Hide the documented parents of ``frac`` of the children, propose parents as for undocumented models,
    and measure the proposals on the hidden children by confidence: per bucket and at or above each bucket's
    lower bound (precision, recall), and the lowest threshold whose precision reaches TARGET_PRECISION."""
    rng = np.random.default_rng(seed)
    kids = np.unique(data.child)
    kids = kids[~data.placeholder[kids]]
    if len(kids) == 0:
        return None
    hidden = rng.choice(kids, size=max(1, round(frac * len(kids))), replace=False)
    keep = ~np.isin(data.child, hidden)
    view = _without_edges(data, keep)
    c, p, conf = propose_parents(view, orphan_nodes(view))
    on_hidden = np.isin(c, hidden)
    truth = set(zip(data.child[~keep].tolist(), data.parent[~keep].tolist(), strict=False))
    ok = np.array(
        [(a, b) in truth for a, b in zip(c[on_hidden].tolist(), p[on_hidden].tolist(), strict=False)], bool
    )
    hconf = conf[on_hidden]
    buckets, threshold = [], None
    for i, lo in enumerate(BUCKETS):
        hi = BUCKETS[i + 1] if i + 1 < len(BUCKETS) else 1.01
        inside = (hconf >= lo) & (hconf < hi)
        above = hconf >= lo
        b = {
            "confidence": f"{lo:.1f}-{min(hi, 1.0):.1f}",
            "proposed": int(inside.sum()),
            "precision": _ratio(int(ok[inside].sum()), int(inside.sum())),
            "proposed_at_or_above": int(above.sum()),
            "precision_at_or_above": _ratio(int(ok[above].sum()), int(above.sum())),
            "recall_at_or_above": _ratio(int(ok[above].sum()), len(hidden)),
        }
        buckets.append(b)
        if threshold is None and above.sum() >= MIN_PROPOSALS and ok[above].mean() >= TARGET_PRECISION:
            threshold = lo
    at = next(
        (b for b in buckets if threshold is not None and str(b["confidence"]).startswith(f"{threshold:.1f}")),
        None,
    )
    return {
        "hidden_children": len(hidden),
        "proposed": int(on_hidden.sum()),
        "correct": int(ok.sum()),
        "precision": _ratio(int(ok.sum()), int(on_hidden.sum())),
        "recall": _ratio(int(ok.sum()), len(hidden)),
        "proposed_for_undocumented": int((~on_hidden).sum()),
        "by_confidence": buckets,
        "target_precision": TARGET_PRECISION,
        "threshold": threshold,
        "at_threshold": None
        if at is None
        else {
            "precision": at["precision_at_or_above"],
            "recall": at["recall_at_or_above"],
            "proposed": at["proposed_at_or_above"],
        },
    }


def evaluate_inference(data: AtlasData, words: NameWords, seed: int = 0, frac: float = 0.2) -> dict:
    """Hide documented edges and measure what inference recovers: relation types (accuracy, per-type
    precision/recall, majority baseline; or why the data cannot tell) and proposed parents (precision and
    recall by confidence, and the threshold that `infer` would use)."""
    rng = np.random.default_rng(seed)
    out: dict = {"seed": seed, "hidden_fraction": frac, "relation": _relation_quality(data, words, rng, frac)}
    parents = parent_quality(data, seed, frac)
    if parents is not None:
        out["parents"] = parents
    return out


def _without_edges(data: AtlasData, keep: np.ndarray) -> AtlasData:
    from dataclasses import replace

    return replace(data, parent=data.parent[keep], child=data.child[keep], relation=data.relation[keep])


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def store_inferred(store, data: AtlasData, words: NameWords, min_confidence: float | None = None) -> dict:
    """Replace the atlas's inferred lineage in one transaction: relation types for untyped documented edges
    (``inferred_relation``) and proposed parents (edges with source 'inferred'). Documented values are never
    changed; a documented edge that arrives later replaces an inferred one.

    Parents are proposed at ``min_confidence`` or above; by default at the threshold calibrated on this
    atlas's own documented lineage (held back, see parent_quality), and not at all when no threshold reaches
    TARGET_PRECISION there."""
    import pyarrow as pa

    calibration = None
    if min_confidence is None:
        calibration = parent_quality(data)
        min_confidence = (calibration or {}).get("threshold")
    eidx, rel, conf = infer_relations(data, words)
    c, p, pconf = propose_parents(data, orphan_nodes(data))
    keep = pconf >= min_confidence if min_confidence is not None else np.zeros(len(c), bool)
    c, p, pconf = c[keep], p[keep], pconf[keep]
    prel = np.zeros(0, np.int64)
    if len(c):  # type the proposed edges like any untyped edge
        ext = _with_edges(data, p, c)
        q = np.arange(len(data.parent), len(ext.parent))
        prel = relation_scores(
            ext, edge_design(ext, words), np.where(ext.relation == UNKNOWN, -1, ext.relation), q
        ).argmax(1)

    def idl(a):
        return data.ids.take(pa.array(np.asarray(a, np.int64))).to_pylist()

    with store.transaction():
        store.conn.execute("DELETE FROM edges WHERE source='inferred'")
        store.conn.execute(
            "UPDATE edges SET inferred_relation=NULL, confidence=NULL WHERE inferred_relation IS NOT NULL"
        )
        store.conn.executemany(
            "UPDATE edges SET inferred_relation=?, confidence=? WHERE child=? AND parent=? AND relation='unknown'",
            zip(
                [TYPED[r] for r in rel.tolist()],
                conf.round(4).tolist(),
                idl(data.child[eidx]),
                idl(data.parent[eidx]),
                strict=False,
            ),
        )
        store.conn.executemany(
            "INSERT INTO edges (child, parent, relation, source, confidence) VALUES (?, ?, ?, 'inferred', ?) "
            "ON CONFLICT(child, parent) DO NOTHING",
            zip(idl(c), idl(p), [TYPED[r] for r in prel.tolist()], pconf.round(4).tolist(), strict=False),
        )
        store.bump_data_version()
    return {
        "typed": len(eidx),
        "proposed": len(c),
        "min_confidence": min_confidence,
        "calibrated": None if calibration is None else calibration.get("at_threshold"),
        "typed_by_relation": {t: int((rel == i).sum()) for i, t in enumerate(TYPED)},
        "proposed_by_relation": {t: int((prel == i).sum()) for i, t in enumerate(TYPED)},
    }


def _with_edges(data: AtlasData, parent: np.ndarray, child: np.ndarray) -> AtlasData:
    from dataclasses import replace

    return replace(
        data,
        parent=np.concatenate([data.parent, parent]).astype(data.parent.dtype),
        child=np.concatenate([data.child, child]).astype(data.child.dtype),
        relation=np.concatenate([data.relation, np.full(len(child), UNKNOWN, data.relation.dtype)]),
    )
