"""One attribute's predictor: every signal of attribute_signals, combined as learnt on an inner fold of the
visible values: a scalar weight per signal (signal_weights), and a chooser among the signals' answers that
reads their evidence (combiner), which decides where the inner fold was large enough to learn it. ``fit``
prepares it; predict.py applies it in bounded chunks of rows."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from hubatlas.core.analysis.attribute_signals import AtlasSpace, Signals
from hubatlas.core.analysis.combiner import Combiner
from hubatlas.core.analysis.data import ATTRIBUTES, AtlasData
from hubatlas.core.analysis.naive_bayes import NameWords, authors, frequent_codes, one_hot
from hubatlas.core.analysis.signal_weights import INNER_FRAC, INNER_MAX, INNER_MIN, combine, fit_weights
from hubatlas.core.analysis.splits import hide

INNER_FOLDS = 2  # disjoint inner folds, each up to INNER_MAX rows: the combiner learns from twice the rows
TAGGED = (
    "license",
)  # targets whose design holds the model's tags (the task and library are tags themselves)


def attribute_design(data: AtlasData, words: NameWords, target: str) -> sp.csr_matrix:
    """Features for predicting ``target``: name words, author and the other attributes (never the target);
    for the licence also the model's tags (licence tags never: data.load leaves them out) and its creation
    quarter."""
    blocks = [words.matrix, authors(data.author)]
    for a in ATTRIBUTES:
        if a != target:
            codes, labels = data.attrs[a]
            blocks.append(one_hot(codes, len(labels), 2.0))
    if target in TAGGED:
        if len(data.tag_pairs[0]):
            blocks.append(tag_matrix(data))
        quarter = np.where(data.month() >= 0, data.month() // 3, -1)
        if (quarter >= 0).any():
            quarter = np.where(quarter >= 0, quarter - quarter[quarter >= 0].min(), -1)
            blocks.append(one_hot(quarter, int(quarter.max()) + 1))
    return sp.hstack(blocks, format="csr")


def tag_matrix(data: AtlasData) -> sp.csr_matrix:
    """(n, tags) indicators of the tags used by at least two models."""
    rows, tags = data.tag_pairs
    codes = frequent_codes(tags.dictionary_encode().indices.to_numpy(zero_copy_only=False).astype(np.int64))
    ok = codes >= 0
    k = int(codes.max()) + 1 if ok.any() else 1
    m = sp.csr_matrix((np.ones(int(ok.sum()), np.float32), (rows[ok], codes[ok])), shape=(data.n, k))
    m.data[:] = 1.0  # a tag listed twice counts once
    return m


TOPS = "signal tops"
WEIGHTED = "weighted sum"


@dataclass
class Fitted:
    """The signals of one attribute over the visible codes, their learnt weights and combiner (and, when
    asked, the weights and combiner learnt without each signal: the ablation)."""

    signals: Signals
    names: tuple[str, ...]
    weights: np.ndarray
    inner: int  # values of the inner fold the weights were learnt on
    without: dict[str, np.ndarray] = field(default_factory=dict)
    calibration: object | None = None  # the answer's score -> share right on the inner fold
    combiner: Combiner | None = None
    combiners_without: dict[str, Combiner | None] = field(default_factory=dict)

    def variants(self) -> dict[str, tuple[np.ndarray, Combiner | None]]:
        """'all' and 'without <signal>' -> (weights, combiner); with an ablation and a combiner also WEIGHTED:
        the weighted sum alone, for comparison."""
        out = {"all": (self.weights, self.combiner)}
        for s, w in self.without.items():
            out[f"without {s}"] = (w, self.combiners_without.get(s))
        if self.combiner is not None and self.without:
            out[WEIGHTED] = (self.weights, None)
        return out

    def predict(self, query: np.ndarray, variants: bool = False) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Each variant's (class, confidence) of ``query``; with ``variants`` also TOPS: (each signal's own
        top class, whether it had any evidence), (rows, signals) each."""
        S = self.signals.at(query)
        ws = self.variants() if variants else {"all": self.variants()["all"]}
        out = {name: decide(S, w, c) for name, (w, c) in ws.items()}
        if self.calibration is not None:
            pred, score = out["all"]
            out["all"] = (pred, np.clip(self.calibration.predict(score), 0.0, 1.0))  # type: ignore[attr-defined]
        if variants:
            out[TOPS] = (S.argmax(2).T, (S.sum(2) > 0).T)
        return out


