"""Issue 39, licence prediction: the author's nearest models (by date and by name), the logistic regression
over the model's features, and the context the learnt chooser reads, each on small cases with known answers."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pyarrow as pa
import scipy.sparse as sp
from helpers import analysis, make, rec

from hubatlas.core.analysis.combiner import Combiner
from hubatlas.core.analysis.linear_votes import LinearVotes
from hubatlas.core.analysis.near_votes import NEAR_K, NearVotes, name_rank
from hubatlas.core.analysis.row_context import CATEGORIES, categorical, columns, row_context
from hubatlas.core.analysis.signal_weights import fit_weights


# -- the author's nearest models ------------------------------------------------------------------------------------
def test_near_votes_read_the_authors_models_nearest_in_time_and_nothing_else():
    """Author 0 uploads a mit batch (days 1-3), then an apache batch (days 50-53); the query (day 52) sits in
    the apache batch: its nearest labelled models on each side say apache, though the author's models all
    together say mit (3 of 5 labelled). Author 1's models on day 52 never vote; the query's own label is
    masked; an author with no labelled model gives no evidence."""
    author = np.array([0, 0, 0, 0, 0, 0, 1, 1, 2])
    day = np.array([1, 2, 3, 50, 52, 53, 52, 52, 52])
    codes = np.array([0, 0, 0, 1, -1, 1, 0, 0, -1])  # 0 = mit, 1 = apache; node 4 is the query
    dist, rel = NearVotes(author, day, codes, 2).at(np.array([4, 8]))
    # before: node 3 (apache, 1/1) and node 2 (mit, 1/2); after: node 5 (apache, 1/1), then author 1: none
    assert NEAR_K == 2 and np.allclose(dist[0], [0.5 / 2.5, 2.0 / 2.5])
    assert rel.tolist() == [1.0, 0.0] and dist[1].tolist() == [0.0, 0.0]


def test_near_votes_by_name_follow_the_alphabet_within_the_author():
    names = pa.array(["bert-ner-v1", "sd-lora-a", "bert-ner-v2", "bert-ner-v3", "sd-lora-b", "zeta", None])
    rank = name_rank(names)
    assert rank.tolist() == [1, 4, 2, 3, 5, 6, 0]  # None sorts as ""
    author = np.zeros(7, np.int64)
    codes = np.array([0, 1, -1, 0, 1, 1, -1])  # the bert runs are mit (0), the lora styles openrail (1)
    dist, _ = NearVotes(author, rank, codes, 2).at(np.array([2]))
    # before: v1 (0, 1/1), "" unlabelled; after: v3 (0, 1/1), sd-lora-a (1, 1/2)
    assert np.allclose(dist[0], [2 / 2.5, 0.5 / 2.5])


# -- the logistic regression ----------------------------------------------------------------------------------------
def _two_word_world(n: int, seed: int) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray, np.ndarray]:
    """One word in five copies (present in 70% of class 0, 30% of class 1), one telling word (5% of class 0,
    95% of class 1) and its absence: the Bayes posterior of class 1 for each pair of words is known."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    bundle = rng.random(n) < np.where(y == 0, 0.7, 0.3)
    telling = rng.random(n) < np.where(y == 0, 0.05, 0.95)
    X = np.column_stack([bundle] * 5 + [telling, ~telling]).astype(np.float32)
    return sp.csr_matrix(X), y, bundle, telling


def test_the_logistic_regression_learns_the_bayes_posterior():
    """Its class probabilities come within 0.1 of the true posterior for every pair of words (the five
    copies weighed as one word), so it decides as the Bayes rule does; seeded; with nothing known it has
    no say."""
    X, y, bundle, telling = _two_word_world(6000, 0)
    train = np.arange(4000)
    codes = np.where(np.arange(6000) < 4000, y, -1)
    linear = LinearVotes(X, codes, train, 2)
    for b in (False, True):
        for t in (False, True):
            rows = 4000 + np.flatnonzero((bundle[4000:] == b) & (telling[4000:] == t))
            one = (0.3 if b else 0.7) * (0.95 if t else 0.05)
            zero = (0.7 if b else 0.3) * (0.05 if t else 0.95)
            dist, rel = linear.at(rows)
            assert len(rows) > 50 and np.allclose(dist[:, 1], one / (one + zero), atol=0.1)
            assert rel.min() == 1.0 and np.allclose(dist.sum(1), 1.0, atol=1e-5)
    test = np.arange(4000, 6000)
    assert (linear.at(test)[0].argmax(1) == y[test]).mean() > 0.9
    assert np.array_equal(LinearVotes(X, codes, train, 2).at(test)[0], linear.at(test)[0])
    assert LinearVotes(X, np.full(6000, -1), train[:0], 2).at(test)[1].sum() == 0


