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
from hubatlas.core.analysis.parent_candidates import SOURCES, Candidates, best_per_child, candidates
from hubatlas.core.analysis.parent_names import without_edges
from hubatlas.core.analysis.splits import SPLITS

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
    "proposed by the name rule",
    "proposed as the base of a quantized or adapter child",
    "proposed from the author's declared parents",
    "the name rule's confidence",
    "share of the author's declared children naming it",
    "the author's declared children (log)",
)
MIN_TRAIN = 200  # held-back proposals (with at least 20 right and 20 wrong) needed to learn the confidence


def features(data: AtlasData, kids_of: np.ndarray, cands: Candidates) -> np.ndarray:
    """(len(cands), len(FEATURES)) float64: the traits of each candidate (see FEATURES)."""
    child, parent = cands.child, cands.parent
    names = data.names
    lens = np.asarray([len(x) for x in names.to_pylist()], np.float64) if data.n else np.zeros(0)
    dl = np.log1p(np.maximum(np.nan_to_num(data.downloads.astype(np.float64)), 0))
    author = np.asarray(data.author)
    gap = np.maximum(data.created_day[child].astype(np.float64) - data.created_day[parent], 0)
    cols = [
        np.log1p(kids_of[parent]),
        dl[parent],
        lens[parent] / np.maximum(lens[child], 1),
        (author[child] == author[parent]).astype(np.float64),
        dl[child],
        data.quant[child].astype(np.float64),
        data.adapter[child].astype(np.float64),
        np.log1p(gap),
        lens[parent],
        *(cands.sources[:, i].astype(np.float64) for i in range(len(SOURCES))),
        cands.name_confidence,
        cands.author_share,
        np.log1p(cands.author_declared.astype(np.float64)),
    ]
    return np.stack(cols, 1).reshape(len(child), len(FEATURES))


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
    """Candidates for children whose documented parents were held back, and whether each was right."""

    cands: Candidates
    right: np.ndarray
    hidden: int
    kids_of: np.ndarray  # documented children per node with those parents held back

    def features(self, data: AtlasData) -> np.ndarray:
        return features(data, self.kids_of, self.cands)


def held_back(data: AtlasData, hidden: np.ndarray, sources=SOURCES) -> HeldBack:
    """Hide the documented parents of ``hidden`` and gather candidates as for undocumented models."""
    keep = ~np.isin(data.child, hidden)
    view = without_edges(data, keep)
    cands = candidates(view, hidden[~data.placeholder[hidden]], sources)
    truth = set(zip(data.child[~keep].tolist(), data.parent[~keep].tolist(), strict=False))
    ok = np.array(
        [(a, b) in truth for a, b in zip(cands.child.tolist(), cands.parent.tolist(), strict=False)], bool
    )
    kids_of = np.bincount(view.parent, minlength=data.n) if len(view.parent) else np.zeros(data.n, np.int64)
    return HeldBack(cands, ok, len(hidden), kids_of)


def folds(data: AtlasData, rng: np.random.Generator, frac: float, split: str) -> list[np.ndarray]:
    """Three disjoint seeded folds of the documented (non-placeholder) children, each about ``frac`` of
    them (at most a third): by child (split "random") or by author (split "author": every documented child
    of an author is in one fold, so no fold learns from the same author's declarations)."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r} (one of {', '.join(SPLITS)})")
    kids = np.unique(data.child)
    kids = kids[~data.placeholder[kids]]
    if not len(kids):
        return [kids, kids, kids]
    f = min(frac, 1 / 3)
    if split == "random":
        kids = rng.permutation(kids)
        k = max(1, round(f * len(kids)))
        return [np.sort(kids[i * k : (i + 1) * k]) for i in range(3)]
    author = np.asarray(data.author)[kids]
    who = rng.permutation(np.unique(author))
    k = max(1, round(f * len(who)))
    return [np.sort(kids[np.isin(author, who[i * k : (i + 1) * k])]) for i in range(3)]


def calibrate(
    data: AtlasData, seed: int = 0, frac: float = 0.2, split: str = "random", sources=SOURCES
) -> tuple[dict | None, ConfidenceModel | None]:
    """Measure proposals on held-back lineage and learn their confidence: the documented children are split
    into three disjoint seeded folds (see ``folds``): the first is evaluated, the second trains the
    classifier, the third calibrates it (too few to learn from: the name rule's confidence). Each child
    keeps its most confident candidate. The report gives precision and recall per confidence bucket and at
    or above each bucket's lower bound, the lowest threshold whose precision reaches TARGET_PRECISION, and
    how many right proposals each source made (``sources``: the candidate sources used, all by default)."""
    test_kids, train_kids, cal_kids = folds(data, np.random.default_rng(seed), frac, split)
    if len(test_kids) == 0:
        return None, None
    test = held_back(data, test_kids, sources)
    model = None
    if len(train_kids) and len(cal_kids):
        train, cal = held_back(data, train_kids, sources), held_back(data, cal_kids, sources)
        model = learn((train.features(data), train.right), (cal.features(data), cal.right), seed)
    conf = model.confidence(test.features(data)) if model is not None else test.cands.name_confidence
    pick = best_per_child(test.cands.child, conf)
    report = _buckets(conf[pick], test.right[pick], test.hidden)
    report["split"] = split
    report["confidence_from"] = (
        f"learnt from {model.trained_on:,} held-back candidates, calibrated on {model.calibrated_on:,}"
        if model is not None
        else "the name rule (too few documented children to learn from)"
    )
    report["right_by_source"] = {
        s: int((test.right[pick] & test.cands.sources[pick, i]).sum()) for i, s in enumerate(SOURCES)
    }
    report["calibration_by_source"] = _by_source(test, pick, conf, report.get("threshold"))
    return report, model


def _by_source(test: HeldBack, pick: np.ndarray, conf: np.ndarray, threshold) -> dict:
    """Per source, the kept proposals at the threshold it proposed and the share right."""
    out = {}
    at = conf[pick] >= (threshold if threshold is not None else 2.0)
    for i, s in enumerate(SOURCES):
        sel = at & test.cands.sources[pick, i]
        out[s] = {
            "proposed": int(sel.sum()),
            "precision": ratio(int(test.right[pick][sel].sum()), int(sel.sum())),
        }
    return out


def parent_quality(data: AtlasData, seed: int = 0, frac: float = 0.2, split: str = "random") -> dict | None:
    """The measurement of :func:`calibrate` (without the model)."""
    return calibrate(data, seed, frac, split)[0]


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
        "calibration_error": calibration_error(hconf, ok),
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


def calibration_error(conf: np.ndarray, ok: np.ndarray) -> float | None:
    """Expected calibration error over the BUCKETS: the proposals' share-weighted gap between each bucket's
    mean confidence and its share right (0: the confidence is the precision)."""
    if not len(ok):
        return None
    err = 0.0
    for lo, hi in zip(BUCKETS, (*BUCKETS[1:], 1.01), strict=True):
        inside = (conf >= lo) & (conf < hi)
        if inside.any():
            err += abs(float(ok[inside].mean()) - float(conf[inside].mean())) * int(inside.sum())
    return round(err / len(ok), 4)


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
    "calibration_error",
    "features",
    "folds",
    "held_back",
    "learn",
    "parent_quality",
    "ratio",
]
