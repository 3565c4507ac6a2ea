"""Atlas analyses on hand-built graphs with known answers and on the real demo data: attribute prediction
(and proof that evaluation never reads the hidden labels), lineage inference, families, drift, trends, and
the report's files."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from helpers import analysis, make, rec, run_cli

from hubatlas.core.store.database import Store
from hubatlas.core.store.snapshot import ensure_snapshot, open_snapshot


def idx(data, mid):
    return data.ids.to_pylist().index(mid)


# -- a hand-built family -------------------------------------------------------------------------------------
FAMILY = [
    rec(
        "org/base-7b",
        tags=["license:mit", "en", "fr", "de"],
        createdAt="2023-01-05T00:00:00.000Z",
        pipeline_tag="text-generation",
        library_name="transformers",
        downloads=1000,
    ),
    rec(
        "a/base-7b-chat",
        tags=["base_model:finetune:org/base-7b", "license:apache-2.0", "en"],
        createdAt="2023-02-01T00:00:00.000Z",
        pipeline_tag="text-generation",
    ),
    rec(
        "b/base-7b-gguf",
        tags=["base_model:quantized:org/base-7b", "license:mit", "gguf"],
        createdAt="2023-02-10T00:00:00.000Z",
        library_name="gguf",
    ),
    rec(
        "c/base-7b-lora",
        tags=["base_model:adapter:org/base-7b", "license:apache-2.0"],
        createdAt="2023-03-01T00:00:00.000Z",
        library_name="peft",
    ),
    rec(
        "d/base-7b-chat-awq",
        tags=["base_model:quantized:a/base-7b-chat", "license:apache-2.0"],
        createdAt="2023-04-01T00:00:00.000Z",
    ),
    # documented lineage without a type: bare tag; the name says quantized
    rec("e/base-7b-chat-GPTQ-4bit", tags=["base_model:a/base-7b-chat"], createdAt="2023-05-01T00:00:00.000Z"),
    # undocumented: the name contains an older model's name
    rec("f/base-7b-chat-instruct-v2", createdAt="2023-06-01T00:00:00.000Z"),
    # a base younger than the model cannot be its parent
    rec("g/zephyr-mini-test", createdAt="2022-01-01T00:00:00.000Z"),
    rec("h/zephyr-mini", createdAt="2024-01-01T00:00:00.000Z"),
    rec("solo/other-model", tags=["license:gpl-3.0"], createdAt="2024-02-01T00:00:00.000Z"),
]


@pytest.fixture
def family(tmp_path):
    c = tmp_path / "fam"
    make(c, FAMILY)
    return c


def test_family_table_known_shape(family):
    from hubatlas.core.analysis.families import FamilyTree, family_table

    store, data, _ = analysis(family)
    with store:
        rows = family_table(data, top=5)
    top = rows[0]
    assert top["root"] == "org/base-7b" and top["roots"] == 1
    assert top["size"] == 6 and top["depth"] == 2 and top["breadth"] == 3
    assert top["relations"] == {"finetune": 1, "quantized": 2, "adapter": 1, "unknown": 1}
    assert top["licenses"] == {"apache-2.0": 3, "mit": 2} and top["no_license"] == 1
    assert top["models_per_year"] == {"2023": 6} and top["first"] == "2023-01" and top["last"] == "2023-05"
    assert len(rows) == 1  # single models are not families
    tree = FamilyTree(data.n, data.parent, data.child, data.depth)
    chat = idx(data, "a/base-7b-chat")
    assert tree.roots_of(chat) == [idx(data, "org/base-7b")]
    below = tree.below()
    assert (
        below[idx(data, "org/base-7b")] == 5 and below[chat] == 2 and below[idx(data, "b/base-7b-gguf")] == 0
    )
    assert sorted(data.ids.take(tree.children(chat)).to_pylist()) == [
        "d/base-7b-chat-awq",
        "e/base-7b-chat-GPTQ-4bit",
    ]
    # a merge (node 2, parents 0 and 1) counts once, under its primary (lowest-index) parent 0
    m = FamilyTree(4, np.array([0, 1, 0]), np.array([2, 2, 1]), np.array([0, 1, 1, 0]))
    assert m.below().tolist() == [2, 0, 0, 0] and m.roots_of(2) == [0]


def test_drift_transition_table_by_hand(family):
    from hubatlas.core.analysis.drift import drift, transition

    store, data, _ = analysis(family)
    with store:
        d = drift(store, data)
    lic = d["license"]
    labels = lic["labels"]
    table = {(labels[i], labels[j]): v for i, row in enumerate(lic["counts"]) for j, v in enumerate(row) if v}
    # org/base-7b (mit) -> chat apache, gguf mit, lora apache; chat (apache) -> awq apache, GPTQ (none)
    assert table == {
        ("mit", "apache-2.0"): 2,
        ("mit", "mit"): 1,
        ("apache-2.0", "apache-2.0"): 1,
        ("apache-2.0", "(none)"): 1,
    }
    assert d["license_flow"]["changed"] == 2 and d["license_flow"]["both_known"] == 4
    assert d["languages_declared"]["mean_per_parent"] > d["languages_declared"]["mean_per_child"]
    assert d["findings"][0]["holds"] is True
    assert d["card_length"] is None and d["findings"][1]["holds"] is None  # no cards recorded: no data
    # pooling: the 'top' most frequent parent values keep their rows, the rest go to (other)
    t = transition(
        np.array([0, 1, 2, 2, -1]), ["x", "y", "z"], np.array([0, 1, 2]), np.array([3, 4, 4]), top=1
    )
    assert t["labels"] == ["x", "(other)", "(none)"]
    assert t["counts"] == [[0, 1, 0], [0, 0, 2], [0, 0, 0]]  # x->z(other); y,z (other)->none


def test_drift_margins_say_when_a_finding_flips_on_resampling(family):
    from hubatlas.core.analysis.drift import drift
    from hubatlas.core.analysis.drift_margins import family_pairs, margin, random_pairs

    rng = np.random.default_rng(3)
    big, small = rng.normal(1.0, 1.0, 5000), rng.normal(0.0, 1.0, 5000)
    m = margin(big, small, np.random.default_rng(0))
    assert m["stable"] and m["interval_95"][0] > 0.9 > 0 and m["holds_in_share_of_draws"] == 1.0
    same = margin(small, rng.normal(0.0, 1.0, 5000), np.random.default_rng(0))
    lo, hi = same["interval_95"]
    assert lo < 0 < hi and not same["stable"]  # no difference: the finding flips on resampling
    assert margin(big, small, np.random.default_rng(0)) == m  # seeded
    assert margin(np.zeros(0), small, rng) is None
    flow = margin(np.array([1.0] * 30 + [-1.0] * 10), None, np.random.default_rng(0), stat=np.sum)
    assert flow["difference"] == 20 and flow["stable"]
    fam = np.array([0, 0, 0, 1, 1, 2])
    a, b = family_pairs(fam, np.arange(6), np.random.default_rng(0), 500)
    assert len(a) == 500 and (fam[a] == fam[b]).all() and (a != b).all() and not np.isin(5, a)
    a, b = random_pairs(np.arange(6), np.random.default_rng(0), 500)
    assert (a != b).all() and len(np.unique(a)) == 6
    store, data, _ = analysis(family)
    with store:
        d = drift(store, data)
    assert [f.get("margin") is not None for f in d["findings"]][:1] == [True]
    assert d["findings"][1]["margin"] is None  # no cards recorded: no margin either
    assert set(d["license_resemblance"]) >= {"parent_child", "same_family", "random"}
    assert "_values" not in d["tag_similarity"]
    assert set(d["findings"][3]["baseline"]) == {
        "tags_same_family",
        "tags_random_pairs",
        "license_same_parent_child",
        "license_same_family",
        "license_random_pairs",
    }
    json.dumps(d)  # every figure is reportable


def test_trends_monthly_counts(family):
    from hubatlas.core.analysis.trends import trends

    store, data, _ = analysis(family)
    with store:
        t = trends(data)
    assert t["months"][0] == "2022-01" and t["months"][-1] == "2024-02" and len(t["months"]) == 26
    total = np.sum(t["by_modality"]["counts"], axis=0)
    assert total.sum() == data.n - int(data.placeholder.sum()) == len(FAMILY)
    assert total[t["months"].index("2023-02")] == 2
    rel = dict(zip(t["relations"]["labels"], np.sum(t["relations"]["counts"], axis=1).tolist(), strict=False))
    assert rel == {"finetune": 1, "adapter": 1, "quantized": 2, "merge": 0, "unknown": 1}
    only = np.zeros(data.n, bool)
    only[idx(data, "solo/other-model")] = True
    assert trends(data, only)["months"] == ["2024-02"]


def test_infer_types_untyped_edge_and_proposes_parents(family):
    from hubatlas.core.analysis.lineage_infer import TYPED, infer_relations, orphan_nodes, propose_parents

    store, data, words = analysis(family)
    store.close()
    e, rel, conf = infer_relations(data, words)
    ids = data.ids.to_pylist()
    assert [ids[data.child[i]] for i in e] == ["e/base-7b-chat-GPTQ-4bit"]
    assert TYPED[rel[0]] == "quantized" and 0 < conf[0] <= 1
    c, p, _ = propose_parents(data, orphan_nodes(data))
    proposals = {ids[a]: ids[b] for a, b in zip(c, p, strict=False)}
    assert proposals == {"f/base-7b-chat-instruct-v2": "a/base-7b-chat"}  # longest older base name
    # h/zephyr-mini is younger than g/zephyr-mini-test: never its parent (and a name is never its own base)


def test_infer_command_stores_inferred_edges_idempotently(family):
    run_cli("infer", "--min-confidence", "0.05", cache=family)
    with Store(family, readonly=True) as s:
        rows = s.conn.execute(
            "SELECT child, parent, relation, source FROM edges WHERE source='inferred'"
        ).fetchall()
        typed = s.conn.execute(
            "SELECT child, relation, inferred_relation FROM edges WHERE inferred_relation IS NOT NULL"
        ).fetchall()
    assert rows == [("f/base-7b-chat-instruct-v2", "a/base-7b-chat", "finetune", "inferred")]
    assert typed == [("e/base-7b-chat-GPTQ-4bit", "unknown", "quantized")]  # documented value kept
    snap = open_snapshot(family)
    flags = snap.edges.column("inferred").to_numpy(zero_copy_only=False)
    assert (
        int(flags.sum()) == 2 and int(snap.edges.column("proposed").to_numpy(zero_copy_only=False).sum()) == 1
    )
    fam = snap.column("family")
    ids = snap.nodes.column("id").to_pylist()
    # families are documented lineage only: the proposed edge does not join f/... to the family
    assert fam[ids.index("f/base-7b-chat-instruct-v2")] != fam[ids.index("org/base-7b")]
    run_cli("infer", "--min-confidence", "0.05", cache=family)  # again: the same rows, nothing duplicated
    with Store(family, readonly=True) as s:
        assert s.conn.execute("SELECT count(*) FROM edges WHERE source='inferred'").fetchone()[0] == 1
    # a documented edge arriving later replaces the inferred one
    with Store(family) as s, s.transaction():
        s.add_edges([("f/base-7b-chat-instruct-v2", "a/base-7b-chat", "finetune", "tag")])
        assert (
            s.conn.execute("SELECT source FROM edges WHERE child='f/base-7b-chat-instruct-v2'").fetchone()[0]
            == "tag"
        )


# -- the real demo ---------------------------------------------------------------------------------------------


def test_predictions_saved_and_tied_to_data_version(tmp_path):
    from hubatlas.core.analysis.predict import load_predictions

    c = tmp_path / "p"
    make(
        c,
        [
            *FAMILY,
            rec(
                "a/base-7b-chat-v3",
                createdAt="2023-07-01T00:00:00.000Z",
                tags=["base_model:finetune:a/base-7b-chat"],
            ),
        ],
    )
    out = json.loads(run_cli("predict", "--json", cache=c).stdout)
    assert out["predictions"]["license"]["predicted"] >= 1
    snap = open_snapshot(c)
    t = load_predictions(c, snap.manifest["data_version"], len(snap))
    ids = snap.nodes.column("id").to_pylist()
    i = ids.index("a/base-7b-chat-v3")
    assert t.column("license")[i].as_py() == "apache-2.0"  # its parent's and siblings' licence
    assert 0 < t.column("license_confidence")[i].as_py() <= 1
    assert t.column("license")[ids.index("org/base-7b")].as_py() is None  # documented: nothing predicted
    with Store(c) as s, s.transaction():
        s.bump_data_version()
    with Store(c) as s:
        snap = ensure_snapshot(s)
    assert load_predictions(c, snap.manifest["data_version"], len(snap)) is None  # stale after a change


def test_report_files_and_tables(family, tmp_path):
    evil = "evil/<script>alert(1)</script>"
    with Store(family) as s, s.transaction():  # untrusted ids must come out escaped (here: a family root)
        s.upsert_models(
            [
                (
                    m,
                    m.split("/")[0],
                    "2023-03-01T00:00:00.000Z",
                    None,
                    0,
                    0,
                    None,
                    None,
                    None,
                    "[]",
                    "[]",
                    None,
                    None,
                    "test",
                    None,
                )
                for m in (evil, "x/evil-child")
            ]
        )
        s.add_edges([("x/evil-child", evil, "finetune", "tag")])
        s.bump_data_version()
    out = tmp_path / "rep"
    r = json.loads(run_cli("report", "--out", str(out), "--json", "-q", "--top", "3", cache=family).stdout)
    assert r["nodes"] == len(FAMILY) + 2
    for name in (
        "index.html",
        "predict_evaluation.csv",
        "families.csv",
        "drift_license.csv",
        "findings.csv",
        "trends_modality.csv",
        "predict.png",
        "families.png",
        "trends_modality.png",
        "report.json",
    ):
        assert (out / name).stat().st_size > 0, name
    assert (out / "predict.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with open(out / "families.csv", newline="") as f:
        fams = list(csv.DictReader(f))
    assert [(f["root"], f["size"]) for f in fams] == [("org/base-7b", "6"), (evil, "2")]
    with open(out / "predict_evaluation.csv", newline="") as f:
        assert [row["attribute"] for row in csv.DictReader(f)] == [
            "pipeline_tag",
            "library_name",
            "license",
            "relation",
        ]
    page = (out / "index.html").read_text()
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert page.count("data:image/png;base64,") >= 5
    for section in ("1. Predicting", "2. Charting", "3. Families", "4. Trait drift", "5. Trends"):
        assert section in page


def test_analysis_cli_errors_and_json(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with Store(empty):
        pass
    p = run_cli("families", cache=empty, check=False)
    assert p.returncode == 1 and "the atlas is empty" in p.stderr
    demo_env = {"HUBATLAS_CACHE": str(tmp_path / "nothing")}
    for cmd in ("predict", "infer"):  # writing commands never create an empty atlas (it would hide the demo)
        p = run_cli(cmd, env=demo_env, check=False)
        assert p.returncode == 1 and "no atlas in" in p.stderr and not (tmp_path / "nothing").exists()
    p = run_cli("predict", "--evaluate", "--json", env=demo_env)
    ev = json.loads(p.stdout)["evaluation"]
    assert set(ev) == {"pipeline_tag", "library_name", "license", "relation"}
    by_author = json.loads(
        run_cli("predict", "--evaluate", "--split", "author", "--json", env=demo_env).stdout
    )
    assert by_author["split"] == "author" and by_author["evaluation"]["pipeline_tag"]["split"] == "author"
    assert by_author["evaluation"]["pipeline_tag"]["hidden"] != ev["pipeline_tag"]["hidden"]
    fams = json.loads(run_cli("families", "--top", "2", "--json", env=demo_env).stdout)
    assert len(fams) == 2 and fams[0]["root"] == "HuggingFaceTB/SmolLM2-1.7B" and fams[0]["size"] >= 1000
