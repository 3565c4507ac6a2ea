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

import numpy as np
import scipy.sparse as sp

from hubatlas.core.analysis.data import AtlasData
from hubatlas.core.analysis.eval_margins import interval, per_class
from hubatlas.core.analysis.naive_bayes import NameWords, authors, naive_bayes, one_hot
from hubatlas.core.analysis.parent_candidates import best_per_child, candidates
from hubatlas.core.analysis.parent_confidence import calibrate, features, parent_quality, ratio
from hubatlas.core.analysis.parent_names import orphan_nodes, propose_parents  # noqa: F401  (re-exported)
from hubatlas.core.store.schema import RELATIONS

TYPED = ("finetune", "adapter", "quantized", "merge")  # the classes predicted (codes 0-3 of RELATIONS)
UNKNOWN = RELATIONS.index("unknown")
PRIOR_WEIGHT = 2.0
# without its marker a class is less likely (finetune has no marker): quantized models nearly always carry one
ABSENT = np.array([1.0, 0.5, 0.25, 0.3])
MIN_CLASS_EDGES = 20  # a relation type needs this many documented edges to be learnt or evaluated


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
    return {
        "evaluated": True,
        "hidden": len(hide),
        "accuracy": ratio(int((pred == truth).sum()), len(hide)),
        "accuracy_95": interval(pred == truth, rng),
        "majority": TYPED[major],
        "majority_accuracy": ratio(int((truth == major).sum()), len(hide)),
        "per_type": per_class(pred, truth, TYPED, rng),
        "documented_types": support,
    }


def evaluate_inference(
    data: AtlasData, words: NameWords, seed: int = 0, frac: float = 0.2, split: str = "random"
) -> dict:
    """Hide documented edges and measure what inference recovers: relation types (accuracy and per-type
    precision/recall with 95% bootstrap intervals, majority baseline; or why the data cannot tell) and
    proposed parents (precision and recall by confidence, and the threshold that `infer` would use; children
    held back by child or, with ``split="author"``, by author)."""
    rng = np.random.default_rng(seed)
    out: dict = {"seed": seed, "hidden_fraction": frac, "relation": _relation_quality(data, words, rng, frac)}
    parents = parent_quality(data, seed, frac, split)
    if parents is not None:
        out["parents"] = parents
    return out


def store_inferred(store, data: AtlasData, words: NameWords, min_confidence: float | None = None) -> dict:
    """Replace the atlas's inferred lineage in one transaction: relation types for untyped documented edges
    (``inferred_relation``) and proposed parents (edges with source 'inferred'). Documented values are never
    changed; a documented edge that arrives later replaces an inferred one.

    Parents are proposed at ``min_confidence`` or above; by default at the threshold calibrated on this
    atlas's own documented lineage (held back, see parent_quality), and not at all when no threshold reaches
    TARGET_PRECISION there."""
    import pyarrow as pa

    calibration, model = calibrate(data)
    if min_confidence is None:
        min_confidence = (calibration or {}).get("threshold")
    eidx, rel, conf = infer_relations(data, words)
    cands = candidates(data, orphan_nodes(data))
    pconf = cands.name_confidence
    if model is not None:  # the confidence learnt and calibrated on held-back lineage
        kids_of = (
            np.bincount(data.parent, minlength=data.n) if len(data.parent) else np.zeros(data.n, np.int64)
        )
        pconf = model.confidence(features(data, kids_of, cands))
    pick = best_per_child(cands.child, pconf)
    c, p, pconf = cands.child[pick], cands.parent[pick], pconf[pick]
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
