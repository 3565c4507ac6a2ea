"""The Arrow snapshot: columns, dictionary coding, memory mapping, families, kept coordinates."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from helpers import rec, write_json

from hubatlas.core.ingest.files import import_paths
from hubatlas.core.store.graph import families
from hubatlas.core.store.snapshot import SnapshotError, build, ensure_snapshot, open_snapshot, snapshot_dir


def test_families_on_a_hand_built_graph():
    # 0 -> 1 -> 2, 0 -> 3, merge 4 <- (1, 5), 6 isolated
    parent = np.array([0, 1, 0, 1, 5])
    child = np.array([1, 2, 3, 4, 4])
    f = families(7, parent, child)
    assert f.primary_parent.tolist() == [-1, 0, 1, 0, 1, -1, -1]
    assert f.depth.tolist() == [0, 1, 2, 1, 2, 0, 0]
    assert f.root.tolist() == [0, 0, 0, 0, 0, 5, 6]
    # one root per family: the merge 4 belongs to its primary parent's (1's, so 0's) family; 5 keeps its own
    assert f.family.tolist() == [0, 0, 0, 0, 0, 1, 2]
    assert f.cycles_broken == 0
    # the primary parent is the most downloaded (a priority per node; ties: the lowest index)
    g = families(7, parent, child, priority=np.array([0, 1, 0, 0, 0, 10, 0]))
    assert g.primary_parent[4] == 5 and g.family[4] == g.family[5] != g.family[0]
    for fam in np.unique(g.family):
        assert len(np.unique(g.root[g.family == fam])) == 1


def test_families_survive_many_cycles():
    n = 30_000  # 10,000 three-cycles
    a = np.arange(0, n, 3)
    parent = np.concatenate([a, a + 1, a + 2])
    child = np.concatenate([a + 1, a + 2, a])
    f = families(n, parent, child)
    assert f.cycles_broken == 10_000
    assert (f.root >= 0).all() and sorted(set(f.depth.tolist())) == [0, 1, 2]


def test_snapshot_columns(store, tmp_path, data_dir):
    import_paths(store, [data_dir / "list_models_page_10_items.json"])
    m = build(store)
    snap = open_snapshot(store.dir)
    assert len(snap) == m["nodes"] == store.count_models()
    for name in ("modality", "pipeline_tag", "library_name", "license", "relation"):
        assert pa.types.is_dictionary(snap.nodes.schema.field(name).type), name
    assert snap.nodes.schema.field("x").type == pa.float32()
    assert np.isnan(snap.column("x")).all()  # no layout yet
    e = snap.edges
    assert e.schema.field("source").type == pa.int32() and e.schema.field("target").type == pa.int32()
    ids = snap.nodes.column("id").to_pylist()
    src, dst = e.column("source").to_pylist(), e.column("target").to_pylist()
    pairs = {(ids[s], ids[d]) for s, d in zip(src, dst, strict=False)}
    assert ("Qwen/Qwen2.5-32B-Instruct", "Qwen/QwQ-32B-Preview") in pairs
    codes, labels = snap.codes("relation")
    assert labels[codes[ids.index("Qwen/QwQ-32B-Preview")]] == "finetune"
    assert labels[codes[ids.index("Qwen/Qwen2.5-32B-Instruct")]] == "none"
    day = snap.column("created_day")[ids.index("Qwen/QwQ-32B-Preview")]
    assert np.datetime64("1970-01-01") + np.timedelta64(int(day), "D") == np.datetime64("2024-11-27")
    assert snap.codes("modality")[1][snap.codes("modality")[0][ids.index("Qwen/QwQ-32B-Preview")]] == "Text"


def test_coordinates_survive_rebuild(store, tmp_path):
    import_paths(store, [write_json(tmp_path / "a.json", [rec("o/a"), rec("o/b")])])
    build(store)
    snap = open_snapshot(store.dir)
    # write coordinates as the layout will, then add a model and rebuild
    from hubatlas.core.layout.pipeline import apply_to_snapshot

    apply_to_snapshot(snap, np.array([[0.5, 0.25], [-0.5, 0.75]], np.float32), {"backend": "test"})
    del snap
    import_paths(store, [write_json(tmp_path / "b.json", [rec("o/c")])])
    snap = ensure_snapshot(store)
    ids = snap.nodes.column("id").to_pylist()
    x = snap.column("x")
    assert x[ids.index("o/a")] == 0.5 and x[ids.index("o/b")] == -0.5 and np.isnan(x[ids.index("o/c")])


def test_stale_or_broken_snapshot_is_detected(store, tmp_path):
    import_paths(store, [write_json(tmp_path / "a.json", [rec("o/a")])])
    build(store)
    (snapshot_dir(store.dir) / "nodes.arrow").write_bytes(b"garbage")
    with pytest.raises(SnapshotError):
        open_snapshot(store.dir)
    assert len(ensure_snapshot(store)) == 1  # rebuilt


def test_layout_description_survives_a_rebuild(store, tmp_path):
    """A rebuild keeps the positions by id, and with them the description of the layout they came from (the
    About box once said "Layout: none" for the demo, whose snapshot is rebuilt after its inference)."""
    from hubatlas.core.layout.pipeline import apply_to_snapshot

    import_paths(store, [write_json(tmp_path / "a.json", [rec("o/a"), rec("o/b")])])
    build(store)
    info = {"backend": "cpu", "backend_detail": "CPU path (test)"}
    apply_to_snapshot(open_snapshot(store.dir), np.array([[0.1, 0.2], [0.3, 0.4]], np.float32), info)
    import_paths(store, [write_json(tmp_path / "b.json", [rec("o/c")])])
    assert ensure_snapshot(store).manifest["layout"] == info
    store.conn.execute("UPDATE models SET downloads = 1")  # a rebuild without a layout says so
    (snapshot_dir(store.dir) / "nodes.arrow").unlink()
    assert "layout" not in build(store)
