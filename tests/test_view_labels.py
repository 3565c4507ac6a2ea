"""Labels for what a view shows (core.layout.label_basis / label_regions / labels): a narrowed view is named
from its shown models, above the sample it counts from; untagged regions are named for what they are; an
account names a region only where it dominates; as of a date no later family is named; no text twice in a
view; the basis is cached with the layout and rebuilt for another one."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from hubatlas.core.layout import label_regions as lr
from hubatlas.core.layout.label_basis import REGIONS, LabelBasis, _kmeans_assign, ensure_basis, read_basis
from hubatlas.core.layout.labels import labels_from_basis
from hubatlas.viewer.layers.labels import LabelSet


def _basis(n_per: int = 1500, seed: int = 0) -> LabelBasis:
    """Four blobs: text generation by one known account (A), image models of many small accounts (B), a
    family of 600 (C) made on day 1000 whose root is made on day 900, and untagged models whose names say
    "llama" or "whisper" (D)."""
    rng = np.random.default_rng(seed)
    centres = np.array([(-0.6, -0.6), (0.6, -0.6), (-0.6, 0.6), (0.6, 0.6)])
    blob = np.repeat(np.arange(4), n_per)
    n = len(blob)
    xy = np.clip(centres[blob] + rng.normal(0, 0.08, (n, 2)), -1, 1)
    regions = np.stack([_kmeans_assign(xy, k, 0) for k in REGIONS]).astype(np.int32)
    task = np.where(blob == 0, 0, np.where(blob == 1, 1, np.where(blob == 2, 0, -1)))
    pub = np.where(blob == 0, 0, 1 + rng.integers(0, 400, n))  # account 0: all of A; B: 400 small ones
    family = np.full(n, -1)
    c = np.flatnonzero(blob == 2)
    family[c[:600]] = c[0]  # a family rooted at C's first model
    words = ["Llama", "Whisper", "Zzz"]  # as the basis keeps them: readable
    topics = np.full((3, n), -1, np.int32)
    d = np.flatnonzero(blob == 3)
    topics[0, d] = np.where(np.arange(len(d)) % 3 == 0, 1, 0)
    day = np.full(n, 500)
    day[c[:600]] = 1000
    day[c[0]] = 900
    names = pa.array([f"m{i}" for i in range(n)])
    texts = {
        "family": [f"Family {i}" for i in range(n)],
        "publisher": ["bigco"] + [f"small{i}" for i in range(400)],
        "task": ["Text generation", "Image classification"],
        "library": [],
        "word": words,
    }
    codes = {
        "family": family.astype(np.int32),
        "publisher": pub.astype(np.int32),
        "task": task.astype(np.int32),
        "library": np.full(n, -1, np.int32),
        "word": np.full(n, -1, np.int32),
    }
    author_dl = np.array([1e8] + [10.0] * 400)
    dl = rng.integers(0, 1000, n).astype(np.float64)
    return LabelBasis(xy, np.ones(n, bool), regions, codes, topics, texts, author_dl, dl, day, names)


def test_a_narrowed_view_is_named_from_its_shown_models_above_the_sample():
    b = _basis()
    shown = np.zeros(len(b), bool)
    shown[b.codes["task"] == 0] = True  # the two text generation blobs
    table = labels_from_basis(b, shown, sample=900)  # fewer than the 3,000 shown: the sampled path
    rows = table.to_pylist()
    assert rows and all(shown[r["members"]].all() for r in rows)
    texts = {r["text"] for r in rows if r["min_zoom"] <= 1}
    assert {"Text generation", "Family 3000"} <= texts
    fam = next(r for r in rows if r["text"] == "Family 3000")
    # counted on the sample, scaled up: an estimate of how many of the family's 600 shown models it names
    assert len(fam["members"]) < fam["count"] <= 800
    again = labels_from_basis(b, shown, sample=900)
    assert again.equals(table)  # seeded: the same view, the same names
    unsampled = labels_from_basis(b, shown)
    assert {r["text"] for r in unsampled.to_pylist() if r["min_zoom"] <= 1} >= {"Text generation"}


def test_untagged_regions_are_named_for_what_they_are_and_accounts_only_where_they_dominate():
    rows = labels_from_basis(_basis()).to_pylist()
    over = {r["text"]: r for r in rows if r["min_zoom"] <= 1}
    untagged = [t for t in over if t.startswith("Untagged")]
    assert untagged == ["Untagged: Llama, Whisper"]
    r = over[untagged[0]]
    assert r["kind"] == "untagged" and r["x"] > 0.3 and r["y"] > 0.3  # on the untagged blob
    assert not any(
        t.startswith("small") for t in (r["text"] for r in rows)
    )  # 400 small accounts: never named
    # the known account dominating its blob may name it, at some level
    assert "bigco" in {r["text"] for r in rows} or "Text generation" in over


def test_as_of_a_date_no_family_made_later_is_named():
    b = _basis()
    everything = {r["text"] for r in labels_from_basis(b).to_pylist()}
    assert "Family 3000" in everything
    shown = np.ones(len(b), bool)  # even where its models were shown (bad dates), a later root is not named
    before = {r["text"] for r in labels_from_basis(b, shown, as_of_day=899).to_pylist()}
    assert "Family 3000" not in before
    after = {r["text"] for r in labels_from_basis(b, shown, as_of_day=950).to_pylist()}
    assert "Family 3000" in after


def test_a_sparse_view_takes_finer_regions():
    b = _basis()
    s = lr.Shown(b, None, None, 0, 0)
    assert lr.region_level(b, s, 0) == 0  # the whole map fills its own regions
    shown = np.zeros(len(b), bool)
    shown[b.codes["task"] == 1] = True  # one blob of four: a quarter of the coarse regions
    narrow = lr.Shown(b, shown, None, 0, 0)
    assert lr.region_level(b, narrow, 0) > 0


def test_no_label_text_twice_in_one_view():
    table = pa.table(
        {
            "text": ["Llama", "Llama", "Other"],
            "x": pa.array([-0.5, 0.5, 0.0], pa.float32()),
            "y": pa.array([0.0, 0.0, 0.5], pa.float32()),
            "min_zoom": pa.array([1.0, 1.0, 1.0], pa.float32()),
            "count": [10, 9, 8],
            "kind": ["family", "family", "task"],
            "members": pa.array([[1], [2], [3]], pa.list_(pa.int32())),
        }
    )
    placed = LabelSet(table).choose((-1, -1, 1, 1), (800, 800), 1.0)
    assert sorted(p.text for p in placed) == ["Llama", "Other"]


@pytest.fixture(scope="module")
def demo_laid_out(demo_laid_out):
    """The demo's store laid out from scratch (conftest's fixture of this name: computed once a session, this
    module's own copy), as its folder."""
    return demo_laid_out[0]


