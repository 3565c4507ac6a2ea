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

from hubatlas.core.analysis.attribute_model import TOPS, WEIGHTED, Fitted, fit
from hubatlas.core.analysis.attribute_signals import AtlasSpace
from hubatlas.core.analysis.data import ATTRIBUTES, AtlasData, node_relation
from hubatlas.core.analysis.eval_margins import interval, per_class
from hubatlas.core.analysis.lineage_infer import MIN_CLASS_EDGES, TYPED, UNKNOWN, edge_design, relation_scores
from hubatlas.core.analysis.naive_bayes import NameWords
from hubatlas.core.analysis.splits import SPLITS, hide  # noqa: F401  (hide: re-exported)
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


def predict_attribute(
    data: AtlasData,
    words: NameWords,
    target: str,
    codes: np.ndarray,
    query: np.ndarray,
    space: AtlasSpace | None = None,
    split: str = "random",
    seed: int = 0,
    chooser: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """(predicted code, confidence) for the nodes ``query`` from ``codes`` (-1 = unknown to the predictor);
    ``chooser``: the learnt chooser decides (core.analysis.combiner), else the learnt weights alone."""
    if not (codes >= 0).any() or len(query) == 0:
        return np.full(len(query), -1), np.zeros(len(query))
    model = fit(data, words, target, codes, space, split, seed, chooser=chooser)
    return predict_fitted(model, query)["all"]


def predict_fitted(
    model: Fitted, query: np.ndarray, variants: bool = False
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each weight variant's (predicted code, confidence) for ``query``, in chunks of about CHUNK_CELLS
    (rows × classes × signals) dense cells, whatever the number of labels."""
    k, m = model.signals.k, len(model.names)
    rows = max(256, CHUNK_CELLS // (k * m))
    out: dict[str, tuple[list, list]] = {}
    for s in range(0, len(query), rows):
        for name, (p, c) in model.predict(query[s : s + rows], variants).items():
            out.setdefault(name, ([], []))[0].append(p)
            out[name][1].append(c)
    return {name: (np.concatenate(p).astype(np.int64), np.concatenate(c)) for name, (p, c) in out.items()}


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


def evaluate(
    data: AtlasData,
    words: NameWords,
    seed: int = 0,
    frac: float = 0.2,
    attributes=PREDICTED,
    split: str = "random",
    space: AtlasSpace | None = None,
    ablate: bool = True,
) -> dict:
    """Hide ``frac`` of each attribute's documented values (seeded; of its authors with ``split="author"``),
    predict them, report accuracy (with a 95% bootstrap interval) next to the majority label of the visible
    values and the paper's figures; for task, library and licence also each signal's learnt weight and (with
    ``ablate``) the accuracy without it (its weights and chooser learnt again without it: most of the time
    an evaluation takes), and for relations the per-type figures."""
    out = {}
    for a in attributes:
        rng = np.random.default_rng([seed, PREDICTED.index(a)])
        if a == "relation":
            out[a] = _evaluate_relation(data, words, rng, frac, split)
            continue
        truth_all, labels = data.attrs[a]
        documented = np.flatnonzero(truth_all >= 0)
        hidden = hide(data, documented, rng, frac, split)
        masked = truth_all.copy()
        masked[hidden] = -1
        extra: dict = {}
        if len(hidden) and (masked >= 0).any():
            model = fit(data, words, a, masked, space, split, seed, ablate=ablate)
            res = predict_fitted(model, hidden, variants=True)
            pred, conf = res["all"]
            truth = truth_all[hidden]
            extra = {
                "signals": {s: round(float(w), 3) for s, w in zip(model.names, model.weights, strict=True)},
                "weights_learnt_on": model.inner,
                "ablation": {
                    k: _r(float((p == truth).mean()))
                    for k, (p, _) in res.items()
                    if k not in ("all", TOPS, WEIGHTED)
                },
                "combiner": model.combiner is not None,  # else the weighted sum decided
                "weighted_sum_accuracy": _r(float((res[WEIGHTED][0] == truth).mean()))
                if WEIGHTED in res
                else None,
                # the share whose value is some signal's own top answer: no way of weighing them does better
                "reachable": _r(float(((res[TOPS][0] == truth[:, None]) & res[TOPS][1]).any(1).mean())),
            }
        else:
            pred, conf = np.full(len(hidden), -1), np.zeros(len(hidden))
        out[a] = {**_scores(truth_all, documented, hidden, pred, conf, labels, split, a, rng), **extra}
    return out


def _evaluate_relation(data: AtlasData, words: NameWords, rng, frac: float, split: str) -> dict:
    truth_all = node_relation(data)
    documented = np.flatnonzero(truth_all < len(TYPED))
    kinds = np.bincount(truth_all[documented], minlength=len(TYPED))
    if (kinds >= MIN_CLASS_EDGES).sum() < 2:  # one documented type (2024-era data): nothing to tell apart
        return {
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
            "paper_accuracy": PAPER["relation"][0],
            "paper_majority": PAPER["relation"][1],
            "_pred": np.zeros(0, np.int64),
            "_hidden": np.zeros(0, np.int64),
        }
    hidden = hide(data, documented, rng, frac, split)
    edge_rel = data.relation.astype(np.int64).copy()
    edge_rel[np.isin(data.child, hidden)] = -1  # every edge of a hidden model loses its type
    pred, conf = predict_relation(data, words, edge_rel, hidden)
    r = _scores(truth_all, documented, hidden, pred, conf, list(TYPED), split, "relation", rng)
    r["per_type"] = per_class(pred, truth_all[hidden], TYPED, rng)
    return r


def _scores(truth_all, documented, hidden, pred, conf, labels, split, a, rng) -> dict:
    truth = truth_all[hidden]
    visible = np.setdiff1d(documented, hidden)
    major = int(np.bincount(truth_all[visible]).argmax()) if len(visible) else -1
    acc = float((pred == truth).mean()) if len(hidden) else None
    base = float((truth == major).mean()) if len(hidden) else None
    sure = conf >= 0.8
    return {
        "documented": len(documented),
        "hidden": len(hidden),
        "evaluated": True,
        "split": split,
        "accuracy": _r(acc),
        "accuracy_95": interval(pred == truth, rng),
        "majority_label": labels[major] if major >= 0 else None,
        "majority_accuracy": _r(base),
        "accuracy_when_confident": _r(float((pred[sure] == truth[sure]).mean()) if sure.any() else None),
        "confident_share": _r(float(sure.mean()) if len(sure) else None),
        "paper_accuracy": PAPER[a][0],
        "paper_majority": PAPER[a][1],
        "_pred": pred,
        "_hidden": hidden,
    }


def public(result: dict) -> dict:
    """An evaluation without its arrays (for JSON)."""
    return {a: {k: v for k, v in r.items() if not k.startswith("_")} for a, r in result.items()}


def predict_missing(
    data: AtlasData, words: NameWords, space: AtlasSpace | None = None, chooser: bool = True
) -> dict[str, tuple[np.ndarray, np.ndarray, list[str]]]:
    """attribute -> (code per node, -1 where documented or not predictable; confidence; labels). With
    ``space`` the atlas-neighbour signal is used too; without ``chooser`` the learnt weights decide alone
    (on the real 2024-07 Hub: 20 s instead of 78 s, licence 0.817 instead of 0.832 held out)."""
    out = {}
    for a in ATTRIBUTES:
        codes, labels = data.attrs[a]
        query = np.flatnonzero((codes < 0) & ~data.placeholder)
        pred, conf = predict_attribute(data, words, a, codes, query, space, chooser=chooser)
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


def _r(x):
    return None if x is None else round(x, 4)
