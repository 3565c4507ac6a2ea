"""Importers on the real Hub samples; atomicity (broken input changes nothing); idempotence; edge cases."""

from __future__ import annotations

import gzip
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from helpers import file_digest, rec, write_json

from hubatlas.core.ingest.files import ImportFailed, detect_format, import_paths
from hubatlas.core.store.database import Store
from hubatlas.core.store.snapshot import build


def test_list_page_round_trip(store, data_dir):
    s = import_paths(store, [data_dir / "list_models_page_10_items.json"])
    assert s.records == 10
    raw = json.loads((data_dir / "list_models_page_10_items.json").read_text())
    for item in raw:
        got = store.get(item["id"])
        assert got["raw"] == item
        assert got["downloads"] == item["downloads"] and got["likes"] == item["likes"]
        assert got["pipeline_tag"] == item.get("pipeline_tag")
        assert got["library_name"] == item.get("library_name")
        assert got["created_at"] == item["createdAt"]
        assert got["tags"] == item["tags"]
        lic = [t[8:] for t in item["tags"] if t.startswith("license:")]
        assert got["license"] == (lic[0] if lic else None)
    qwq = store.parents("Qwen/QwQ-32B-Preview")
    assert qwq == [{"id": "Qwen/Qwen2.5-32B-Instruct", "relation": "finetune", "source": "tag"}]
    assert store.get("Qwen/Qwen2.5-32B-Instruct")["placeholder"] is True


def test_default_items_and_full_model_info(store, data_dir):
    import_paths(
        store,
        [data_dir / "list_models_default_items.json", data_dir / "model_info_full_bert-base-uncased.json"],
    )
    bert = store.get("google-bert/bert-base-uncased")
    assert bert["author"] == "google-bert"
    assert bert["license"] == "apache-2.0"
    assert bert["languages"] == ["en"]
    assert bert["gated"] == "false"
    assert bert["last_modified"] == "2024-02-19T11:06:12.000Z"
    assert bert["raw"]["config"]["model_type"] == "bert"
    assert store.parents("THUDM/GLM-4.1V-9B-Thinking")[0]["relation"] == "finetune"


def test_mistral_family_jsonl(store, data_dir):
    path = data_dir / "model_info_mistral_small_24b_family.jsonl"
    assert detect_format(path) == "hub-jsonl"
    s = import_paths(store, [path])
    assert s.records == 67
    recs = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    # every parent named in a record's tags or card is an edge
    for r in recs:
        named = {t.split(":")[-1] for t in r["tags"] if t.startswith("base_model:")}
        bm = (r.get("cardData") or {}).get("base_model") or []
        named |= set([bm] if isinstance(bm, str) else bm)
        named.discard(r["id"])
        assert {p["id"] for p in store.parents(r["id"])} == named, r["id"]
    m = build(store)
    assert m["nodes"] == store.count_models()
    st = store.stats()
    assert st["edges_by_relation"]["finetune"] > 30
    # the root of the tree is in the data, so its family has one root
    from hubatlas.core.store.snapshot import open_snapshot

    snap = open_snapshot(store.dir)
    ids = snap.nodes.column("id").to_pylist()
    root_id = ids[snap.column("root")[ids.index("allura-org/Mistral-Small-24b-Sertraline-0304")]]
    assert root_id == "mistralai/Mistral-Small-24B-Base-2501"


@pytest.mark.parametrize("name", ["models.jsonl.gz", "models.dump"])
def test_gzipped_jsonl_imports_like_the_plain_file(cache, tmp_path, data_dir, name):
    """Published dumps come gzipped (``models.jsonl.gz``): read as they are, by name or by their first bytes,
    with the same rows as the decompressed file."""
    plain = data_dir / "model_info_mistral_small_24b_family.jsonl"
    packed = tmp_path / name
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    assert detect_format(packed) == "hub-jsonl"
    with Store(tmp_path / "a") as a, Store(tmp_path / "b") as b:
        assert import_paths(a, [packed]).records == import_paths(b, [plain]).records == 67
        assert _table_dump(a)[0] == _table_dump(b)[0]


def _table_dump(store: Store) -> tuple:
    c = store.conn
    return (
        c.execute("SELECT * FROM models ORDER BY id").fetchall(),
        c.execute("SELECT * FROM edges ORDER BY child, parent").fetchall(),
        c.execute("SELECT count(*) FROM models_fts").fetchone(),
    )


def test_reimport_is_idempotent(cache, data_dir):
    files = [
        data_dir / "list_models_page_10_items.json",
        data_dir / "model_info_mistral_small_24b_family.jsonl",
    ]
    with Store(cache) as s:
        import_paths(s, files)
        first = _table_dump(s)
        import_paths(s, files)
        assert _table_dump(s) == first
        assert s.search("mistral small", 100)  # FTS not duplicated or broken


