"""How far to trust a proposed parent, learnt from the atlas's own documented lineage.

The name rule (``lineage_infer.propose_parents``) finds a candidate base for a model that declares none; which
candidates are right depends on more than the name: measured on the real 2024-07 Hub, a base with documented
children is right far more often, so are popular bases, bases of the same author, longer base names, and
quantized children (their base is nearly always named whole). Those traits of each proposal are the features
of a small gradient-boosted classifier, trained on proposals for children whose documented parents were held
back (one seeded split), and its scores are then calibrated per bucket by isotonic regression on a second
split: the stored confidence is the share of such proposals that were right, monotone in the score, and
informative for bases without documented children too. An atlas with too few documented children to learn
from keeps the name rule's own confidence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hubatlas.core.analysis.data import AtlasData
from hubatlas.core.analysis.parent_names import orphan_nodes, propose_parents, without_edges

FEATURES = (
    "base children (log)",
    "base downloads (log)",
    "share of the child's name the base covers",
    "same author",
    "child downloads (log)",
    "child looks quantized",
    "child looks like an adapter",
    "days between them (log)",
    "base name length",
)
MIN_TRAIN = 200  # held-back proposals (with at least 20 right and 20 wrong) needed to learn the confidence


def features(data: AtlasData, kids_of: np.ndarray, child: np.ndarray, parent: np.ndarray) -> np.ndarray:
    """(len(child), len(FEATURES)) float64: the traits of each proposal (see FEATURES)."""
    names = data.names
    lens = np.asarray([len(x) for x in names.to_pylist()], np.float64) if data.n else np.zeros(0)
    dl = np.log1p(np.maximum(np.nan_to_num(data.downloads.astype(np.float64)), 0))
    author = np.asarray(data.author)
    gap = np.maximum(data.created_day[child].astype(np.float64) - data.created_day[parent], 0)
    return np.stack(
        [
            np.log1p(kids_of[parent]),
            dl[parent],
            lens[parent] / np.maximum(lens[child], 1),
            (author[child] == author[parent]).astype(np.float64),
            dl[child],
            data.quant[child].astype(np.float64),
            data.adapter[child].astype(np.float64),
            np.log1p(gap),
            lens[parent],
        ],
        1,
    ).reshape(len(child), len(FEATURES))


@dataclass
class ConfidenceModel:
    """A classifier of proposals and its calibration (score -> share right)."""

    classifier: object
    calibration: object
    trained_on: int
    calibrated_on: int

    def confidence(self, X: np.ndarray) -> np.ndarray:
        if not len(X):
            return np.zeros(0)
        raw = self.classifier.predict_proba(X)[:, 1]  # type: ignore[attr-defined]
        return np.clip(self.calibration.predict(raw), 0.0, 1.0)  # type: ignore[attr-defined]


def learnable(y: np.ndarray) -> bool:
    return len(y) >= MIN_TRAIN and 20 <= int(y.sum()) <= len(y) - 20


def learn(train: tuple[np.ndarray, np.ndarray], calibrate: tuple[np.ndarray, np.ndarray], seed: int):
    """A ConfidenceModel from (features, right) of two held-back splits, or None when either is too small."""
    (X0, y0), (X1, y1) = train, calibrate
    if not (learnable(y0) and learnable(y1)):
        return None
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.isotonic import IsotonicRegression

    clf = HistGradientBoostingClassifier(max_iter=200, max_depth=4, learning_rate=0.1, random_state=seed)
    clf.fit(X0, y0)
    iso = IsotonicRegression(y_min=0.0, y_max=1.0, increasing=True, out_of_bounds="clip")
    iso.fit(clf.predict_proba(X1)[:, 1], y1.astype(np.float64))
    return ConfidenceModel(clf, iso, len(y0), len(y1))


BUCKETS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
TARGET_PRECISION = 0.80  # the default threshold keeps proposals at least this precise on held-back lineage
MIN_PROPOSALS = 10  # fewer held-back proposals than this at a threshold say nothing about its precision


@dataclass
class HeldBack:
    """Proposals for children whose documented parents were held back, and whether each was right."""

    child: np.ndarray
    parent: np.ndarray
    name_confidence: np.ndarray  # the name rule's own
    right: np.ndarray
    hidden: int
    kids_of: np.ndarray  # documented children per node with those parents held back

    def features(self, data: AtlasData) -> np.ndarray:
        return features(data, self.kids_of, self.child, self.parent)


def held_back(data: AtlasData, hidden: np.ndarray) -> HeldBack:
    """Hide the documented parents of ``hidden`` and propose parents as for undocumented models."""
    keep = ~np.isin(data.child, hidden)
    view = without_edges(data, keep)
    c, p, conf = propose_parents(view, orphan_nodes(view))
    on = np.isin(c, hidden)
    truth = set(zip(data.child[~keep].tolist(), data.parent[~keep].tolist(), strict=False))
    ok = np.array([(a, b) in truth for a, b in zip(c[on].tolist(), p[on].tolist(), strict=False)], bool)
    kids_of = np.bincount(view.parent, minlength=data.n) if len(view.parent) else np.zeros(data.n, np.int64)
    return HeldBack(c[on], p[on], conf[on], ok, len(hidden), kids_of)


def calibrate(
    data: AtlasData, seed: int = 0, frac: float = 0.2
) -> tuple[dict | None, ConfidenceModel | None]:
    """Measure proposals on held-back lineage and learn their confidence (parent_confidence): the documented
    children are split into disjoint seeded folds of ``frac``: the first is evaluated, the second trains the
    classifier, the third calibrates it (too few to learn from: the name rule's confidence). The report gives
    precision and recall per confidence bucket and at or above each bucket's lower bound, and the lowest
    threshold whose precision reaches TARGET_PRECISION."""
    rng = np.random.default_rng(seed)
    kids = np.unique(data.child)
    kids = rng.permutation(kids[~data.placeholder[kids]])
    if len(kids) == 0:
        return None, None
    k = max(1, round(min(frac, 1 / 3) * len(kids)))
    test = held_back(data, kids[:k])
    model = None
    if len(kids) >= 3 * k:
        train, cal = held_back(data, kids[k : 2 * k]), held_back(data, kids[2 * k : 3 * k])
        model = learn((train.features(data), train.right), (cal.features(data), cal.right), seed)
    conf = model.confidence(test.features(data)) if model is not None else test.name_confidence
    report = _buckets(conf, test.right, test.hidden)
    report["confidence_from"] = (
        f"learnt from {model.trained_on:,} held-back proposals, calibrated on {model.calibrated_on:,}"
        if model is not None
        else "the name rule (too few documented children to learn from)"
    )
    return report, model


def parent_quality(data: AtlasData, seed: int = 0, frac: float = 0.2) -> dict | None:
    """The measurement of :func:`calibrate` (without the model)."""
    return calibrate(data, seed, frac)[0]


def _buckets(hconf: np.ndarray, ok: np.ndarray, hidden: int) -> dict:
    buckets, threshold = [], None
    for i, lo in enumerate(BUCKETS):
        hi = BUCKETS[i + 1] if i + 1 < len(BUCKETS) else 1.01
        inside = (hconf >= lo) & (hconf < hi)
        above = hconf >= lo
        b = {
            "confidence": f"{lo:.1f}-{min(hi, 1.0):.1f}",
            "proposed": int(inside.sum()),
            "precision": ratio(int(ok[inside].sum()), int(inside.sum())),
            "proposed_at_or_above": int(above.sum()),
            "precision_at_or_above": ratio(int(ok[above].sum()), int(above.sum())),
            "recall_at_or_above": ratio(int(ok[above].sum()), hidden),
        }
        buckets.append(b)
        if threshold is None and above.sum() >= MIN_PROPOSALS and ok[above].mean() >= TARGET_PRECISION:
            threshold = lo
    at = next(
        (b for b in buckets if threshold is not None and str(b["confidence"]).startswith(f"{threshold:.1f}")),
        None,
    )
    return {
        "hidden_children": hidden,
        "proposed": len(ok),
        "correct": int(ok.sum()),
        "precision": ratio(int(ok.sum()), len(ok)),
        "recall": ratio(int(ok.sum()), hidden),
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


def ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


__all__ = [
    "BUCKETS",
    "FEATURES",
    "MIN_TRAIN",
    "TARGET_PRECISION",
    "ConfidenceModel",
    "HeldBack",
    "calibrate",
    "features",
    "held_back",
    "learn",
    "parent_quality",
    "ratio",
]
