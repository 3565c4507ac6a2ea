"""One attribute's predictor: every signal of attribute_signals, combined as learnt on an inner fold of the
visible values: a scalar weight per signal (signal_weights), and a chooser among the signals' answers that
reads their evidence (combiner), which decides where the inner fold was large enough to learn it. ``fit``
prepares it; predict.py applies it in bounded chunks of rows."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from hubatlas.core.analysis.attribute_signals import AtlasSpace, Signals
from hubatlas.core.analysis.combiner import Combiner
from hubatlas.core.analysis.data import ATTRIBUTES, AtlasData
from hubatlas.core.analysis.naive_bayes import NameWords, authors, frequent_codes, one_hot
from hubatlas.core.analysis.row_context import categorical, row_context
from hubatlas.core.analysis.signal_weights import INNER_FRAC, INNER_MAX, INNER_MIN, combine, fit_weights
from hubatlas.core.analysis.splits import hide

FIT_THREADS = 4  # combiner fits run side by side (the ablation's, the calibration's)
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
    context: Callable[[np.ndarray], np.ndarray] | None = None  # query -> the rows' context (row_context)

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
        ctx = self.context(query) if self.context is not None and self.combiner is not None else None
        out = {name: decide(S, w, c, ctx) for name, (w, c) in ws.items()}
        if self.calibration is not None:
            pred, score = out["all"]
            out["all"] = (pred, np.clip(self.calibration.predict(score), 0.0, 1.0))  # type: ignore[attr-defined]
        if variants:
            out[TOPS] = (S.argmax(2).T, (S.sum(2) > 0).T)
        return out


def decide(
    S: np.ndarray, weights: np.ndarray, combiner: Combiner | None, context: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(class, score) per row: the combiner's choice and probability (reading the rows' ``context``), else
    the weighted sum's best class and its share of the evidence."""
    return combiner.predict(S, context) if combiner is not None else combine(S, weights)


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
    predicting at most ``inner_max`` of them from the rest. The whole fold stays hidden while its signals are
    built, not only the rows learnt from: split by author, a sampled fold that left the author's other models
    visible taught the chooser to trust authors, and the real Hub's author-split licences lost 1.2 points
    (0.701 -> 0.713 once fixed; random split 0.852 -> 0.858). The combiner learnt from 7,500 rows of one fold
    of the real Hub's licences got 0.827, from 15,000 0.832: a second fold doubles its rows. ``chooser=False``:
    no combiner, and one inner fold is enough for the weights (`layout`'s own predictions, 3x faster)."""
    k = max(int(codes.max()) + 1, 1) if len(codes) else 1
    X = attribute_design(data, words, target)
    rng = np.random.default_rng([seed, 7919, len(target)])
    left, parts, coords = np.flatnonzero(codes >= 0), [], None
    names: tuple[str, ...] = ()
    for fold in range(INNER_FOLDS if chooser else 1):  # disjoint folds, each INNER_FRAC of the visible values
        frac = INNER_FRAC / (1.0 - fold * INNER_FRAC)
        fold_hidden = hide(data, left, rng, frac, split) if len(left) > 1 else left[:0]
        inner = fold_hidden  # the rows learnt from: at most inner_max of the fold, the whole fold hidden
        if len(inner) > inner_max:
            inner = np.sort(rng.choice(inner, size=inner_max, replace=False))
        left = np.setdiff1d(left, fold_hidden)
        inner_codes = codes.copy()
        inner_codes[fold_hidden] = -1
        fold_coords = space(target, inner_codes) if space is not None else None  # blind to the fold too
        coords = fold_coords if fold == 0 else coords  # the final signals read the first fold's space
        probe = Signals(data, X, inner_codes, k, fold_coords)
        names = probe.names()
        parts.append(
            (probe.at(inner) if len(inner) else np.zeros((len(names), 0, k), np.float32), codes[inner], inner)
        )
        del probe
    S = np.concatenate([p[0] for p in parts], axis=1)
    truth = np.concatenate([p[1] for p in parts])
    rows_learnt = np.concatenate([p[2] for p in parts])
    ctx = row_context(data, target, rows_learnt)
    groups = np.asarray(data.author, np.int64)[rows_learnt] if split == "author" else None
    counts, cat = np.bincount(codes[codes >= 0], minlength=k), categorical(target)
    del parts
    weights = fit_weights(S, truth)
    combiner = Combiner(weights, counts, seed=seed, categorical=cat).fit(S, truth, ctx) if chooser else None
    without, combiners_without = {}, {}
    if ablate:
        for i, s in enumerate(names):
            without[s] = fit_weights(S, truth, np.arange(len(names)) != i)
        if chooser:
            fits = in_threads(
                lambda i, S=S: Combiner(without[names[i]], counts, i, seed, cat).fit(S, truth, ctx),
                range(len(names)),
            )
            combiners_without = dict(zip(names, fits, strict=True))
    calibration = _calibration(
        S, weights, truth, (counts, cat, ctx) if combiner is not None else None, seed, groups
    )
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
        lambda query: row_context(data, target, query),
    )


