"""Lineage from every encoding the Hub uses, merges, self-loops, placeholders and cycles."""

from __future__ import annotations

import json

from helpers import rec, write_json

from hubatlas.core.ingest.files import import_paths
from hubatlas.core.ingest.lineage_fields import edges_for, parse_base_models
from hubatlas.core.store.snapshot import build, open_snapshot


def test_typed_and_bare_tags():
    edges, loop = edges_for(
        "a/child", ["base_model:org/p", "base_model:quantized:org/p", "license:mit"], None
    )
    assert edges == [("a/child", "org/p", "quantized", "tag")]
    assert not loop


def test_bare_tag_alone_is_unknown():
    edges, _ = edges_for("a/child", ["base_model:org/p"], None)
    assert edges == [("a/child", "org/p", "unknown", "tag")]


def test_card_string_list_and_relation_override():
    e, _ = edges_for("a/c", [], {"base_model": "org/p"})
    assert e == [("a/c", "org/p", "unknown", "card")]
    e, _ = edges_for("a/c", [], {"base_model": ["org/p1", "org/p2", "org/p3"]})
    assert [x[1:3] for x in e] == [("org/p1", "merge"), ("org/p2", "merge"), ("org/p3", "merge")]
    e, _ = edges_for(
        "a/c", ["base_model:finetune:org/p"], {"base_model": "org/p", "base_model_relation": "adapter"}
    )
    assert e == [("a/c", "org/p", "adapter", "tag")]


def test_card_url_form_is_cleaned():
    e, _ = edges_for("a/c", [], {"base_model": "https://huggingface.co/org/p"})
    assert e[0][1] == "org/p"


def test_base_models_expand_shapes():
    assert parse_base_models({"relation": "quantized", "models": [{"id": "o/p"}]}) == (["o/p"], "quantized")
    assert parse_base_models(["o/p", {"id": "o/q"}]) == (["o/p", "o/q"], None)
    e, _ = edges_for("a/c", [], None, {"relation": "adapter", "models": [{"id": "o/p"}]})
    assert e == [("a/c", "o/p", "adapter", "baseModels")]


def test_merge_keeps_all_parents_with_eleven(store, tmp_path):
    parents = [f"org/p{i}" for i in range(11)]
    tags = [f"base_model:merge:{p}" for p in parents]
    f = write_json(tmp_path / "m.json", [rec("me/merged", tags=tags, cardData={"base_model": parents})])
    import_paths(store, [f])
    rows = store.conn.execute(
        "SELECT parent, relation FROM edges WHERE child='me/merged' ORDER BY parent"
    ).fetchall()
    assert rows == sorted((p, "merge") for p in parents)
    assert store.stats()["placeholders"] == 11


def test_self_loop_dropped_and_counted_idempotently(store, tmp_path):
    f = write_json(
        tmp_path / "s.json", [rec("o/m", tags=["base_model:finetune:o/m", "base_model:finetune:o/p"])]
    )
    import_paths(store, [f])
    import_paths(store, [f])
    st = store.stats()
    assert st["self_loops_dropped"] == 1
    assert st["edges"] == 1
    assert store.parents("o/m") == [{"id": "o/p", "relation": "finetune", "source": "tag"}]


def test_placeholder_becomes_real_when_parent_arrives(store, tmp_path):
    f1 = write_json(tmp_path / "a.json", [rec("o/child", tags=["base_model:finetune:o/root"])])
    import_paths(store, [f1])
    assert store.get("o/root")["placeholder"] is True
    f2 = write_json(tmp_path / "b.json", [rec("o/root", downloads=5, pipeline_tag="text-generation")])
    import_paths(store, [f2])
    r = store.get("o/root")
    assert r["placeholder"] is False and r["downloads"] == 5
    assert store.stats()["placeholders"] == 0


def test_placeholder_no_edge_names_any_more_is_removed(store, tmp_path):
    """A re-import that changes a model's parents leaves no orphan placeholder behind (it would be a node of
    its own on the map and in search); one an inferred edge still names stays."""
    import_paths(
        store,
        [
            write_json(
                tmp_path / "a.json",
                [
                    rec("o/child", tags=["base_model:finetune:o/root"]),
                    rec("o/kid", tags=["base_model:o/kept"]),
                ],
            )
        ],
    )
    assert store.get("o/root")["placeholder"] is True and store.stats()["placeholders"] == 2
    store.add_edges([("o/other", "o/kept", "finetune", "inferred")])
    import_paths(
        store, [write_json(tmp_path / "b.json", [rec("o/child", tags=["base_model:O/Child"]), rec("o/kid")])]
    )
    assert store.get("o/root") is None and store.parents("o/child") == []
    assert store.get("o/kept")["placeholder"] is True
    assert store.stats()["placeholders"] == 1
    assert not store.search("root", 10) or all(h["id"] != "o/root" for h in store.search("root", 10))


def test_cycle_does_not_hang_and_is_broken_once(store, tmp_path):
    recs = [
        rec("o/a", tags=["base_model:finetune:o/c"]),
        rec("o/b", tags=["base_model:finetune:o/a"]),
        rec("o/c", tags=["base_model:finetune:o/b"]),
        rec("o/d", tags=["base_model:adapter:o/c"]),
    ]
    import_paths(store, [write_json(tmp_path / "c.json", recs)])
    m = build(store)
    assert m["cycles_broken"] == 1
    snap = open_snapshot(store.dir)
    ids = snap.nodes.column("id").to_pylist()
    depth = dict(zip(ids, snap.column("depth").tolist(), strict=False))
    root = snap.column("root")
    fam = snap.column("family")
    assert len(set(fam.tolist())) == 1  # one weakly connected family
    assert len(set(root.tolist())) == 1
    assert sorted(depth.values()) == [0, 1, 2, 3]
    assert depth["o/d"] >= 1
    info = store.info("o/a")
    assert info["parents"][0]["id"] == "o/c"


def test_import_records_are_normalised(store, tmp_path):
    r = rec(
        "o/m",
        tags=["license:apache-2.0", "en", "fr", "dataset:x"],
        gated="manual",
        cardData={"license": "mit", "language": ["de"]},
    )
    import_paths(store, [write_json(tmp_path / "n.json", [r])])
    got = store.get("o/m")
    assert got["license"] == "apache-2.0"  # the Hub's license tag wins over the card
    assert got["languages"] == ["de"]
    assert got["gated"] == "manual"
    assert json.dumps(got["raw"], sort_keys=True) == json.dumps(r, sort_keys=True)
