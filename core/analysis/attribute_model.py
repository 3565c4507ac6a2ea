"""One attribute's predictor: every signal of attribute_signals, weighted as learnt on an inner fold of the
visible values (signal_weights). ``fit`` prepares it; predict.py applies it in bounded chunks of rows."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from hubatlas.core.analysis.attribute_signals import AtlasSpace, Signals
from hubatlas.core.analysis.data import ATTRIBUTES, AtlasData
from hubatlas.core.analysis.naive_bayes import NameWords, authors, frequent_codes, one_hot
from hubatlas.core.analysis.signal_weights import INNER_FRAC, INNER_MAX, INNER_MIN, combine, fit_weights
from hubatlas.core.analysis.splits import hide

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


@dataclass
class Fitted:
    """The signals of one attribute over the visible codes and their learnt weights (and, when asked, the
    weights learnt without each signal: the ablation)."""

    signals: Signals
    names: tuple[str, ...]
    weights: np.ndarray
    inner: int  # values of the inner fold the weights were learnt on
    without: dict[str, np.ndarray] = field(default_factory=dict)
    calibration: object | None = None  # winner's share of the evidence -> share right on the inner fold

    def variants(self) -> dict[str, np.ndarray]:
        """'all' and 'without <signal>' -> weights."""
        return {"all": self.weights, **{f"without {s}": w for s, w in self.without.items()}}

    def predict(self, query: np.ndarray, variants: bool = False) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Each variant's (class, confidence) of ``query``; with ``variants`` also TOPS: (each signal's own
        top class, whether it had any evidence), (rows, signals) each."""
        S = self.signals.at(query)
        ws = self.variants() if variants else {"all": self.weights}
        out = {name: combine(S, w) for name, w in ws.items()}
        if self.calibration is not None:
            pred, share = out["all"]
            out["all"] = (pred, np.clip(self.calibration.predict(share), 0.0, 1.0))  # type: ignore[attr-defined]
        if variants:
            out[TOPS] = (S.argmax(2).T, (S.sum(2) > 0).T)
        return out


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
) -> Fitted:
    """Signals over ``codes`` (-1 = unknown to the predictor) and their weights, learnt by hiding a seeded
    INNER_FRAC of the visible values (``split`` as the evaluation's) and predicting them from the rest."""
    k = max(int(codes.max()) + 1, 1) if len(codes) else 1
    X = attribute_design(data, words, target)
    visible = np.flatnonzero(codes >= 0)
    rng = np.random.default_rng([seed, 7919, len(target)])
    inner = hide(data, visible, rng, INNER_FRAC, split) if len(visible) > 1 else visible[:0]
    if len(inner) > inner_max:
        inner = np.sort(rng.choice(inner, size=inner_max, replace=False))
    inner_codes = codes.copy()
    inner_codes[inner] = -1
    coords = space(target, inner_codes) if space is not None else None  # blind to the inner fold too
    probe = Signals(data, X, inner_codes, k, coords)
    names = probe.names()
    S = probe.at(inner) if len(inner) else np.zeros((len(names), 0, k), np.float32)
    truth = codes[inner]
    weights = fit_weights(S, truth)
    without = {}
    if ablate:
        for i, s in enumerate(names):
            allowed = np.arange(len(names)) != i
            without[s] = fit_weights(S, truth, allowed)
    calibration = _calibration(S, weights, truth)
    del S, probe
    return Fitted(Signals(data, X, codes, k, coords), names, weights, len(inner), without, calibration)


def _calibration(S: np.ndarray, weights: np.ndarray, truth: np.ndarray):
    """Isotonic map from the winner's share of the combined evidence to the share of the inner fold's values
    predicted right at that share (a confidence of 0.8 is then right about 80% of the time), or None when
    the inner fold is too small to tell."""
    if len(truth) < INNER_MIN:
        return None
    from sklearn.isotonic import IsotonicRegression

    pred, share = combine(S, weights)
    right = (pred == truth).astype(np.float64)
    return IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(share, right)