BROKEN = {
    "bad_json.json": b'[{"id": "a/b", "tags": []}, {"id": ',
    "not_a_list.json": b'"hello"',
    "bad_type.json": json.dumps([{"id": "ok/one"}, {"id": "bad/two", "downloads": "many"}]).encode(),
    "bad_id.json": json.dumps([{"id": "ok/one"}, {"id": "has space/x"}]).encode(),
    "bad_tags.json": json.dumps([{"id": "ok/one", "tags": "x"}, {"id": "ok/two", "tags": [1, 2]}]).encode(),
    "bad_card.json": json.dumps([{"id": "ok/one", "cardData": {"base_model": 7}}]).encode(),
    "bad_line.jsonl": b'{"id": "ok/one"}\n{"id": "ok/two"}\n{not json}\n',
    "garbage.bin": b"\x00\x01\x02 not anything",
    "truncated.jsonl.gz": gzip.compress(b'{"id": "ok/one"}\n' * 2000)[:-40],
    "not_really.json.gz": b"\x1f\x8b this is no gzip stream",
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_input_changes_nothing(cache, data_dir, tmp_path, name):
    with Store(cache) as s:
        import_paths(s, [data_dir / "list_models_page_10_items.json"])
        build(s)
    before = file_digest(cache)
    bad = tmp_path / name
    bad.write_bytes(BROKEN[name])
    good = tmp_path / "good.json"
    write_json(good, [rec("new/model")])
    with Store(cache) as s:
        with pytest.raises(ImportFailed) as e:
            import_paths(s, [good, bad])  # the good file first: its rows must be rolled back too
        assert name in str(e.value)
        assert s.get("new/model") is None
    assert file_digest(cache) == before


def _parquet(path, **cols):
    pq.write_table(pa.table(cols), path)
    return path


def test_ecosystem_parquet_round_trip(store, tmp_path):
    p = _parquet(
        tmp_path / "eco.parquet",
        model_id=["org/base", "org/ft", "org/q", "org/m", "solo", "org/ad"],
        likes=[10, 1, 0, 0, 3, 0],
        downloads=[1000, 20, 5, 1, 7, 0],
        tags=[["transformers"], ["transformers", "en"], ["gguf"], [], [], ["peft"]],
        pipeline_tag=["text-generation", "text-generation", None, None, "fill-mask", None],
        library_name=["transformers", "transformers", "gguf", None, None, "peft"],
        createdAt=["2023-01-01T00:00:00.000Z"] * 6,
        licenses=[["apache-2.0"], ["mit"], [], [], [], []],
        languages=[["en", "fr"], ["en"], [], [], [], []],
        finetune_parent=[None, "org/base", None, None, None, None],
        quantized_parent=[None, None, "org/ft", None, None, None],
        adapter_parent=[None, None, None, None, None, "['org/base']"],
        merge_parent=[None, None, None, ["org/base", "org/ft", "other/x"], None, None],
        parent_model=[None, "org/base", None, None, None, None],
    )
    assert detect_format(p) == "ecosystem-parquet"
    s = import_paths(store, [p])
    assert s.records == 6
    assert store.parents("org/ft") == [{"id": "org/base", "relation": "finetune", "source": "card"}]
    assert store.parents("org/q")[0]["relation"] == "quantized"
    assert store.parents("org/ad") == [{"id": "org/base", "relation": "adapter", "source": "card"}]
    assert sorted(p["id"] for p in store.parents("org/m")) == ["org/base", "org/ft", "other/x"]
    assert {p["relation"] for p in store.parents("org/m")} == {"merge"}
    assert store.get("other/x")["placeholder"] is True
    assert store.get("org/base")["languages"] == ["en", "fr"]
    assert store.get("org/base")["license"] == "apache-2.0"
    assert store.get("solo")["author"] is None


def test_parquet_wrong_columns_and_types_change_nothing(cache, tmp_path, data_dir):
    with Store(cache) as s:
        import_paths(s, [data_dir / "list_models_page_10_items.json"])
    before = file_digest(cache)
    bad_cols = _parquet(tmp_path / "cols.parquet", name=["a/b"], downloads=[1])
    bad_type = _parquet(tmp_path / "type.parquet", model_id=["a/b"], downloads=["lots"])
    bad_row = _parquet(tmp_path / "row.parquet", model_id=["a/b", "bad id"], downloads=[1, 2])
    for bad, needle in ((bad_cols, "missing column"), (bad_type, "downloads"), (bad_row, "row 1")):
        with Store(cache) as s, pytest.raises(ImportFailed, match=needle):
            import_paths(s, [bad])
        assert file_digest(cache) == before


def test_unicode_and_legacy_ids(store, tmp_path):
    recs = [
        rec("bert-base-uncased"),
        rec("日本語/モデル-v1", tags=["base_model:finetune:bert-base-uncased"]),
        rec("org/ünïcode-ß"),
    ]
    import_paths(store, [write_json(tmp_path / "u.json", recs)])
    assert store.get("日本語/モデル-v1")["author"] == "日本語"
    assert store.get("bert-base-uncased")["author"] is None
    assert store.parents("日本語/モデル-v1")[0]["id"] == "bert-base-uncased"
    assert [h["id"] for h in store.search("モデル")] == ["日本語/モデル-v1"]
    build(store)


def test_empty_import(store, tmp_path):
    s = import_paths(store, [write_json(tmp_path / "e.json", [])])
    assert s.records == 0
    assert store.stats()["models"] == 0
    m = build(store)
    assert m["nodes"] == 0 and m["edges"] == 0


def test_missing_file_is_a_clear_error(store, tmp_path):
    with pytest.raises(ImportFailed, match="no such file"):
        import_paths(store, [tmp_path / "nope.json"])
