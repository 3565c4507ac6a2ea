"""Issue 39: each new signal on small atlases with known answers. Licence prediction from the author's other
models, the family, the licence flow from parents and atlas neighbours (weights learnt on an inner fold,
with an ablation per signal); parent candidates from packaging names (GGUF...) and the author's declared
parents, held back by author; relation typing reported per type with bootstrap margins."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import analysis, make, rec

from hubatlas.core.analysis.signal_weights import INNER_FRAC, INNER_MIN


def _id(data, mid):
    return data.ids.to_pylist().index(mid)


# -- licence signals ------------------------------------------------------------------------------------------
def _licence_world(n_authors: int = 80, per: int = 12) -> list[dict]:
    """Authors with one licence each (even: apache-2.0, odd: mit; author 0's: llama2) and names that say
    nothing about it; one undocumented model of author 0 (llama2)."""
    recs = []
    for a in range(n_authors):
        lic = "llama2" if a == 0 else ("apache-2.0" if a % 2 else "mit")
        recs += [
            rec(f"u{a}/model-{i}", tags=[f"license:{lic}"], pipeline_tag="text-generation", downloads=i)
            for i in range(per)
        ]
    recs.append(rec("u0/model-new", pipeline_tag="text-generation"))
    return recs


def test_an_authors_licence_goes_to_their_undocumented_model(tmp_path):
    """Author 0 publishes llama2 models only, the world is apache/mit: their new undocumented model gets
    llama2, above the inner fold's size threshold (so the weights are learnt, not the defaults)."""
    from hubatlas.core.analysis.attribute_signals import GroupVotes
    from hubatlas.core.analysis.predict import predict_missing

    cache = tmp_path / "lic"
    make(cache, _licence_world())
    store, data, words = analysis(cache)
    store.close()
    codes, labels = data.attrs["license"]
    assert INNER_FRAC * (codes >= 0).sum() > INNER_MIN
    new = _id(data, "u0/model-new")
    dist, rel = GroupVotes(np.asarray(data.author, np.int64), codes, len(labels)).at(np.array([new]))
    assert labels[int(dist[0].argmax())] == "llama2" and dist[0].max() == 1.0 and rel[0] > 0.99
    preds = predict_missing(data, words)
    full, conf, labs = preds["license"]
    assert labs[full[new]] == "llama2" and conf[new] > 0.5


def test_evaluate_reports_each_signals_weight_and_ablation(tmp_path):
    """Authors carry the licence: the weights are learnt on the visible values (an inner fold of more than
    INNER_MIN), every signal has a weight and an accuracy without it, and the author split (nobody of the
    same author left) is far worse than the random one."""
    from hubatlas.core.analysis.predict import evaluate

    cache = tmp_path / "lic"
    make(cache, _licence_world())
    store, data, words = analysis(cache)
    store.close()
    r = evaluate(data, words, attributes=("license",))["license"]
    assert set(r["signals"]) == {
        "features",
        "lineage",
        "linear",
        "author",
        "author_time",
        "author_name",
        "family",
        "flow",
        "namesake",
        "cited",
    }
    assert set(r["ablation"]) == {f"without {s}" for s in r["signals"]}
    assert r["weights_learnt_on"] >= INNER_MIN and r["accuracy"] > 0.95
    assert r["accuracy"] - 0.01 <= r["reachable"] <= 1  # no weighing beats the signals' own top answers
    assert r["combiner"] and r["weighted_sum_accuracy"] is not None  # the learnt chooser decided
    lo, hi = r["accuracy_95"]
    assert lo <= r["accuracy"] <= hi
    a = evaluate(data, words, attributes=("license",), split="author")["license"]
    assert a["accuracy"] < r["accuracy"] - 0.3


def test_family_and_flow_signals_known_answers():
    """A family whose members are all 'gemma' votes gemma; parents' licences flow through the transitions
    learnt from labelled parent-child pairs (here mit parents have apache children)."""
    from types import SimpleNamespace

    from hubatlas.core.analysis.attribute_signals import FlowVotes, GroupVotes

    fam = np.array([0, 0, 0, 0, 1, 1])
    codes = np.array([2, 2, 2, -1, 0, -1])
    dist, rel = GroupVotes(fam, codes, 3).at(np.array([3, 5]))
    assert dist[0].tolist() == [0, 0, 1] and dist[1].tolist() == [1, 0, 0] and rel[0] > rel[1] > 0
    # edges parent->child: 0->1, 2->3 (both labelled: mit(0) -> apache(1)), 4->5 (child unknown)
    data = SimpleNamespace(n=6, parent=np.array([0, 2, 4]), child=np.array([1, 3, 5]))
    codes = np.array([0, 1, 0, 1, 0, -1])
    d, r = FlowVotes(data, codes, 3).at(np.array([5, 0]))
    assert int(d[0].argmax()) == 1 and r[0] > 0  # mit parent -> apache child, not a copy of mit
    assert r[1] == 0 and d[1].sum() == 0  # no parent: nothing to say


def test_atlas_neighbours_never_read_the_model_itself():
    from hubatlas.core.analysis.attribute_signals import ATLAS_K, AtlasVotes

    rng = np.random.default_rng(0)
    coords = np.concatenate([rng.normal(0, 0.1, (40, 2)), rng.normal(5, 0.1, (40, 2))])
    codes = np.array([0] * 40 + [1] * 40)
    codes[0] = 1  # a model whose own label disagrees with its neighbours
    dist, rel = AtlasVotes(coords, codes, 2).at(np.array([0, 45]))
    assert dist[0].argmax() == 0 and dist[1].argmax() == 1 and (rel == 1).all()
    assert ATLAS_K < 40


def test_atlas_space_is_blind_to_the_target(tmp_path):
    """The atlas signal's space is rebuilt without the target: masking one model's licence moves nothing
    but what its licence moved (the space never holds the licence block)."""
    from hubatlas.core.cli.atlas_space import DIMS, atlas_space
    from hubatlas.core.store.database import Store
    from hubatlas.core.store.snapshot import open_snapshot

    cache = tmp_path / "lic"
    make(cache, _licence_world(20, 6))
    with Store(cache, readonly=True) as store:
        snap = open_snapshot(cache)
        codes, _ = snap.codes("license")
        space = atlas_space(store, snap)
        full = space("license", codes)
        other = codes.copy()
        other[codes >= 0] = (codes[codes >= 0] + 1) % (codes.max() + 1)  # every licence changed
        changed = space("license", other)
    assert full.shape == (len(snap), DIMS)
    assert np.allclose(full, changed, atol=1e-4)  # the values of the target never enter the space


# -- parent candidates ----------------------------------------------------------------------------------------
def test_a_gguf_repo_named_after_its_base_gets_that_base():
    from hubatlas.core.analysis.parent_candidates import stripped

    assert stripped("Llama-2-7B-Chat-GGUF") == "llama-2-7b-chat"
    assert stripped("mistral-7b-instruct-v0.2-q4_k_m-gguf") == "mistral-7b-instruct-v0.2"
    assert stripped("phi-2-lora-4bit") == "phi-2"
    assert stripped("bert-base-uncased") == "bert-base-uncased"


def _packaged_world(tmp_path):
    recs = [
        rec("meta/Llama-2-7b-chat", createdAt="2023-07-01T00:00:00.000Z", downloads=100),
        rec("other/Llama-2-7b-chat", createdAt="2023-08-01T00:00:00.000Z"),  # a copy, younger
        # named exactly like its base, quantized by its tags only: the name rule never proposes a whole name
        rec("q/Llama-2-7b-chat", tags=["gguf"], createdAt="2023-09-01T00:00:00.000Z"),
        rec("q/Llama-2-7b-chat-GGUF", tags=["gguf"], createdAt="2023-09-02T00:00:00.000Z"),
        # an author who declared bert-base for four of their models and not for a fifth
        rec("google/bert-base", createdAt="2022-06-01T00:00:00.000Z"),
        *[
            rec(
                f"fan/sentiment-{i}",
                tags=["base_model:finetune:google/bert-base"],
                createdAt=f"2023-01-0{i + 1}T00:00:00.000Z",
            )
            for i in range(4)
        ],
        rec("fan/sentiment-new", createdAt="2023-05-01T00:00:00.000Z"),
        rec("fan/ancient", createdAt="2021-01-01T00:00:00.000Z"),  # older than the base: never its child
    ]
    c = tmp_path / "pk"
    make(c, recs)
    store, data, _ = analysis(c)
    store.close()
    return data


def test_packaged_and_author_candidates(tmp_path):
    from hubatlas.core.analysis.parent_candidates import SOURCES, candidates
    from hubatlas.core.analysis.parent_names import orphan_nodes

    data = _packaged_world(tmp_path)
    ids = data.ids.to_pylist()
    cands = candidates(data, orphan_nodes(data))
    got = {
        (ids[c], ids[p]): {s for s, on in zip(SOURCES, src, strict=True) if on}
        for c, p, src in zip(cands.child, cands.parent, cands.sources, strict=True)
    }
    assert got[("q/Llama-2-7b-chat", "meta/Llama-2-7b-chat")] == {"packaged"}
    assert "packaged" in got[("q/Llama-2-7b-chat-GGUF", "meta/Llama-2-7b-chat")]
    assert got[("fan/sentiment-new", "google/bert-base")] == {"author"}
    assert ("fan/ancient", "google/bert-base") not in got  # a parent is older than its child
    assert ("other/Llama-2-7b-chat", "meta/Llama-2-7b-chat") not in got  # not packaged: a copy
    i = next(k for k, pair in enumerate(got) if pair == ("fan/sentiment-new", "google/bert-base"))
    assert cands.author_share[i] == 1.0 and cands.author_declared[i] == 4
    only = candidates(data, orphan_nodes(data), sources=("name",))
    assert not only.sources[:, 1:].any()


def test_best_candidate_per_child():
    from hubatlas.core.analysis.parent_candidates import best_per_child

    child = np.array([3, 1, 3, 1, 2])
    conf = np.array([0.2, 0.5, 0.9, 0.5, 0.1])
    assert best_per_child(child, conf).tolist() == [1, 4, 2]  # ties: the first row


def test_folds_by_author_keep_each_author_in_one_fold():
    from types import SimpleNamespace

    from hubatlas.core.analysis.parent_confidence import folds

    rng = np.random.default_rng(0)
    n = 3000
    author = rng.integers(0, 300, n)
    child = np.arange(1000, n)
    data = SimpleNamespace(child=child, author=author, placeholder=np.zeros(n, bool))
    parts = folds(data, np.random.default_rng(1), 0.2, "author")
    who = [set(author[p].tolist()) for p in parts]
    assert all(len(p) > 200 for p in parts)
    assert not (who[0] & who[1]) and not (who[0] & who[2]) and not (who[1] & who[2])
    assert all(
        np.isin(child[np.isin(author[child], list(w))], p).all() for w, p in zip(who, parts, strict=True)
    )
    rnd = folds(data, np.random.default_rng(1), 0.2, "random")
    assert [len(p) for p in rnd] == [400, 400, 400] and len(set(author[rnd[0]]) & set(author[rnd[1]])) > 50
    with pytest.raises(ValueError, match="unknown split"):
        folds(data, rng, 0.2, "family")


def _parent_world(n_bases: int = 60, kids: int = 15) -> list[dict]:
    """Bases with children of many authors: GGUF repos named after their base (right by name), fine-tunes
    named after it (right by name), and GGUF repos named after one base but made from another (wrong by
    name: the confidence has to learn when a name misleads)."""
    recs = []
    for b in range(n_bases):
        base = f"org{b}/base{b}-model"
        recs.append(rec(base, createdAt="2023-01-01T00:00:00.000Z", downloads=1000 - b))
        for k in range(kids):
            i = b * kids + k
            if k % 3 == 0:
                name, kind, parent, tags = f"q{i % 40}/base{b}-model-GGUF", "quantized", base, ["gguf"]
            elif k % 3 == 1:
                name, kind, parent, tags = f"fan{i % 50}/base{b}-model-chat-{k}", "finetune", base, []
            else:
                other = f"org{(b + 1) % n_bases}/base{(b + 1) % n_bases}-model"
                name, kind, parent, tags = f"z{i % 30}/base{b}-model-x{k}", "finetune", other, []
            recs.append(
                rec(
                    name,
                    tags=[f"base_model:{kind}:{parent}", *tags],
                    createdAt=f"2023-03-{k + 1:02d}T00:00:00.000Z",
                )
            )
    return recs


def test_parent_proposals_held_out_by_author(tmp_path):
    """Above the classifier's training threshold (MIN_TRAIN held-back candidates per fold), held back by
    author: GGUF repos named after their bases are found, the calibrated threshold keeps precision >= 0.8,
    and the report says what each source found."""
    from hubatlas.core.analysis.parent_confidence import MIN_TRAIN, calibrate

    c = tmp_path / "par"
    make(c, _parent_world())
    store, data, _ = analysis(c)
    store.close()
    report, model = calibrate(data, split="author", frac=0.3)
    assert report["split"] == "author" and report["hidden_children"] > 200
    assert report["right_by_source"]["name"] > 100 and report["right_by_source"]["packaged"] > 30
    assert report["threshold"] is not None and report["at_threshold"]["precision"] >= 0.8
    assert report["at_threshold"]["recall"] >= 0.5
    assert set(report["calibration_by_source"]) == {"name", "packaged", "author"}
    assert model is not None and model.trained_on >= MIN_TRAIN  # learnt, not the name rule's own


# -- relation types per type --------------------------------------------------------------------------------
def test_per_type_report_with_margins():
    from hubatlas.core.analysis.eval_margins import interval, per_class

    truth = np.array([0] * 60 + [1] * 30 + [2] * 10)
    pred = truth.copy()
    pred[:6] = 1  # 6 finetunes called adapters
    pred[90:95] = 0  # 5 quantized called finetunes
    r = per_class(pred, truth, ("finetune", "adapter", "quantized", "merge"), np.random.default_rng(0))
    assert r["finetune"]["recall"] == 0.9 and r["finetune"]["precision"] == round(54 / 59, 4)
    assert r["adapter"]["precision"] == round(30 / 36, 4) and r["adapter"]["recall"] == 1.0
    assert r["quantized"]["recall"] == 0.5 and r["quantized"]["precision"] == 1.0
    assert r["merge"]["support"] == 0 and r["merge"]["precision"] is None and r["merge"]["recall_95"] is None
    lo, hi = r["quantized"]["recall_95"]
    assert lo < 0.5 < hi and hi - lo > 0.2  # 10 examples: a wide margin
    lo, hi = interval(pred == truth, np.random.default_rng(0))
    assert lo < 0.89 < hi


def test_relation_typing_reports_each_type_where_edges_are_typed(tmp_path):
    from hubatlas.core.analysis.lineage_infer import TYPED, evaluate_inference

    recs = []
    for b in range(10):
        recs.append(rec(f"org/base{b}", createdAt="2023-01-01T00:00:00.000Z"))
        for k in range(12):
            kind = TYPED[k % 3]
            word = {"finetune": "chat", "adapter": "lora", "quantized": "gguf"}[kind]
            recs.append(rec(f"u{k}/base{b}-{word}-{k}", tags=[f"base_model:{kind}:org/base{b}"]))
    c = tmp_path / "typed"
    make(c, recs)
    store, data, words = analysis(c)
    store.close()
    r = evaluate_inference(data, words, frac=0.3)["relation"]
    assert r["evaluated"] and set(r["per_type"]) == set(TYPED)
    assert r["accuracy"] >= 0.85 and r["accuracy_95"][0] <= r["accuracy"] <= r["accuracy_95"][1]
    for t in ("finetune", "adapter", "quantized"):
        assert r["per_type"][t]["support"] > 0 and r["per_type"][t]["recall_95"] is not None
    assert r["per_type"]["merge"]["support"] == 0
    only_merges = [
        rec("m/a"),
        rec("m/b"),
        *[rec(f"m/x{i}", tags=["base_model:merge:m/a"]) for i in range(30)],
    ]
    c2 = tmp_path / "merges"
    make(c2, only_merges)
    store, data, words = analysis(c2)
    store.close()
    r = evaluate_inference(data, words)["relation"]
    assert not r["evaluated"] and "too few documented relation types" in r["reason"]


def test_predict_evaluate_command_reports_the_atlas_signal(tmp_path):
    """The command adds the atlas-neighbour signal (its space rebuilt blind to the target) and prints each
    signal's weight and the accuracy without it; --no-atlas leaves it out."""
    import json

    from helpers import run_cli

    cache = tmp_path / "lic"
    make(cache, _licence_world(40, 12))
    out = json.loads(run_cli("predict", "--evaluate", "--json", cache=cache).stdout)["evaluation"]["license"]
    assert "atlas" in out["signals"] and "without atlas" in out["ablation"]
    text = run_cli("predict", "--evaluate", "--no-atlas", cache=cache).stdout
    assert (
        "license signals (learnt weight; accuracy without it): features 1 (" in text and "atlas" not in text
    )


def test_calibration_error_is_the_gap_between_confidence_and_share_right():
    from hubatlas.core.analysis.parent_confidence import calibration_error

    rng = np.random.default_rng(0)
    conf = rng.random(20_000)
    honest = rng.random(20_000) < conf  # right as often as it says
    assert calibration_error(conf, honest) < 0.02
    assert abs(calibration_error(conf, np.ones(20_000, bool)) - 0.5) < 0.02  # always right: off by 1 - conf
    assert calibration_error(np.zeros(0), np.zeros(0, bool)) is None


def test_confidence_is_the_share_right(tmp_path):
    """Authors keep their licence 70% of the time: the confidence (calibrated on the inner fold) says about
    how often the prediction is right, instead of the winner's raw share of the evidence."""
    from hubatlas.core.analysis.attribute_model import fit
    from hubatlas.core.analysis.predict import predict_fitted
    from hubatlas.core.analysis.splits import hide

    rng = np.random.default_rng(5)
    lics = ["apache-2.0", "mit", "openrail", "cc-by-4.0"]
    recs = []
    for a in range(120):
        own = lics[a % 4]
        for i in range(10):
            lic = own if rng.random() < 0.7 else lics[int(rng.integers(4))]
            recs.append(rec(f"u{a}/m-{i}", tags=[f"license:{lic}"], downloads=i))
    cache = tmp_path / "noisy"
    make(cache, recs)
    store, data, words = analysis(cache)
    store.close()
    codes, _ = data.attrs["license"]
    hidden = hide(data, np.flatnonzero(codes >= 0), np.random.default_rng(0), 0.2, "random")
    masked = codes.copy()
    masked[hidden] = -1
    model = fit(data, words, "license", masked)
    assert model.calibration is not None
    pred, conf = predict_fitted(model, hidden)["all"]
    acc = float((pred == codes[hidden]).mean())
    assert 0.55 < acc < 0.9 and abs(float(conf.mean()) - acc) < 0.1