def decide(S: np.ndarray, weights: np.ndarray, combiner: Combiner | None) -> tuple[np.ndarray, np.ndarray]:
    """(class, score) per row: the combiner's choice and probability, else the weighted sum's best class and
    its share of the evidence."""
    return combiner.predict(S) if combiner is not None else combine(S, weights)


def fit(
    data: AtlasData,
    words: NameWords,
    target: str,
    codes: np.ndarray,
    space: AtlasSpace | None = None,
    split: str = "random",
    seed: int = 0,
    ablate: bool = False,
    inner_max: int = INNER_MAX,
    chooser: bool = True,
) -> Fitted:
    """Signals over ``codes`` (-1 = unknown to the predictor), their weights and combiner, learnt by hiding,
    INNER_FOLDS times, a disjoint seeded INNER_FRAC of the visible values (``split`` as the evaluation's) and
    predicting them from the rest. The combiner learnt from 7,500 rows of one fold of the real Hub's licences
    got 0.827, from 15,000 0.832: it is short of rows, and a second fold doubles them (0.675 -> 0.682 by
    author). ``chooser=False``: no combiner (the learnt weights decide; `layout`'s own predictions, 4x faster)."""
    k = max(int(codes.max()) + 1, 1) if len(codes) else 1
    X = attribute_design(data, words, target)
    rng = np.random.default_rng([seed, 7919, len(target)])
    left, parts, coords = np.flatnonzero(codes >= 0), [], None
    names: tuple[str, ...] = ()
    for fold in range(INNER_FOLDS):  # disjoint folds, each INNER_FRAC of the visible values
        frac = INNER_FRAC / (1.0 - fold * INNER_FRAC)
        inner = hide(data, left, rng, frac, split) if len(left) > 1 else left[:0]
        if len(inner) > inner_max:
            inner = np.sort(rng.choice(inner, size=inner_max, replace=False))
        left = np.setdiff1d(left, inner)
        inner_codes = codes.copy()
        inner_codes[inner] = -1
        fold_coords = space(target, inner_codes) if space is not None else None  # blind to the fold too
        coords = fold_coords if fold == 0 else coords  # the final signals read the first fold's space
        probe = Signals(data, X, inner_codes, k, fold_coords)
        names = probe.names()
        parts.append(
            (probe.at(inner) if len(inner) else np.zeros((len(names), 0, k), np.float32), codes[inner])
        )
        del probe
    S = np.concatenate([p[0] for p in parts], axis=1)
    truth = np.concatenate([p[1] for p in parts])
    counts = np.bincount(codes[codes >= 0], minlength=k)
    del parts
    weights = fit_weights(S, truth)
    combiner = Combiner(weights, counts, seed=seed).fit(S, truth) if chooser else None
    without, combiners_without = {}, {}
    if ablate:
        for i, s in enumerate(names):
            without[s] = fit_weights(S, truth, np.arange(len(names)) != i)
            combiners_without[s] = Combiner(without[s], counts, i, seed).fit(S, truth) if chooser else None
    calibration = _calibration(S, weights, truth, counts if combiner is not None else None, seed)
    del S
    return Fitted(
        Signals(data, X, codes, k, coords),
        names,
        weights,
        len(truth),
        without,
        calibration,
        combiner,
        combiners_without,
    )


def _calibration(S: np.ndarray, weights: np.ndarray, truth: np.ndarray, counts: np.ndarray | None, seed: int):
    """Isotonic map from an answer's score to the share of the inner fold's values predicted right at that
    score (a confidence of 0.8 is then right about 80% of the time), or None when the inner fold is too
    small to tell. With a combiner (``counts`` given) its scores are read out of fold: each half of the inner
    fold is scored by a combiner learnt on the other half (the final one has seen every row: its own scores
    would flatter)."""
    if len(truth) < INNER_MIN:
        return None
    from sklearn.isotonic import IsotonicRegression

    pred, score = combine(S, weights)
    if counts is None:
        return IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(score, pred == truth)
    half = np.random.default_rng([seed, 104729]).random(len(truth)) < 0.5
    folds = [Combiner(weights, counts, seed=seed).fit(S[:, ~h], truth[~h]) for h in (half, ~half)]
    if all(f is not None for f in folds):
        for h, f in zip((half, ~half), folds, strict=True):
            pred[h], score[h] = f.predict(S[:, h])  # type: ignore[union-attr]
    return IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(score, pred == truth)
