"""The synthetic hub: deterministic, calibrated shape, structural invariants."""

from __future__ import annotations

import multiprocessing as mp

import numpy as np
import pytest

from hubatlas.core.ingest.synth import SynthParams, generate
from hubatlas.core.ingest.synth_store import write_synthetic
from hubatlas.core.store.database import Store
from hubatlas.core.store.snapshot import build, open_snapshot


@pytest.fixture(scope="module")
def hub():
    return generate(SynthParams(models=60_000, seed=7))


def test_deterministic_for_a_seed(hub):
    again = generate(SynthParams(models=60_000, seed=7))
    assert again.ids == hub.ids and again.edges == hub.edges
    assert np.array_equal(again.created_day, hub.created_day)
    other = generate(SynthParams(models=60_000, seed=8))
    assert other.edges != hub.edges


def test_ids_unique_and_count(hub):
    assert len(hub) == 60_000
    assert len(set(hub.ids)) == len(hub.ids)


def test_relation_mix_and_isolation(hub):
    rel = np.array([r for _, _, r in hub.edges])
    children = {c for c, _, _ in hub.edges}
    parents = {p for _, p, _ in hub.edges}
    share = len(children) / len(hub)
    assert 0.25 < share < 0.36  # about 31% of Hub models have a parent
    isolated = len(hub) - len(children | parents)
    assert isolated / len(hub) > 0.5  # most models are isolated
    mix = np.bincount(rel, minlength=4) / len(rel)
    # published mix: finetune 33%, adapter 42%, quantized 18%, merge 7% (edges)
    assert 0.2 < mix[0] < 0.45 and 0.3 < mix[1] < 0.55 and 0.1 < mix[2] < 0.26 and 0.02 < mix[3] < 0.15


def test_quantized_are_leaves_and_parents_older(hub):
    parents = {p for _, p, _ in hub.edges}
    quantized = {c for c, _, r in hub.edges if r == 2}
    assert quantized and not (quantized & parents)
    c = np.array([e[0] for e in hub.edges])
    p = np.array([e[1] for e in hub.edges])
    assert (hub.created_day[p] < hub.created_day[c]).all()


def test_power_law_families_with_giants(hub):
    kids = np.bincount([p for _, p, _ in hub.edges], minlength=len(hub))
    top = np.argsort(kids)[::-1][:3]
    assert hub.ids[top[0]] == "black-forest-labs/FLUX.1-dev"
    sizes = kids[kids > 0]
    assert np.median(sizes) <= 3 and sizes.max() > 50 * np.median(sizes)


def test_vision_shallow_language_deep(tmp_path):
    with Store(tmp_path / "c") as s:
        write_synthetic(s, SynthParams(models=40_000, seed=3))
        build(s)
        assert s.is_synthetic()
        assert s.stats()["synthetic"] is True
    snap = open_snapshot(tmp_path / "c")
    codes, labels = snap.codes("modality")
    depth = snap.column("depth")
    derived = depth > 0
    img = derived & (codes == labels.index("Image"))
    txt = derived & (codes == labels.index("Text"))
    assert (depth[img] == 1).mean() > 0.9
    assert (depth[txt] >= 3).mean() > 0.05
    assert snap.manifest["synthetic"] is True


def test_authors_names_and_giant_dates_look_like_the_hub(hub):
    authors = np.array([i.split("/")[0] for i in hub.ids])
    _, counts = np.unique(authors, return_counts=True)
    # the real 2024-07 snapshot: 0.25 authors per model, the largest author holding 0.6% of models
    assert 0.18 < len(counts) / len(hub) < 0.35 and counts.max() / len(hub) < 0.01
    markers = ("-lora-", "-qlora-", "-adapter-", "-GGUF-", "-merge-", "-sft-", "-dpo-")
    assert not any(sum(i.count(m) for m in markers) > 1 for i in hub.ids)  # one marker a name, never stacked
    day = dict(zip(hub.ids, hub.created_day.tolist(), strict=False))
    flux = int((np.datetime64("2024-07-31") - np.datetime64("1970-01-01")).astype(int))
    assert day["black-forest-labs/FLUX.1-dev"] == flux  # a giant's root keeps its real date


def test_synthetic_records_go_through_the_record_and_lineage_parsers(tmp_path, monkeypatch):
    from hubatlas.core.ingest import lineage_fields, records, synth_store

    seen = {"records": 0, "lineage": 0}
    real_row, real_edges = records.record_to_row, records.edges_for

    def counting_row(*a, **k):
        seen["records"] += 1
        return real_row(*a, **k)

    def counting_edges(*a, **k):
        seen["lineage"] += 1
        return real_edges(*a, **k)

    monkeypatch.setattr(records, "record_to_row", counting_row)
    monkeypatch.setattr(records, "edges_for", counting_edges)
    params = SynthParams(models=3000, seed=1)
    batches = list(synth_store._batches(params, size=1000))  # what the generator process sends, made here
    h = generate(params)
    children = {c for c, _, _ in h.edges}
    # every record is parsed; every record that names a parent goes through the lineage parser
    assert seen == {"records": 3000, "lineage": len(children)}
    assert [len(b) for b in batches] == [1000, 1000, 1000]
    assert sum(len(b.edges) for b in batches) == len(h.edges)
    with Store(tmp_path / "c") as s:
        info = write_synthetic(s, params)
        assert info["edges"] == len(h.edges)
        some = next(iter(children))
        assert s.parents(h.ids[some])  # lineage as the parser read it from the tags
    assert lineage_fields.edges_for is real_edges


@pytest.mark.skipif(
    "fork" not in mp.get_all_start_methods(), reason="the patch reaches a forked process only"
)
def test_a_generator_that_fails_writes_nothing(tmp_path, monkeypatch):
    """The hub is drawn in a child process: its error reaches the caller with what failed, and the atlas is
    left as it was (empty, its indexes in place)."""
    from hubatlas.core.ingest import synth_store
    from hubatlas.core.ingest.batch import ImportFailed

    def broken(params):
        raise MemoryError("no room for the hub")

    monkeypatch.setattr(synth_store, "generate", broken)  # (the forked generator process inherits it)
    with Store(tmp_path / "c") as s:
        indexes = sorted(r[0] for r in s.conn.execute("SELECT name FROM sqlite_master WHERE type='index'"))
        with pytest.raises(ImportFailed, match="synthetic hub's generator: MemoryError: no room"):
            write_synthetic(s, SynthParams(models=3000, seed=1))
        assert s.conn.execute("SELECT count(*) FROM models").fetchone()[0] == 0
        assert (
            sorted(r[0] for r in s.conn.execute("SELECT name FROM sqlite_master WHERE type='index'"))
            == indexes
        )
        assert "models_created" in indexes