def in_threads(fit: Callable, items) -> list:
    """``fit`` of each item, on up to FIT_THREADS threads (each combiner fit runs one OpenMP thread and
    releases the GIL while it grows its trees: 1.5x faster on two busy cores); the same results in any order."""
    from concurrent.futures import ThreadPoolExecutor

    items = list(items)
    workers = max(1, min(FIT_THREADS, os.cpu_count() or 1, len(items)))
    if workers == 1:
        return [fit(x) for x in items]
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(fit, items))


def halves(n: int, seed: int, groups: np.ndarray | None = None) -> np.ndarray:
    """A seeded split of ``n`` rows in two (True: the first half); with ``groups``, whole groups at a time."""
    rng = np.random.default_rng([seed, 104729])
    if groups is None or not len(groups):
        return rng.random(n) < 0.5
    return (rng.random(int(groups.max()) + 1) < 0.5)[groups]


def _calibration(
    S: np.ndarray,
    weights: np.ndarray,
    truth: np.ndarray,
    chooser: tuple | None,
    seed: int,
    groups: np.ndarray | None = None,
):
    """Isotonic map from an answer's score to the share of the inner fold's values predicted right at that
    score (a confidence of 0.8 is then right about 80% of the time), or None when the inner fold is too
    small to tell. With a combiner (``chooser``: its class counts, categorical columns and the rows'
    context) its scores are read out of fold: each half of the inner fold is scored by a combiner learnt on
    the other half (the final one has seen every row: its own scores would flatter). With ``groups`` (each
    row's author, in the author split) the halves split whole authors: a chooser that reads the context can
    learn an author's habits, which a held-out author does not share (halves by row put the real Hub's
    author-split licences at confidence ≥ 0.8 right 0.918 of the time)."""
    if len(truth) < INNER_MIN:
        return None
    from sklearn.isotonic import IsotonicRegression

    pred, score = combine(S, weights)
    if chooser is None:
        return IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(score, pred == truth)
    counts, cat, ctx = chooser
    rng = np.random.default_rng([seed, 104729])
    half = (
        rng.random(len(truth)) < 0.5 if groups is None else (rng.random(int(groups.max()) + 1) < 0.5)[groups]
    )

    def rows(c, h):
        return None if c is None else c[h]

    folds = in_threads(
        lambda h: Combiner(weights, counts, seed=seed, categorical=cat).fit(
            S[:, ~h], truth[~h], rows(ctx, ~h)
        ),
        (half, ~half),
    )
    if all(f is not None for f in folds):
        for h, f in zip((half, ~half), folds, strict=True):
            pred[h], score[h] = f.predict(S[:, h], rows(ctx, h))
    return IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(score, pred == truth)