def test_the_basis_is_cached_with_the_layout_and_rebuilt_for_another(demo_laid_out, monkeypatch):
    from hubatlas.core.layout import label_basis
    from hubatlas.core.store.snapshot import open_snapshot

    snap = open_snapshot(demo_laid_out)
    cached = read_basis(snap)
    assert cached is not None, "the layout writes the basis"
    assert cached.regions.shape == (len(REGIONS), len(snap)) and (cached.regions[0] >= 0).sum() > 2000
    # another layout key: the cached basis is not this layout's, and is built again (k-means on a sample)
    snap.manifest["layout"]["key"] = "another"
    assert read_basis(snap) is None
    monkeypatch.setattr(label_basis, "KMEANS_SAMPLE", 500)  # above the sample: fitted on 500 points
    built = ensure_basis(snap, write=False)
    assert built is not None and built.regions[0].max() + 1 == REGIONS[0]
    (demo_laid_out / "snapshot" / label_basis.BASIS_FILE).write_bytes(b"not arrow")  # damaged: rebuilt
    snap.manifest["layout"]["key"] = open_snapshot(demo_laid_out).manifest["layout"]["key"]
    assert read_basis(snap) is None and ensure_basis(snap) is not None and read_basis(snap) is not None


def test_zoomed_out_past_the_overview_the_overview_s_names_stay():
    table = pa.table(
        {
            "text": ["Region", "Finer"],
            "x": pa.array([0.0, 0.5], pa.float32()),
            "y": pa.array([0.0, 0.5], pa.float32()),
            "min_zoom": pa.array([1.0, 2.0], pa.float32()),
            "count": [10, 9],
            "kind": ["task", "family"],
            "members": pa.array([[1], [2]], pa.list_(pa.int32())),
        }
    )
    labels = LabelSet(table)
    for zoom in (1.0, 0.6, 0.2):  # once: below zoom 1 every name vanished
        rect = (-1.1 / zoom, -1.1 / zoom, 1.1 / zoom, 1.1 / zoom)
        assert [p.text for p in labels.choose(rect, (800, 800), zoom)] == ["Region"]
