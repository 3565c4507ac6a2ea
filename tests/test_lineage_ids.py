"""Lineage and search as the Hub means them (issue 28): old un-namespaced ids resolve to the model they name now,
a family has one root, merges link other families by cross-family edges, and search ranks exactness against
popularity. Records are built like the Hub's (the back-filled creation date of the moved models included)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import rec, run_cli, write_json

BACKFILLED = "2022-03-02T23:29:04.000Z"


def _hub() -> list[dict]:
    recs = [
        rec(
            "openai-community/gpt2", createdAt=BACKFILLED, downloads=5_000_000, pipeline_tag="text-generation"
        ),
        rec("CoachCarter/gpt2", createdAt=BACKFILLED, downloads=0),  # an old user copy with the same date
        rec("distilbert/distilbert-base-uncased", createdAt=BACKFILLED, downloads=2_000_000),
        rec("FacebookAI/xlm-roberta-base", createdAt=BACKFILLED, downloads=3_000_000),
        rec("amb/bert-tiny", createdAt=BACKFILLED, downloads=5_000),  # two close candidates: ambiguous
        rec("amb2/bert-tiny", createdAt=BACKFILLED, downloads=4_000),
        rec("meta-llama/Llama-2-7b-hf", createdAt="2023-07-13T00:00:00.000Z", downloads=1_500_000),
        rec("Ctc8/llama", downloads=0),
        rec("TheBloke/Llama-2-7B-Chat-GGUF", downloads=617_000),
        rec("x/classifier", tags=["sentiment-analysis"], downloads=10, pipeline_tag="text-classification"),
        rec("y/sentiment-bert", downloads=1),
        rec("u/tiny-ft", tags=["base_model:bert-tiny"]),
        rec("u/llama-ft", tags=["base_model:Llama-2-7b-hf"]),  # names an id that is not a legacy one
        rec("u/distil-direct", tags=["base_model:distilbert/distilbert-base-uncased"]),
    ]
    # a moved model the data lacks: only an old copy of its name (back-filled date) and children naming it
    recs.append(rec("CoachCarter/xlm-roberta-large", createdAt=BACKFILLED, downloads=0))
    recs += [rec(f"v{i}/xlmrl-{i}", tags=["base_model:FacebookAI/xlm-roberta-large"]) for i in range(6)]
    recs += [rec(f"w{i}/xlmrl-old-{i}", tags=["base_model:xlm-roberta-large"]) for i in range(3)]
    # a bare name children wrote, with no original repository of that name: never joined to a namespaced one
    recs += [rec(f"z{i}/l3-{i}", tags=["base_model:someone/Llama-3-70B"]) for i in range(6)]
    recs += [rec(f"y{i}/l3b-{i}", tags=["base_model:Llama-3-70B"]) for i in range(2)]
    recs += [rec(f"u{i}/gpt2-ft-{i}", tags=["base_model:gpt2"]) for i in range(5)]
    recs += [rec(f"u{i}/distil-{i}", tags=["base_model:distilbert-base-uncased"]) for i in range(4)]
    recs += [rec(f"u{i}/xlmr-{i}", tags=["base_model:finetune:xlm-roberta-base"]) for i in range(2)]
    # a merge of GPT-2 (popular) and DistilBERT's ... it belongs to its most downloaded parent's family
    recs.append(
        rec(
            "m/merged",
            tags=["base_model:merge:openai-community/gpt2", "base_model:merge:u0/distil-0"],
            downloads=3,
        )
    )
    return recs


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    d = tmp_path_factory.mktemp("legacy")
    run_cli("import", str(write_json(d / "hub.json", _hub())), cache=d / "c")
    return d / "c"


def test_legacy_ids_resolve_to_the_model_they_name_now(hub):
    stats = json.loads(run_cli("stats", "--json", cache=hub).stdout)
    assert (
        stats["legacy_ids_resolved"] == 4
    )  # gpt2, distilbert-base-uncased, xlm-roberta-base, xlm-roberta-large
    assert stats["legacy_ids_unresolved"] >= 1  # bert-tiny: two close candidates, kept as a placeholder
    info = json.loads(run_cli("info", "distilbert-base-uncased", "--json", cache=hub).stdout)
    assert info["id"] == "distilbert/distilbert-base-uncased" and info["alias"] == "distilbert-base-uncased"
    assert sum(info["children"].values()) == 5  # its legacy id's four children and the one naming it
    gpt2 = json.loads(run_cli("info", "gpt2", "--json", cache=hub).stdout)
    assert gpt2["id"] == "openai-community/gpt2" and not gpt2.get("placeholder")
    large = json.loads(run_cli("info", "xlm-roberta-large", "--json", cache=hub).stdout)
    assert large["id"] == "FacebookAI/xlm-roberta-large" and large["placeholder"]  # known from its children
    assert sum(large["children"].values()) == 9  # the new id's six and the old id's three
    bare = json.loads(run_cli("info", "Llama-3-70B", "--json", cache=hub).stdout)
    assert bare["id"] == "Llama-3-70B"  # no original repository of that name: left as it is
    tiny = json.loads(run_cli("info", "bert-tiny", "--json", cache=hub).stdout)
    assert tiny["id"] == "bert-tiny" and tiny["placeholder"]  # ambiguous: not joined to a guess


def test_one_root_per_family_and_merges_as_cross_family_edges(hub):
    from hubatlas.core.store.snapshot import open_snapshot

    snap = open_snapshot(hub)
    ids = snap.nodes.column("id").to_pylist()
    fam, root = snap.column("family"), snap.column("root")
    gpt2 = ids.index("openai-community/gpt2")
    assert all(fam[ids.index(f"u{i}/gpt2-ft-{i}")] == fam[gpt2] for i in range(5))
    assert "gpt2" not in ids and "distilbert-base-uncased" not in ids  # no placeholder beside the real model
    merged = ids.index("m/merged")
    assert fam[merged] == fam[gpt2]  # the most downloaded parent's family
    assert fam[ids.index("u0/distil-0")] != fam[gpt2]  # not fused with the other parent's
    for f in np.unique(fam):  # one root per family: every member's root is the same, a root of its own family
        roots = np.unique(root[fam == f])
        assert len(roots) == 1 and fam[roots[0]] == f
    assert snap.manifest["cross_family_edges"] == 1


def test_search_ranks_exactness_against_popularity(hub):
    from hubatlas.core.store.database import Store

    with Store(hub, readonly=True) as s:

        def ids(q: str, limit: int = 20) -> list[str]:
            return [h["id"] for h in s.search(q, limit)]

        assert ids("gpt2")[0] == "openai-community/gpt2"  # the alias finds its canonical model first
        assert ids("xlm-roberta-base")[0] == "FacebookAI/xlm-roberta-base"
        assert (
            ids("xlm-roberta-large")[0] == "FacebookAI/xlm-roberta-large"
        )  # first, though only a parent here
        llama = ids("llama")
        assert llama[0] == "meta-llama/Llama-2-7b-hf"  # a bare word: the most downloaded match ...
        assert llama.index("TheBloke/Llama-2-7B-Chat-GGUF") < llama.index("Ctc8/llama")  # ... not a junk name
        full = s.search("Llama-2-7b-hf")
        assert full[0]["id"] == "meta-llama/Llama-2-7b-hf"  # a full name: the popular model of that name
        assert full[-1]["id"] == "Llama-2-7b-hf" and full[-1]["placeholder"]  # placeholders after real models
        assert ids("sentiment") == ["y/sentiment-bert", "x/classifier"]  # id words first, then tag words
        assert "x/classifier" in ids("text classification")  # task words
        assert ids("openai-community/gpt2", 1) == ["openai-community/gpt2"]  # the exact id first


def test_the_backfilled_date_is_before_2022_03_not_a_day(hub):
    from hubatlas.core.common.filters import Filters, parse_day, snapshot_mask
    from hubatlas.core.store.snapshot import open_snapshot

    t = json.loads(run_cli("trends", "--json", cache=hub).stdout)
    backfilled = [r for r in _hub() if r.get("createdAt") == BACKFILLED]
    assert t["before_2022_03"] == len(backfilled) == 7
    assert "2022-03" not in t["months"]  # no spike in a month of its own
    snap = open_snapshot(hub)
    ids = snap.nodes.column("id").to_pylist()
    old = [ids.index(r["id"]) for r in backfilled]

    def shown(day: str, hide_undated: bool) -> np.ndarray:
        m = snapshot_mask(snap, Filters({}, as_of_day=parse_day(day), hide_undated=hide_undated))
        assert m is not None
        return m[old]

    assert shown("2023-01-01", True).all()  # they existed by then
    assert not shown("2022-01-01", True).any()  # as of an earlier day: unknown, like an undated model ...
    assert shown("2022-01-01", False).all()  # ... kept while undated models are
    text = run_cli("info", "openai-community/gpt2", cache=hub).stdout
    assert "before 2022-03" in text


def test_layout_types_untyped_lineage_by_default(tmp_path):
    """import + layout alone: children documented without a relation are typed (stored as inferred)."""
    recs = [rec("base/Model-7B", downloads=10_000, pipeline_tag="text-generation")]
    kinds = {"finetune": "instruct-ft", "adapter": "lora", "quantized": "GGUF"}
    for i in range(90):
        kind = list(kinds)[i % 3]
        typed = i < 45  # half documented with a type, half without
        tag = f"base_model:{kind}:base/Model-7B" if typed else "base_model:base/Model-7B"
        recs.append(rec(f"user{i}/Model-7B-{kinds[kind]}-{i}", tags=[tag], pipeline_tag="text-generation"))
    cache = tmp_path / "c"
    run_cli("import", str(write_json(tmp_path / "r.json", recs)), cache=cache)
    before = json.loads(run_cli("info", "base/Model-7B", "--json", cache=cache).stdout)["children"]
    assert before.get("unknown", 0) == 45
    out = run_cli("layout", cache=cache)
    assert "typed" in out.stdout + out.stderr
    after = json.loads(run_cli("info", "base/Model-7B", "--json", cache=cache).stdout)["children"]
    assert after.get("unknown", 0) <= 0.2 * 45
    inferred = {k: v for k, v in after.items() if k.endswith("(inferred)")}
    assert sum(inferred.values()) >= 0.8 * 45
    assert after.get("adapter (inferred)", 0) >= 10 and after.get("quantized (inferred)", 0) >= 10
    fam = json.loads(run_cli("families", "--top", "1", "--json", cache=cache).stdout)[0]
    assert (
        fam["root"] == "base/Model-7B" and fam["relations"].get("unknown") == 45
    )  # documented as it was ...
    assert sum(fam["inferred_relations"].values()) == sum(inferred.values())  # ... and typed as info says


def test_the_family_view_has_one_root_and_names_links_to_other_families(hub):
    from hubatlas.core.store.snapshot import open_snapshot
    from hubatlas.viewer.layers.atlas_model import CROSS, AtlasModel
    from hubatlas.viewer.layers.family import FamilyView

    model = AtlasModel(open_snapshot(hub))
    ids = model.ids.to_pylist()
    view = FamilyView(model)
    merged, gpt2, distil0 = (ids.index(x) for x in ("m/merged", "openai-community/gpt2", "u0/distil-0"))
    assert view.roots(merged) == [gpt2]  # one root: its most downloaded parent's family
    assert view.path_from_root(merged) == [gpt2, merged]
    groups = dict(view.groups(distil0))  # listed under its other parent too, as a link to another family
    assert groups == {"merge, in another family": [merged]}
    assert "1 root," in view.summary(merged) and "1 merge link to other families" in view.summary(merged)
    lineage = model.lineage(merged)
    assert (distil0, merged, CROSS) in lineage and (gpt2, merged, "merge") in lineage
    assert int(model.edges.cross.sum()) == 1
