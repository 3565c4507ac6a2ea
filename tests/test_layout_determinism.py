"""Same data, same map (issue 31): two layouts from scratch with the same seed agree exactly — in one process
and in two — on an atlas that takes every size-dependent path of the layout (the anchored path with its
sampled anchors, the seeded samples the principal axes, the nearest-anchor search and the labels' regions are
fitted on); the labels agree too; another seed gives another map."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from helpers import run_cli

pytestmark = pytest.mark.slow

MODELS = 12_000
ANCHORS = 3_000  # the anchored path: UMAP on 3,000 models, the rest placed


@pytest.fixture(scope="module")
def atlas(tmp_path_factory):
    cache = tmp_path_factory.mktemp("det") / "atlas"
    run_cli("synth", "--models", str(MODELS), cache=cache)
    return cache


def _copy(atlas, where):
    shutil.copytree(atlas, where)
    return where


def _map(cache):
    from hubatlas.core.store.snapshot import open_snapshot

    snap = open_snapshot(cache)
    xy = np.stack([snap.column("x"), snap.column("y")], 1)
    from hubatlas.core.layout.labels import read_labels

    return xy, read_labels(snap), snap.manifest["layout"]


def _layout_in_process(cache, seed=0):
    from hubatlas.core.layout.params import LayoutParams
    from hubatlas.core.layout.pipeline import run_layout
    from hubatlas.core.store.database import Store

    with Store(cache) as s:
        run_layout(s, LayoutParams(backend="cpu", anchors=ANCHORS, seed=seed), full=True, progress=False)
    return _map(cache)


def _narrowed_labels(cache):
    from hubatlas.core.layout.labels import view_labels
    from hubatlas.core.store.snapshot import open_snapshot

    snap = open_snapshot(cache)
    day = snap.column("created_day").astype(np.int64)
    return view_labels(snap, day >= np.quantile(day[day >= 0], 0.3))


@pytest.fixture
def above_every_sample(monkeypatch):
    """The seeded samples of the layout start above these sizes: lowered under the test atlas's."""
    from hubatlas.core.layout import cpu, features, label_basis, label_regions

    monkeypatch.setattr(features, "PCA_SAMPLE", 4_000)
    monkeypatch.setattr(cpu, "PCA_FIT_SAMPLE", 4_000)
    monkeypatch.setattr(label_basis, "KMEANS_SAMPLE", 4_000)
    monkeypatch.setattr(label_regions, "VIEW_SAMPLE", 4_000)
    for value in (features.PCA_SAMPLE, cpu.PCA_FIT_SAMPLE, label_basis.KMEANS_SAMPLE, ANCHORS):
        assert value < MODELS


def test_two_layouts_in_one_process_agree_exactly(atlas, tmp_path, above_every_sample):
    xy1, labels1, info1 = _layout_in_process(_copy(atlas, tmp_path / "a"))
    xy2, labels2, _ = _layout_in_process(_copy(atlas, tmp_path / "b"))
    assert np.isfinite(xy1).all() and np.array_equal(xy1, xy2)
    assert labels1 is not None and labels1.num_rows > 20 and labels1.equals(labels2)
    narrowed = [_narrowed_labels(tmp_path / d) for d in ("a", "b")]  # a narrowed view, from its sample
    assert narrowed[0].num_rows > 5 and narrowed[0].equals(narrowed[1])
    made = info1["made"]
    assert made["seed"] == 0 and {"hubatlas", "umap-learn", "numpy", "scikit-learn"} <= set(made["versions"])


@pytest.fixture(scope="module")
def seed_0_here(atlas, tmp_path_factory):
    """The map of seed 0 made in this (the test) process, with the default sample sizes."""
    return _layout_in_process(_copy(atlas, tmp_path_factory.mktemp("seed0") / "a"), seed=0)


def test_two_layouts_in_two_processes_agree_exactly(atlas, tmp_path, seed_0_here):
    """The command line's map, made in a new process, is the one made in this process (other hash seeds,
    another history: this process has made other maps before)."""
    cache = _copy(atlas, tmp_path / "b")
    run_cli("layout", "--full", "--backend", "cpu", "--anchors", str(ANCHORS), "--no-analyses", cache=cache)
    (xy1, labels1, _), (xy2, labels2, _) = seed_0_here, _map(cache)
    assert np.isfinite(xy1).all() and labels1 is not None and labels1.num_rows > 20
    assert np.array_equal(xy1, xy2) and labels1.equals(labels2)


def test_another_seed_gives_another_map(atlas, tmp_path, seed_0_here):
    xy0, _, _ = seed_0_here
    xy1, _, info = _layout_in_process(_copy(atlas, tmp_path / "b"), seed=1)
    assert info["made"]["seed"] == 1
    moved = np.linalg.norm(xy0 - xy1, axis=1)
    assert np.median(moved) > 0.05  # not the same map
