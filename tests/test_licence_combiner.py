"""Issue 39, licence prediction: the learnt combiner (a chooser among the signals' answers that reads their
evidence) and the namesake and cited signals, each on small cases with known answers."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pyarrow as pa
from helpers import analysis, make, rec

from hubatlas.core.analysis.attribute_signals import CitedVotes, GroupVotes, namesakes, reliability
from hubatlas.core.analysis.combiner import Combiner
from hubatlas.core.analysis.signal_weights import combine, fit_weights


# -- the namesake and cited signals -----------------------------------------------------------------------------
def test_namesakes_group_a_model_with_its_packaged_copies():
    """Packaging words (gguf, awq, 4bit, lora...) are dropped: copies share the base's group, a different
    model (an instruct tune) does not; the group votes give the copy its base's licence."""
    names = ["llama-9-7b", "llama-9-7b-gguf", "llama-9-7b-awq-4bit", "llama-9-7b-instruct", "qwen-9-lora"]
    group = namesakes(SimpleNamespace(names=pa.array(names)))
    assert group[0] == group[1] == group[2] and len({group[0], group[3], group[4]}) == 3
    codes = np.array([0, -1, -1, 1, 1])  # llama (0) documented, its copies not; the instruct tune is 1
    dist, rel = GroupVotes(group, codes, 2).at(np.array([1, 2, 4]))
    assert dist[0].tolist() == [1.0, 0.0] and dist[1].tolist() == [1.0, 0.0]
    assert rel[0] == reliability(np.array([1.0]))[0] and dist[2].tolist() == [0.0, 1.0]
    other = namesakes(
        SimpleNamespace(names=pa.array(["a-model", "b-model", "a-model-gguf"]))
    )  # not the kept one
    assert other.tolist() == [0, 1, 0] and namesakes(SimpleNamespace(names=pa.array(names)))[1] == group[1]


def test_cited_votes_weigh_each_shared_paper_or_dataset_by_how_many_share_it():
    """Model 0 (the query) cites arxiv:1 with models 1 and 2 (licence 0) and trains on dataset:big with
    models 3..9 (licence 1); its 'en' tag counts for nothing. A tag shared by u models weighs
    1 / log2(1 + u): 2 × 1/log2(4) = 1 for licence 0, 7 × 1/log2(9) for licence 1."""
    pairs = [(0, "arxiv:1"), (0, "dataset:big"), (0, "en"), (1, "arxiv:1"), (2, "arxiv:1")]
    pairs += [(i, "dataset:big") for i in range(3, 10)] + [(i, "en") for i in range(10, 40)]
    rows = np.array([r for r, _ in pairs])
    data = SimpleNamespace(n=40, tag_pairs=(rows, pa.array([t for _, t in pairs])))
    codes = np.array([-1, 0, 0] + [1] * 7 + [0] * 30)
    dist, rel = CitedVotes(data, codes, 2).at(np.array([0, 10]))
    big = 7 / np.log2(9)
    assert np.allclose(dist[0], [1 / (1 + big), big / (1 + big)], atol=1e-6)
    assert np.isclose(rel[0], reliability(np.array([1 + big]))[0], atol=1e-6)
    assert dist[1].tolist() == [0.0, 0.0] and rel[1] == 0.0  # 'en' only: no evidence


