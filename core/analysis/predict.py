"""Predicting undocumented attributes from the atlas (the Model Atlas paper's application): pipeline_tag,
library_name and licence from lineage votes and feature neighbours (see neighbours.py), relation type from
the structural priors of lineage_infer.py. Each prediction has a confidence (the winning class's share).

``evaluate`` hides a seeded fraction of the documented values, predicts them from everything else and
compares with the majority label of the values left visible. The hidden values are masked before any
predictor runs: predictors receive the masked codes only.

``predict_missing`` fills every missing value; ``save``/``load_predictions`` keep the result beside the
snapshot in ``<cache>/analyses/predictions.arrow`` (tied to the snapshot's data version).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import scipy.sparse as sp

from hubatlas.core.analysis.data import ATTRIBUTES, AtlasData, node_relation
from hubatlas.core.analysis.lineage_infer import MIN_CLASS_EDGES, TYPED, UNKNOWN, edge_design, relation_scores
from hubatlas.core.analysis.lineage_votes import LineageVotes
from hubatlas.core.analysis.naive_bayes import NaiveBayes, NameWords, authors, one_hot
from hubatlas.core.common import atomic
from hubatlas.core.common.paths import ANALYSES_DIR

PREDICTED = (*ATTRIBUTES, "relation")
FILE = "predictions.arrow"
# published results to compare with (Horwitz et al. 2025): accuracy, majority-label accuracy
CHUNK_CELLS = 4_000_000  # (rows × classes) of dense scores at a time: about 32 MB a score array

PAPER = {
    "pipeline_tag": (0.79, 0.60),
    "library_name": (0.84, 0.81),
    "license": (0.85, 0.49),
    "relation": (0.80, 0.61),
}


def attribute_design(data: AtlasData, words: NameWords, target: str) -> sp.csr_matrix:
    """Features for predicting ``target``: name words, author and the other attributes (never the target)."""
    blocks = [words.matrix, authors(data.author)]
    for a in ATTRIBUTES:
        if a != target:
            codes, labels = data.attrs[a]
            blocks.append(one_hot(codes, len(labels), 2.0))
    return sp.hstack(blocks, format="csr")


def predict_attribute(
    data: AtlasData, words: NameWords, target: str, codes: np.ndarray, query: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(predicted code, confidence) for the nodes ``query`` from ``codes`` (-1 = unknown to the predictor)."""
    k = max(int(codes.max()) + 1, 1) if len(codes) else 1
    train = np.flatnonzero(codes >= 0)
    if len(train) == 0 or len(query) == 0:
        return np.full(len(query), -1), np.zeros(len(query))
    X = attribute_design(data, words, target)
    model = NaiveBayes(X, codes, train, k)
    votes = LineageVotes(data.n, data.parent, data.child, codes, k)
    pred, conf = np.empty(len(query), np.int64), np.empty(len(query))
    rows = max(256, CHUNK_CELLS // k)  # dense work per chunk stays ~CHUNK_CELLS cells, whatever k is
    for s in range(0, len(query), rows):
        q = query[s : s + rows]
        dist, total = votes.at(q)
        score = (model.probs(q) + dist) / (1 + total)[:, None]
        pred[s : s + rows], conf[s : s + rows] = score.argmax(1), score.max(1)
    return pred, conf


def predict_relation(
    data: AtlasData, words: NameWords, edge_rel: np.ndarray, nodes: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(relation code in TYPED, confidence) of each node in ``nodes`` to its parents: the mean class
    probabilities of its edges. ``edge_rel`` holds -1 where a relation must not be read."""
    edges = np.flatnonzero(np.isin(data.child, nodes))
    if len(edges) == 0:
        return np.full(len(nodes), -1), np.zeros(len(nodes))
    p = relation_scores(data, edge_design(data, words), edge_rel, edges)
    pos = np.searchsorted(nodes, data.child[edges])
    acc = np.zeros((len(nodes), len(TYPED)))
    np.add.at(acc, pos, p)
    acc /= np.maximum(acc.sum(1, keepdims=True), 1e-12)
    return acc.argmax(1), acc.max(1)


SPLITS = ("random", "author")


def hide(
    data: AtlasData, documented: np.ndarray, rng: np.random.Generator, frac: float, split: str
) -> np.ndarray:
    """The documented nodes to hide, sorted: a seeded ``frac`` of them (split "random"), or every documented
    value of a seeded ``frac`` of the authors that have any (split "author": nothing of the same author is
    left to lean on, as for a newcomer's models)."""
    if split == "author":
        who = np.unique(data.author[documented])
        chosen = rng.choice(who, size=_k(frac, len(who)), replace=False) if len(who) else who
        return np.sort(documented[np.isin(data.author[documented], chosen)])
    if split != "random":
        raise ValueError(f"unknown split {split!r} (one of {', '.join(SPLITS)})")
    return np.sort(rng.choice(documented, size=_k(frac, len(documented)), replace=False))


def evaluate(
    data: AtlasData,
    words: NameWords,
    seed: int = 0,
    frac: float = 0.2,
    attributes=PREDICTED,
    split: str = "random",
) -> dict:
    """Hide ``frac`` of each attribute's documented values (seeded; of its authors with ``split="author"``),
    predict them, report accuracy next to the majority label of the visible values and the paper's figures."""
    out = {}
    for a in attributes:
        rng = np.random.default_rng([seed, PREDICTED.index(a)])
        if a == "relation":
            truth_all = node_relation(data)
            documented = np.flatnonzero(truth_all < len(TYPED))
            kinds = np.bincount(truth_all[documented], minlength=len(TYPED))
            if (
                kinds >= MIN_CLASS_EDGES
            ).sum() < 2:  # one documented type (2024-era data): nothing to tell apart
                out[a] = {
                    "documented": len(documented),
                    "hidden": 0,
                    "evaluated": False,
                    "reason": "too few documented relation types to evaluate ("
                    + ", ".join(f"{t} {int(k):,}" for t, k in zip(TYPED, kinds, strict=False))
                    + ")",
                    "accuracy": None,
                    "majority_label": None,
                    "majority_accuracy": None,
                    "accuracy_when_confident": None,
                    "confident_share": None,
                    "paper_accuracy": PAPER[a][0],
                    "paper_majority": PAPER[a][1],
                    "_pred": np.zeros(0, np.int64),
                    "_hidden": np.zeros(0, np.int64),
                }
                continue
            hidden = hide(data, documented, rng, frac, split)
            edge_rel = data.relation.astype(np.int64).copy()
            edge_rel[np.isin(data.child, hidden)] = -1  # every edge of a hidden model loses its type
            pred, conf = predict_relation(data, words, edge_rel, hidden)
            labels = list(TYPED)
        else:
            truth_all, labels = data.attrs[a]
            documented = np.flatnonzero(truth_all >= 0)
            hidden = hide(data, documented, rng, frac, split)
            masked = truth_all.copy()
            masked[hidden] = -1
            pred, conf = predict_attribute(data, words, a, masked, hidden)
        truth = truth_all[hidden]
        visible = np.setdiff1d(documented, hidden)
        major = int(np.bincount(truth_all[visible]).argmax()) if len(visible) else -1
        acc = float((pred == truth).mean()) if len(hidden) else None
        base = float((truth == major).mean()) if len(hidden) else None
        sure = conf >= 0.8
        out[a] = {
            "documented": len(documented),
            "hidden": len(hidden),
            "evaluated": True,
            "split": split,
            "accuracy": _r(acc),
            "majority_label": labels[major] if major >= 0 else None,
            "majority_accuracy": _r(base),
            "accuracy_when_confident": _r(float((pred[sure] == truth[sure]).mean()) if sure.any() else None),
            "confident_share": _r(float(sure.mean()) if len(sure) else None),
            "paper_accuracy": PAPER[a][0],
            "paper_majority": PAPER[a][1],
            "_pred": pred,
            "_hidden": hidden,
        }
    return out


def public(result: dict) -> dict:
    """An evaluation without its arrays (for JSON)."""
    return {a: {k: v for k, v in r.items() if not k.startswith("_")} for a, r in result.items()}


def predict_missing(data: AtlasData, words: NameWords) -> dict[str, tuple[np.ndarray, np.ndarray, list[str]]]:
    """attribute -> (code per node, -1 where documented or not predictable; confidence; labels)."""
    out = {}
    for a in ATTRIBUTES:
        codes, labels = data.attrs[a]
        query = np.flatnonzero((codes < 0) & ~data.placeholder)
        pred, conf = predict_attribute(data, words, a, codes, query)
        full, c = np.full(data.n, -1, np.int32), np.zeros(data.n, np.float32)
        full[query], c[query] = pred, conf
        out[a] = (full, c, labels)
    rel = node_relation(data)
    untyped = np.flatnonzero(rel == UNKNOWN)  # documented edge without a type
    pred, conf = predict_relation(data, words, data.relation.astype(np.int64), untyped)
    full, c = np.full(data.n, -1, np.int32), np.zeros(data.n, np.float32)
    full[untyped], c[untyped] = pred, conf
    out["relation"] = (full, c, list(TYPED))
    return out


def save(cache_dir: str | Path, preds: dict, data_version) -> Path:
    """Write predictions (dictionary columns, null where none) atomically beside the snapshot."""
    d = Path(cache_dir) / ANALYSES_DIR
    d.mkdir(parents=True, exist_ok=True)
    cols = {}
    for a, (codes, conf, labels) in preds.items():
        idx = pa.array(codes, mask=codes < 0, type=pa.int32())
        cols[f"{a}"] = pa.DictionaryArray.from_arrays(idx, pa.array(labels, pa.string()))
        cols[f"{a}_confidence"] = pa.array(conf, type=pa.float32())
    table = pa.table(cols).replace_schema_metadata({"data_version": json.dumps(data_version)})
    path = d / FILE
    atomic.write_arrow(path, table)
    return path


def load_predictions(cache_dir: str | Path, data_version, n: int) -> pa.Table | None:
    """The saved predictions when they match this snapshot (same data version and size), else None."""
    path = Path(cache_dir) / ANALYSES_DIR / FILE
    try:
        table = pa.ipc.open_file(pa.memory_map(str(path), "r")).read_all()
    except (OSError, pa.ArrowInvalid):
        return None
    meta = table.schema.metadata or {}
    if json.loads(meta.get(b"data_version", b"null")) != data_version or table.num_rows != n:
        return None
    return table


def _k(frac: float, n: int) -> int:
    return min(n, max(1, round(frac * n))) if n else 0


def _r(x):
    return None if x is None else round(x, 4)
