"""The first load into an empty atlas drops the models' secondary indexes and builds them once at the end
(core.store.bulk_load): what it stores must equal what the row-by-row path stores, across batch boundaries,
with ids that differ only in case, and a failed load must leave the atlas (indexes included) as it was."""

from __future__ import annotations

import json

import pytest

from hubatlas.core.ingest.batch import BATCH, ImportFailed
from hubatlas.core.ingest.files import import_paths
from hubatlas.core.store.bulk_load import SECONDARY, bulk_load
from hubatlas.core.store.database import Store


def _rec(mid, parents=(), downloads=1):
    tags = ["transformers"] + [f"base_model:finetune:{p}" for p in parents]
    return {"id": mid, "downloads": downloads, "tags": tags, "createdAt": "2024-01-02T00:00:00.000Z"}


def _records(n):
    """More than two batches; an id written again in a later batch in another case (the last record wins)
    and its children naming either spelling; a parent that is never listed (a placeholder)."""

    def mid(i):
        return f"org{i % 97}/model-{i}"

    recs = [_rec(mid(i), parents=[mid(i // 2)] if i % 3 == 0 and i else []) for i in range(n)]
    recs[10] = _rec("Org/Shared-Base", downloads=5)
    recs.append(_rec("org/shared-base", downloads=7))  # a later batch: the same model, respelled
    recs.append(_rec("kid/one", parents=["Org/Shared-Base"]))
    recs.append(_rec("kid/two", parents=["never/listed"]))
    return recs


def _write(path, recs):
    path.write_text("\n".join(json.dumps(r) for r in recs) + "\n")
    return path


def _tables(store, skip=()):
    models = store.conn.execute(
        "SELECT id, downloads, placeholder, tags FROM models WHERE id NOT IN (SELECT value FROM json_each(?)) "
        "ORDER BY id",
        (json.dumps(list(skip)),),
    ).fetchall()
    edges = store.conn.execute("SELECT child, parent, relation, source FROM edges ORDER BY 1, 2").fetchall()
    return models, edges


def _indexes(store):
    return {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}


def test_bulk_and_row_by_row_loads_store_the_same(tmp_path):
    src = _write(tmp_path / "hub.jsonl", _records(2 * BATCH + 500))
    with Store(tmp_path / "empty") as bulk:
        import_paths(bulk, [src])
        got = _tables(bulk)
        assert set(SECONDARY) <= _indexes(bulk)
        assert bulk.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        # the rebuilt indexes serve the lookups that need them
        q = "SELECT id FROM models WHERE id = ? COLLATE NOCASE"
        assert bulk.conn.execute(q, ("ORG/SHARED-BASE",)).fetchall() == [("org/shared-base",)]
        assert "models_id_nocase" in str(bulk.conn.execute("EXPLAIN QUERY PLAN " + q, ("x",)).fetchall())
    with Store(tmp_path / "seeded") as rows:
        import_paths(rows, [_write(tmp_path / "seed.jsonl", [_rec("seed/first")])])  # not empty: no bulk load
        import_paths(rows, [src])
        want = _tables(rows, skip=["seed/first"])
    assert got == want
    models, edges = got
    # model-10 became Org/Shared-Base (then respelled, once); two kids; two placeholders (model-10, never/listed)
    assert len(models) == 2 * BATCH + 500 + 4
    ids = [m[0] for m in models]
    assert "org/shared-base" in ids and "Org/Shared-Base" not in ids  # the last spelling wins, once
    assert {m[0]: m[1] for m in models}["org/shared-base"] == 7
    assert ("kid/one", "org/shared-base", "finetune", "tag") in edges  # the child follows the new spelling
    assert {m[0]: m[2] for m in models}["never/listed"] == 1  # a placeholder


def test_a_failed_bulk_load_leaves_the_atlas_as_it_was(tmp_path):
    recs = _records(BATCH + 10)
    lines = [json.dumps(r) for r in recs]
    lines.insert(BATCH + 5, "{not json")  # after the first batch was written
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(lines) + "\n")
    with Store(tmp_path / "c") as s:
        before = _indexes(s)
        with pytest.raises(ImportFailed, match="not valid JSON"):
            import_paths(s, [bad])
        assert _indexes(s) == before and set(SECONDARY) <= before
        assert s.conn.execute("SELECT count(*) FROM models").fetchone()[0] == 0


def test_bulk_load_only_for_an_empty_atlas_and_inside_a_transaction(tmp_path):
    with Store(tmp_path / "c") as s:
        with pytest.raises(RuntimeError, match="inside the store's transaction"), bulk_load(s):
            pass
        with s.transaction(), bulk_load(s) as bulk:
            assert bulk and not (set(SECONDARY) & _indexes(s)) and s.seen_keys == set()
        assert set(SECONDARY) <= _indexes(s) and s.seen_keys is None
        import_paths(s, [_write(tmp_path / "one.jsonl", [_rec("a/b")])])
        with s.transaction(), bulk_load(s) as bulk:
            assert not bulk and set(SECONDARY) <= _indexes(s) and s.seen_keys is None