# -- the combiner -------------------------------------------------------------------------------------------------
def _evidence_world(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two signals over 3 classes. The features always say class a (0.6) then b (0.4); the other signal
    puts all its (0.3 or 0.95) evidence on b. b is right when that evidence is *weak* (a lone guess that
    happens to be the rarer, specific answer), a when it is strong: the weighted sum, whose b score grows with
    the evidence, cannot express it; a chooser that reads the evidence can."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 3, n)
    b = (a + rng.integers(1, 3, n)) % 3
    weak = rng.random(n) < 0.5
    S = np.zeros((2, n, 3), np.float32)
    S[0, np.arange(n), a], S[0, np.arange(n), b] = 0.6, 0.4
    S[1, np.arange(n), b] = np.where(weak, 0.3, 0.95)
    return S, np.where(weak, b, a)


def test_the_combiner_learns_what_no_scalar_weights_can():
    S, truth = _evidence_world(3000, 0)
    T, t_truth = _evidence_world(3000, 1)
    w = fit_weights(S, truth)
    scalar = (combine(T, w)[0] == t_truth).mean()
    combiner = Combiner(w, np.bincount(truth, minlength=3)).fit(S, truth)
    assert combiner is not None
    pred, prob = combiner.predict(T)
    assert scalar < 0.6 and (pred == t_truth).mean() > 0.99 and prob.min() > 0.9
    dropped = Combiner(w, np.bincount(truth, minlength=3), dropped=1).fit(S, truth)  # the ablation
    assert dropped is not None and (dropped.predict(T)[0] == t_truth).mean() < 0.6


def test_the_combiner_declines_too_few_rows_and_rows_without_evidence_fall_back():
    S, truth = _evidence_world(30, 0)
    assert Combiner(np.ones(2), np.ones(3)).fit(S, truth) is None  # fewer than MIN_ROWS
    S, truth = _evidence_world(400, 0)
    combiner = Combiner(np.ones(2), np.ones(3)).fit(S, truth)
    empty = np.zeros((2, 2, 3), np.float32)
    pred, prob = combiner.predict(empty)  # type: ignore[union-attr]
    assert pred.tolist() == [0, 0] and prob.tolist() == [0.0, 0.0]


def test_the_combined_confidence_stays_calibrated():
    """The isotonic confidence is learnt from out-of-fold combiner scores: on fresh rows with noisy answers
    (20% of them flipped) a confidence says how often it is right."""
    from hubatlas.core.analysis.attribute_model import _calibration
    from hubatlas.core.analysis.parent_confidence import calibration_error

    def noisy(n, seed):
        S, truth = _evidence_world(n, seed)
        flip = np.random.default_rng(seed + 10).random(n) < 0.2
        return S, np.where(flip, (truth + 1) % 3, truth)

    S, truth = noisy(4000, 0)
    w, counts = fit_weights(S, truth), np.bincount(truth, minlength=3)
    combiner = Combiner(w, counts).fit(S, truth)
    iso = _calibration(S, w, truth, (counts, None, None), 0)
    T, t_truth = noisy(4000, 1)
    pred, prob = combiner.predict(T)  # type: ignore[union-attr]
    conf = iso.predict(prob)  # type: ignore[union-attr]
    right = pred == t_truth
    assert 0.75 < right.mean() < 0.85 and calibration_error(conf, right) < 0.05


def test_evaluate_uses_the_combiner_and_reports_the_new_signals(tmp_path):
    """On an atlas where authors carry the licence the learnt combiner decides (every ablation refits it)
    and the prediction keeps a calibrated confidence."""
    from hubatlas.core.analysis.attribute_model import fit
    from hubatlas.core.analysis.predict import predict_fitted

    recs = []
    for a in range(80):
        lic = "apache-2.0" if a % 2 else "mit"
        recs += [rec(f"u{a}/model-{i}", tags=[f"license:{lic}"], downloads=i) for i in range(12)]
    make(tmp_path / "c", recs)
    store, data, words = analysis(tmp_path / "c")
    store.close()
    codes = data.attrs["license"][0]
    masked = codes.copy()
    hidden = np.arange(0, data.n, 7)
    masked[hidden] = -1
    model = fit(data, words, "license", masked, ablate=True)
    assert model.combiner is not None and model.calibration is not None
    assert set(model.combiners_without) == set(model.names) >= {"namesake", "cited"}
    pred, conf = predict_fitted(model, hidden)["all"]
    assert (pred == codes[hidden]).mean() > 0.95 and ((conf >= 0) & (conf <= 1)).all() and conf.mean() > 0.8


def test_layouts_own_predictions_skip_the_chooser_and_predict_uses_it(tmp_path, monkeypatch):
    """`layout` predicts with the learnt weights alone (it stays fast); `hubatlas predict` fits the chooser,
    and both predict the hidden licences the authors carry."""
    from hubatlas.core.analysis import combiner as C
    from hubatlas.core.analysis.complete import predict_missing_values
    from hubatlas.core.analysis.predict import load_predictions, predict_missing
    from hubatlas.core.store.database import Store

    recs = []
    for a in range(80):
        lic = "apache-2.0" if a % 2 else "mit"
        recs += [rec(f"u{a}/model-{i}", tags=[f"license:{lic}"] if i % 4 else []) for i in range(12)]
    make(tmp_path / "c", recs)
    fits = []
    real_fit = C.Combiner.fit
    monkeypatch.setattr(
        C.Combiner, "fit", lambda self, S, t, *c: fits.append(len(t)) or real_fit(self, S, t, *c)
    )
    with Store(tmp_path / "c") as store:
        info = predict_missing_values(store)
        assert fits == [] and info["predicted"]["license"] == 80 * 3
        version = store.data_version()
    table = load_predictions(tmp_path / "c", version, 80 * 12)
    assert table is not None
    got = table.column("license").to_pylist()
    want = ["apache-2.0" if a % 2 else "mit" for a in range(80) for i in range(12)]
    undocumented = [k for k in range(80 * 12) if k % 12 % 4 == 0]
    assert sum(got[k] == want[k] for k in undocumented) / len(undocumented) > 0.95
    store, data, words = analysis(tmp_path / "c")
    store.close()
    predict_missing(data, words)
    assert fits  # the explicit command learns the chooser