# -- the chooser's context ------------------------------------------------------------------------------------------
def _context_world(n: int, seed: int):
    """Two signals disagree on every row (a vs b); which one is right depends only on the row's context: the
    first where the model is popular, the second where it is not."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 3, n)
    b = (a + rng.integers(1, 3, n)) % 3
    popular = rng.random(n) < 0.5
    S = np.zeros((2, n, 3), np.float32)
    S[0, np.arange(n), a] = 0.8
    S[1, np.arange(n), b] = 0.8
    ctx = np.column_stack([rng.integers(0, 4, n), np.where(popular, 8.0, 0.5)]).astype(np.float32)
    return S, np.where(popular, a, b), ctx


def test_the_chooser_reads_the_rows_context():
    S, truth, ctx = _context_world(3000, 0)
    T, t_truth, t_ctx = _context_world(3000, 1)
    w, counts = fit_weights(S, truth), np.bincount(truth, minlength=3)
    blind = Combiner(w, counts).fit(S, truth)
    seeing = Combiner(w, counts, categorical=np.array([True, False])).fit(S, truth, ctx)
    assert blind is not None and seeing is not None
    assert (blind.predict(T)[0] == t_truth).mean() < 0.6
    assert (seeing.predict(T, t_ctx)[0] == t_truth).mean() > 0.99
    try:
        seeing.predict(T)
    except ValueError as e:
        assert "context" in str(e)
    else:
        raise AssertionError("a chooser that reads a context predicted without one")


def test_row_context_never_holds_the_target_and_keeps_the_frequent_values():
    n = 200
    lib = np.where(np.arange(n) < 150, 0, np.where(np.arange(n) < 190, 1, 2)).astype(np.int32)  # 2: 10 uses
    lib[0] = -1
    data = SimpleNamespace(
        n=n,
        attrs={
            "pipeline_tag": (np.zeros(n, np.int32), ["a"]),
            "library_name": (lib, ["x", "y", "z"]),
            "license": (np.ones(n, np.int32), ["p", "q"]),
        },
        tag_pairs=(np.array([3, 3, 5]), pa.array(["t1", "t2", "t1"])),
        author=np.r_[np.zeros(100, np.int32), np.ones(100, np.int32)],
        child=np.array([5]),
        downloads=np.arange(n),
        likes=np.zeros(n),
        month=lambda: np.where(np.arange(n) == 7, -1, 600),
        derived={},
    )
    assert columns("license")[:2] == ("pipeline_tag", "library_name") and "license" not in columns("license")
    assert categorical("license").tolist()[:3] == [True, True, False]
    ctx = row_context(data, "license", np.array([0, 3, 5, 7, 195]))
    lib_col = columns("license").index("library_name")
    assert ctx[0, lib_col] == CATEGORIES + 1 and ctx[4, lib_col] == CATEGORIES  # undocumented; too rare
    assert ctx[1, lib_col] == 0 and ctx[1, columns("license").index("tags")] == 2
    assert (
        ctx[2, columns("license").index("has parent")] == 1
        and ctx[1, columns("license").index("has parent")] == 0
    )
    assert (
        ctx[3, columns("license").index("month")] == -1 and ctx[4, columns("license").index("month")] == 600
    )
    assert np.isclose(ctx[4, columns("license").index("downloads")], np.log1p(195))
    assert ctx.shape == (5, len(columns("license")))


def test_the_logistic_regression_learns_only_the_most_frequent_classes_apart(monkeypatch):
    """Above MAX_CLASSES labels its weights stay features × (MAX_CLASSES + 1): the rarer classes share one
    column and get no score, the frequent ones are still learnt (each told by its own word)."""
    import hubatlas.core.analysis.linear_votes as LV

    monkeypatch.setattr(LV, "MAX_CLASSES", 3)
    rng = np.random.default_rng(0)
    y = np.r_[np.repeat([0, 1, 2], 300), np.repeat([3, 4, 5, 6], 20)]  # 3..6 rarer
    X = sp.csr_matrix(np.eye(7, dtype=np.float32)[y])  # each class's own word
    train = rng.permutation(len(y))[: len(y) - 60]
    test = np.setdiff1d(np.arange(len(y)), train)
    linear = LinearVotes(X, y, train, 7)
    assert linear.W.shape == (7, 4) and linear.classes.tolist() == [0, 1, 2]
    dist, _ = linear.at(test)
    assert np.all(dist[:, 3:] == 0)
    frequent = y[test] < 3
    assert (dist[frequent].argmax(1) == y[test][frequent]).all() and dist[~frequent, :3].max() < 0.2


def test_an_inner_fold_sampled_down_still_hides_its_whole_share(tmp_path, monkeypatch):
    """An inner fold larger than ``inner_max`` learns from a sample of its rows, but all of the fold stays
    hidden while its signals are built: split by author, no row learnt from has a visible model of its
    author (a fold that hid only its sample let the author's other models answer, so the chooser learnt a
    random split's trust in authors and the author split's licences lost 1.2 points on the real Hub)."""
    import hubatlas.core.analysis.attribute_model as AM

    cache = tmp_path / "lic"
    make(
        cache,
        [
            rec(f"u{a}/model-{i}", tags=[f"license:{'mit' if a % 2 else 'apache-2.0'}"], downloads=i)
            for a in range(120)
            for i in range(12)
        ],
    )
    store, data, words = analysis(cache)
    store.close()
    codes = data.attrs["license"][0]
    probes: list[tuple[np.ndarray, np.ndarray]] = []
    real = AM.Signals

    class Recording(real):  # type: ignore[misc, valid-type]
        def at(self, query):
            probes.append((self.codes_seen, np.asarray(query)))
            return super().at(query)

        def __init__(self, data, X, seen, k, coords=None):
            super().__init__(data, X, seen, k, coords)
            self.codes_seen = seen

    monkeypatch.setattr(AM, "Signals", Recording)
    AM.fit(data, words, "license", codes, split="author", inner_max=20)
    author = np.asarray(data.author)
    assert len(probes) == AM.INNER_FOLDS
    for seen, query in probes:
        assert len(query) == 20 and (seen[query] == -1).all()
        fold_authors = np.unique(author[query])
        assert (seen[np.isin(author, fold_authors)] == -1).all()  # every model of the fold's authors hidden


def test_the_calibrations_halves_keep_each_author_whole():
    """Split by author, the out-of-fold confidence is learnt on halves that never share an author."""
    from hubatlas.core.analysis.attribute_model import halves

    groups = np.repeat(np.arange(200), 7)
    h = halves(len(groups), 0, groups)
    assert 0.3 < h.mean() < 0.7
    assert all(len(set(h[groups == g].tolist())) == 1 for g in range(200))
    by_row = halves(len(groups), 0)
    assert any(len(set(by_row[groups == g].tolist())) == 2 for g in range(200))
    assert np.array_equal(h, halves(len(groups), 0, groups))  # seeded


def test_an_evaluation_without_the_ablation_predicts_the_same(tmp_path):
    """`report` evaluates without refitting per signal: the same predictions, no ablation lines."""
    from hubatlas.core.analysis.predict import evaluate

    cache = tmp_path / "lic"
    recs = [
        rec(f"u{a}/model-{i}", tags=[f"license:{'mit' if a % 3 else 'apache-2.0'}"], downloads=i)
        for a in range(60)
        for i in range(10)
    ]
    make(cache, recs)
    store, data, words = analysis(cache)
    store.close()
    full = evaluate(data, words, attributes=("license",))["license"]
    quick = evaluate(data, words, attributes=("license",), ablate=False)["license"]
    assert len(full["ablation"]) == len(full["signals"]) and quick["ablation"] == {}
    assert np.array_equal(full["_pred"], quick["_pred"]) and quick["accuracy"] == full["accuracy"]
