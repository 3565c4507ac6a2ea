"""Cartography on the real demo (2,137 Hub models): features from metadata, placeholders among their
children, the label hierarchy (computed with the layout, cached, listed by `hubatlas labels`), label
placement without overlaps, and labels and density in exported images (pixel checks)."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest
from helpers import run_cli

from hubatlas.core.common.names import readable
from hubatlas.core.layout.features import (
    BLOCKS,
    REDUCED,
    build_features,
    snapshot_features,
    stored_tags,
    weighted_blocks,
)
from hubatlas.core.layout.labels import LEVELS, compute_labels, read_labels
from hubatlas.core.layout.params import LayoutParams
from hubatlas.core.layout.pipeline import run_layout
from hubatlas.core.layout.spread import spread_dense
from hubatlas.core.layout.text_features import name_trigrams
from hubatlas.core.store.database import Store
from hubatlas.core.store.snapshot import open_snapshot
from hubatlas.viewer.layers.labels import LabelSet, overlapping


@pytest.fixture(scope="module")
def demo(demo_laid_out):
    """The demo's store laid out from scratch (conftest: computed once a session, this module's own copy)."""
    return demo_laid_out


def _block(feats: np.ndarray, name: str) -> np.ndarray:
    at = 0
    for b, (dims, _) in BLOCKS.items():
        if b == name:
            return feats[:, at : at + dims]
        at += dims
    raise KeyError(name)


def test_name_trigrams_make_similar_names_near():
    ids = pa.array(
        [
            "a/Llama-3.1-8B-Instruct",
            "b/llama-3.1-8b-instruct-gguf",
            "c/whisper-small-fr",
            "d/Llama-3.1-8B",
            "e/distilbert-base-uncased",
        ]
        + [f"x/filler-{i}" for i in range(50)]
    )
    v = name_trigrams(ids, 32)
    assert np.allclose(np.linalg.norm(v[:5], axis=1), 1.0, atol=1e-5)
    sim = v @ v.T
    assert sim[0, 1] > 0.6 and sim[0, 3] > 0.6  # same words, other case and suffixes
    assert sim[0, 2] < 0.35 and sim[0, 4] < 0.35  # unrelated names


def _nodes(rows: list[tuple[str, str, str, str, int]]) -> pa.Table:
    """A nodes table as the snapshot holds it: (id, modality, task, library, family) per model."""
    ids, mod, task, lib, fam = zip(*rows, strict=False)
    return pa.table(
        {
            "id": pa.array(ids),
            "modality": pa.array(mod).dictionary_encode(),
            "pipeline_tag": pa.array(task).dictionary_encode(),
            "library_name": pa.array(lib).dictionary_encode(),
            "license": pa.array(["apache-2.0"] * len(ids)).dictionary_encode(),
            "family": pa.array(fam, pa.int32()),
        }
    )


def test_authors_are_embedded_by_what_they_publish():
    rows = []
    for i in range(6):  # two authors of chat models, one of image classifiers, one with a single model
        rows.append((f"alice/llama-chat-{i}", "text", "text-generation", "transformers", len(rows)))
        rows.append((f"bob/qwen-instruct-{i}", "text", "text-generation", "transformers", len(rows)))
        rows.append((f"carol/vit-patch16-{i}", "vision", "image-classification", "timm", len(rows)))
    rows.append(("dave/one-model", "text", "text-generation", "transformers", len(rows)))
    blocks = weighted_blocks(_nodes(rows))
    author = _block(blocks, "author")
    a, b, c, d = 0, 1, 2, len(rows) - 1
    unit = author / np.maximum(np.linalg.norm(author, axis=1, keepdims=True), 1e-12)
    assert unit[a] @ unit[b] > 0.9  # alice and bob publish alike: their directions nearly agree
    assert unit[a] @ unit[c] < 0.5  # carol publishes something else
    assert np.allclose(author[a], author[a + 3])  # one direction per author
    assert not author[d].any()  # an author of one model carries no neighbourhood


def test_layout_features_are_the_blocks_reduced_and_keep_most_of_them(demo):
    d, _ = demo
    snap = open_snapshot(d)
    with Store(d, readonly=True) as s:
        feats = snapshot_features(snap, s)
        again = snapshot_features(snap, s)
        blocks = weighted_blocks(snap.nodes, snap.edges, stored_tags(s, len(snap)))
    assert feats.shape == (len(snap), REDUCED) and feats.dtype == np.float32 and np.isfinite(feats).all()
    assert np.array_equal(feats, again)  # deterministic
    kept = feats.var(0).sum() / blocks.var(0).sum()
    assert 0.75 < kept <= 1.0 + 1e-6, kept
    # distances shrink, never grow, under the projection (it is orthogonal)
    rng = np.random.default_rng(0)
    i, j = rng.integers(0, len(snap), (2, 500))
    assert (
        np.linalg.norm(feats[i] - feats[j], axis=1) <= np.linalg.norm(blocks[i] - blocks[j], axis=1) + 1e-3
    ).all()
    assert build_features(snap.nodes[:3]).shape == (3, REDUCED)  # fewer models than components: padded


def test_placeholders_take_their_childrens_features_and_place(demo):
    d, _ = demo
    snap = open_snapshot(d)
    with Store(d, readonly=True) as s:
        feats = weighted_blocks(snap.nodes, snap.edges, stored_tags(s, len(snap)))
    ph = np.flatnonzero(snap.column("placeholder").astype(bool))
    src, dst = snap.edges.column("source").to_numpy(), snap.edges.column("target").to_numpy()
    kids_of = {int(p): dst[src == p] for p in ph}
    busy = [p for p, k in kids_of.items() if len(k) >= 3]
    assert busy, "the demo has placeholder parents with several children"
    bare = weighted_blocks(snap.nodes)  # without the edges: a placeholder has only its name and family
    xy = np.stack([snap.column("x"), snap.column("y")], 1)
    for p in busy:
        kids = kids_of[p]
        task = _block(feats, "task")
        mean = task[kids].mean(0)
        assert np.linalg.norm(task[p] - mean) < 1e-4  # its task block is its children's mean
        assert np.abs(_block(bare, "task")[p]).sum() == 0  # (where it had nothing before)
        # it lies among its children: nearer their centre than the children's median spread
        centre = np.median(xy[kids], axis=0)
        spread = np.median(np.linalg.norm(xy[kids] - centre, axis=1))
        all_d = np.linalg.norm(xy - xy[p], axis=1)
        assert np.linalg.norm(xy[p] - centre) <= max(2 * spread, np.quantile(all_d, 0.05))


def test_labels_are_computed_with_the_layout_and_name_smollm2_by_its_root(demo):
    d, info = demo
    assert info["labels"]["count"] >= 20 and info["labels"]["overview"] >= 3
    snap = open_snapshot(d)
    t = read_labels(snap)
    assert t is not None and t.num_rows == info["labels"]["count"]
    rows = t.to_pylist()
    ids = snap.nodes.column("id").to_pylist()
    root = snap.column("root")
    smol = root[ids.index("HuggingFaceTB/SmolLM2-1.7B-Instruct")]
    root_name = readable(ids[smol].split("/")[-1])  # "SmolLM2-1.7B" is named "SmolLM2 1.7B"
    assert root_name == "SmolLM2 1.7B"
    overview = [r for r in rows if r["min_zoom"] == 1]
    assert any(r["text"] == root_name and r["kind"] == "family" for r in overview), overview
    # the label sits on the family: nearer its models' centre than a typical model is
    members = np.flatnonzero(root == smol)
    xy = np.stack([snap.column("x"), snap.column("y")], 1)
    lab = next(r for r in overview if r["text"] == root_name)
    centre = np.median(xy[members], axis=0)
    assert np.linalg.norm(np.array([lab["x"], lab["y"]]) - centre) < np.median(
        np.linalg.norm(xy - centre, axis=1)
    )
    zooms = sorted({r["min_zoom"] for r in rows})
    assert zooms[0] == 1 and {z for z, _ in LEVELS} & set(zooms) and max(zooms) >= 16  # a hierarchy
    assert all(r["count"] >= 1 and r["text"] and r["text"].isprintable() for r in rows)


def test_labels_are_deterministic_and_cached_with_the_layout(demo):
    d, info = demo
    snap = open_snapshot(d)
    xy = np.stack([snap.column("x"), snap.column("y")], 1)
    again = compute_labels(snap, xy, seed=0)
    assert again.equals(read_labels(snap).replace_schema_metadata(None))
    assert (d / "layouts" / f"{info['key']}.labels.arrow").exists()
    # labels of another layout are not taken for this one's
    other = snap.manifest | {"layout": {"key": "another"}}
    assert read_labels(type(snap)(snap.dir, snap.nodes, snap.edges, other)) is None


@pytest.mark.parametrize("zoom", [1.0, 2.0, 4.0, 8.0, 16.0, 64.0])
def test_no_two_chosen_labels_overlap_at_any_zoom(demo, zoom):
    d, _ = demo
    labels = LabelSet(read_labels(open_snapshot(d)))
    rng = np.random.default_rng(int(zoom))
    legend = (0, 700, 260, 800)
    for _ in range(6):
        cx, cy = rng.uniform(-0.8, 0.8, 2) if zoom > 1 else (0.0, 0.0)
        half = 1.1 / zoom
        placed = labels.choose(
            (cx - half * 1.6, cy - half, cx + half * 1.6, cy + half), (1280, 800), zoom, [legend]
        )
        assert overlapping(placed) == []
        for p in placed:
            assert labels.min_zoom[p.index] <= zoom
            r = p.rect
            assert not (r[0] < legend[2] and legend[0] < r[2] and r[1] < legend[3] and legend[1] < r[3])
    overview = labels.choose((-1.76, -1.1, 1.76, 1.1), (1280, 800), 1.0)
    assert len(overview) >= 3
    assert len(labels.choose((-1.76, -1.1, 1.76, 1.1), (1280, 800), 8.0)) >= len(overview)


def test_spreading_opens_dense_discs_and_keeps_neighbourhoods():
    rng = np.random.default_rng(0)
    disc = rng.normal(0, 0.01, (20000, 2))  # 80% of the points in one tiny disc
    rest = rng.uniform(-1, 1, (5000, 2))
    xy = np.vstack([disc, rest])
    out = spread_dense(xy)
    r_before = np.quantile(np.linalg.norm(disc, axis=1), 0.9)
    r_after = np.quantile(np.linalg.norm(out[:20000] - np.median(out[:20000], 0), axis=1), 0.9)
    assert r_after > 2 * r_before
    # order inside the disc is kept: left stays left of right
    a, b = np.argmin(disc[:, 0]), np.argmax(disc[:, 0])
    assert out[a, 0] < out[b, 0]
    assert np.isfinite(out).all()


def test_spreading_keeps_the_ocean_between_continents():
    """Two dense islands stay two islands: the strait between them is not filled (no equalisation)."""
    rng = np.random.default_rng(1)
    xy = np.vstack([rng.normal((-0.5, 0), 0.05, (10000, 2)), rng.normal((0.5, 0), 0.05, (10000, 2))])
    out = spread_dense(xy)
    left, right = out[:10000, 0], out[10000:, 0]
    assert left.max() < right.min()  # still apart, in order
    gap = (right.min() - left.max()) / (out[:, 0].max() - out[:, 0].min())
    assert gap > 0.1, gap  # an ocean of a tenth of the map's width or more between them


def test_labels_command_lists_them_as_json(demo):
    d, _ = demo
    out = json.loads(run_cli("labels", "--json", cache=d).stdout)
    assert len(out) >= 20
    for r in out:
        assert set(r) == {"text", "x", "y", "min_zoom", "count"}
        assert isinstance(r["text"], str) and isinstance(r["count"], int) and r["min_zoom"] >= 1
        assert -1.0 <= r["x"] <= 1.0 and -1.0 <= r["y"] <= 1.0
    first = json.loads(run_cli("labels", "--json", "--max-zoom", "1", "--kind", cache=d).stdout)
    assert first and all(r["min_zoom"] == 1 and "kind" in r for r in first)
    text = run_cli("labels", "--max-zoom", "1", cache=d).stdout
    assert first[0]["text"] in text


def test_labels_command_names_what_a_filtered_view_shows(demo):
    """`labels --filter F=V --as-of DATE`: a narrowed view is named for the models it shows: it keeps names,
    every label names shown models only, and as of a date no family made later is named."""
    from hubatlas.core.common.filters import Filters, parse_day, snapshot_mask
    from hubatlas.core.layout.labels import view_labels

    d, _ = demo
    snap = open_snapshot(d)
    full = {r["text"] for r in read_labels(snap).to_pylist()}
    codes, names = snap.codes("pipeline_tag")
    top = int(np.bincount(codes[codes >= 0]).argmax())
    day = snap.column("created_day").astype(np.int64)
    as_of = int(np.quantile(day[day >= 0], 0.3))
    date = str(np.datetime64("1970-01-01") + np.timedelta64(as_of, "D"))
    cases = [
        (["--filter", f"pipeline_tag={names[top]}"], Filters({"pipeline_tag": top})),
        (["--as-of", date], Filters({}, as_of_day=parse_day(date))),
    ]
    root = snap.column("root").astype(np.int64)
    for extra, f in cases:
        shown = snapshot_mask(snap, f)
        rows = json.loads(run_cli("labels", "--json", *extra, cache=d).stdout)
        mine = view_labels(snap, shown, f.as_of_day).to_pylist()
        assert [(r["text"], r["x"]) for r in rows] == [(r["text"], round(r["x"], 5)) for r in mine], extra
        assert sum(r["min_zoom"] <= 1 for r in rows) >= 3, extra  # the narrowed overview keeps names
        assert {r["text"] for r in rows} != full, extra  # named for what is shown, not the whole map's names
        for r in mine:
            assert shown[r["members"]].all(), (extra, r["text"])
            if f.as_of_day is not None and r["kind"] == "family":
                assert (day[root[r["members"]]] <= f.as_of_day).all(), r["text"]
    bad = run_cli("labels", "--as-of", "yesterday", cache=d, check=False)
    assert bad.returncode != 0 and "not a date" in bad.stderr and "Traceback" not in bad.stderr
    bad = run_cli("labels", "--filter", "pipeline_tag=no-such-task", cache=d, check=False)
    assert bad.returncode != 0 and "no model has pipeline_tag" in bad.stderr


def test_labels_of_models_without_any_task_library_or_family(tmp_path):
    """Bare records (ids only): labels come from authors and name words; no kind of name is required."""
    from helpers import rec, write_json

    from hubatlas.core.ingest.files import import_paths

    recs = [rec(f"lab{i % 3}/solar-model-{i}") for i in range(60)]
    with Store(tmp_path / "c") as s:
        import_paths(s, [write_json(tmp_path / "r.json", recs)])
        info = run_layout(s, LayoutParams(backend="cpu"), progress=False)
    t = read_labels(open_snapshot(tmp_path / "c"))
    assert t is not None and t.num_rows == info["labels"]["count"] >= 1
    assert {r["kind"] for r in t.to_pylist()} <= {"author", "word", "model"}


def test_sibling_families_side_by_side_are_one_name():
    from hubatlas.core.common.names import readable
    from hubatlas.core.layout.labels import _merge_siblings

    rows = [
        ("Whisper small", 0.10, -0.36, 1.0, 1126, "family", [1, 2]),
        ("Whisper tiny", 0.09, -0.35, 1.0, 1103, "family", [3]),
        ("Whisper large", 0.90, 0.90, 1.0, 500, "family", [4]),  # far away: its own label
        ("BERT base uncased", 0.33, -0.42, 2.0, 1256, "family", [5]),
        ("BERT base cased", 0.325, -0.44, 2.0, 1120, "family", [6]),
        ("Text generation", 0.1, -0.36, 1.0, 9000, "task", [7]),  # another kind: never merged
    ]
    out = {r[0]: r for r in _merge_siblings(rows)}
    assert set(out) == {"Whisper", "Whisper large", "BERT base", "Text generation"} | {
        "Whisper small",
        "Whisper tiny",
        "BERT base uncased",
        "BERT base cased",
    }
    w = out["Whisper"]
    assert w[4] == 1126 + 1103 and sorted(w[6]) == [1, 2, 3] and (w[1], w[2]) == (0.10, -0.36) and w[3] == 1.0
    assert out["BERT base"][3] == 2.0 and out["BERT base"][4] == 1256 + 1120
    # zoomed in, the merged name splits into its families again: from zoom 2 (from 4 under a zoom-2 merge)
    assert out["Whisper small"][3] == out["Whisper tiny"][3] == 2.0 and out["Whisper small"][1:3] == (
        0.10,
        -0.36,
    )
    assert out["BERT base uncased"][3] == out["BERT base cased"][3] == 4.0
    assert out["Whisper large"][3] == 1.0
    assert (
        readable("llama-3-8b-bnb-4bit") == "Llama 3 8B"
        and readable("Mistral-7B-v0.1-GGUF") == "Mistral 7B v0.1"
    )
    assert readable("gguf") == "GGUF"  # a name that is nothing but the word stays
