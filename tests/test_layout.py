"""The layout: CPU path end to end with quality bounds, determinism, incremental placement, the cache, and
the cuML adapter's contract (plus a real cuML run only where cuML and a GPU exist)."""
from __future__ import annotations

import shutil
import sys
import types

import numpy as np
import pytest
from conftest import rec, write_json

from hubatlas.core.demo import ensure_demo
from hubatlas.core.ingest.files import import_paths
from hubatlas.core.ingest.synth import SynthParams, write_synthetic
from hubatlas.core.layout.params import LayoutParams
from hubatlas.core.layout.pipeline import LayoutError, resolve_backend, run_layout
from hubatlas.core.layout.quality import measure
from hubatlas.core.store.database import Store
from hubatlas.core.store.snapshot import open_snapshot


@pytest.fixture(scope="module")
def demo_layout(tmp_path_factory):
    d = tmp_path_factory.mktemp("demo")
    src = ensure_demo()
    shutil.copy(src / "atlas.sqlite", d / "atlas.sqlite")
    with Store(d) as s:
        info = run_layout(s, LayoutParams(backend="cpu"), progress=False)
    return d, info


def xy_of(cache) -> tuple[list[str], np.ndarray]:
    snap = open_snapshot(cache)
    return snap.nodes.column("id").to_pylist(), np.stack([snap.column("x"), snap.column("y")], 1)


def test_cpu_layout_on_the_real_demo_meets_quality_bounds(demo_layout):
    d, info = demo_layout
    assert info["backend"] == "cpu" and info["mode"] == "full"
    ids, xy = xy_of(d)
    assert np.isfinite(xy).all() and np.abs(xy).max() <= 1.0 and xy.dtype == np.float32
    r = measure(open_snapshot(d), sample=5000)
    assert r["lineage_locality"] < 0.05  # families close: parent-child far below random pairs
    assert r["trustworthiness"] > 0.88
    assert r["modality_purity"] > 0.8
    # SmolLM2's quantized derivatives sit by their parent rather than by a random model
    i, j = ids.index("HuggingFaceTB/SmolLM2-1.7B-Instruct"), ids.index("HuggingFaceTB/SmolLM2-1.7B")
    assert np.linalg.norm(xy[i] - xy[j]) < np.median(np.linalg.norm(xy - xy[j], axis=1))


def test_cache_reuse_and_invalidation(demo_layout, tmp_path):
    d, info = demo_layout
    with Store(d) as s:
        again = run_layout(s, LayoutParams(backend="cpu"), progress=False)
        assert again["mode"] == "cached" and again["key"] == info["key"]
        other = run_layout(s, LayoutParams(backend="cpu", seed=1), full=True, progress=False)
        assert other["key"] != info["key"] and other["mode"] == "full"
    layouts = [p for p in (d / "layouts").glob("*.arrow") if not p.name.endswith(".labels.arrow")]
    assert len(layouts) == 2 and len(list((d / "layouts").glob("*.labels.arrow"))) == 2


def _synthetic(cache, n=3000, seed=0):
    with Store(cache) as s:
        write_synthetic(s, SynthParams(models=n, seed=seed))


def test_deterministic_for_a_seed(tmp_path):
    for name in ("a", "b"):
        _synthetic(tmp_path / name)
        with Store(tmp_path / name) as s:
            run_layout(s, LayoutParams(backend="cpu", seed=3, anchors=1000), progress=False)
    _, xa = xy_of(tmp_path / "a")
    _, xb = xy_of(tmp_path / "b")
    assert np.array_equal(xa, xb)
    with Store(tmp_path / "a") as s:
        run_layout(s, LayoutParams(backend="cpu", seed=4, anchors=1000), full=True, progress=False)
    assert not np.array_equal(xy_of(tmp_path / "a")[1], xb)


def test_anchored_placement_path(tmp_path):
    _synthetic(tmp_path / "c", n=12_000)
    with Store(tmp_path / "c") as s:
        info = run_layout(s, LayoutParams(backend="cpu", anchors=2000), progress=False)
    assert info["mode"] == "full"
    r = measure(open_snapshot(tmp_path / "c"), sample=4000)
    _, xy = xy_of(tmp_path / "c")
    assert np.isfinite(xy).all()
    assert r["lineage_locality"] < 0.05
    assert r["modality_purity"] > 0.5


def test_incremental_placement_keeps_old_coordinates(demo_layout, tmp_path):
    d0, _ = demo_layout
    d = tmp_path / "inc"
    shutil.copytree(d0, d)
    ids0, xy0 = xy_of(d)
    new = [rec("new/SmolLM2-1.7B-lora-x", tags=["base_model:adapter:HuggingFaceTB/SmolLM2-1.7B", "peft"]),
           rec("new/lonely-model", pipeline_tag="text-classification")]
    with Store(d) as s:
        import_paths(s, [write_json(tmp_path / "n.json", new)])
        info = run_layout(s, LayoutParams(backend="cpu"), progress=False)
    assert info["mode"] == "incremental" and info["placed_new"] == 2
    ids, xy = xy_of(d)
    pos = {m: i for i, m in enumerate(ids)}
    old = np.array([pos[m] for m in ids0])
    assert np.array_equal(xy[old], xy0)  # nobody moved
    assert np.isfinite(xy).all()
    child, parent = xy[pos["new/SmolLM2-1.7B-lora-x"]], xy[pos["HuggingFaceTB/SmolLM2-1.7B"]]
    assert np.linalg.norm(child - parent) < 0.1 * np.median(np.linalg.norm(xy - parent, axis=1))


def test_tiny_atlases(tmp_path):
    for n, name in ((1, "one"), (2, "two")):
        recs = [rec(f"o/m{i}") for i in range(n)]
        with Store(tmp_path / name) as s:
            import_paths(s, [write_json(tmp_path / f"{name}.json", recs)])
            run_layout(s, LayoutParams(backend="cpu"), progress=False)
        _, xy = xy_of(tmp_path / name)
        assert xy.shape == (n, 2) and np.isfinite(xy).all()


def test_backend_resolution_here():
    name, why = resolve_backend("auto")
    assert name == "cpu" and "cuML" in why  # no cuML in the test environment
    with pytest.raises(LayoutError, match="not usable"):
        resolve_backend("cuml")


# ---- the cuML adapter --------------------------------------------------------------------------------


def test_cuml_contract_exact_documented_call(monkeypatch):
    """CONTRACT TEST (not a GPU run): the exact call hubatlas makes to cuml.manifold.UMAP and
    cuml.neighbors.NearestNeighbors, checked against cuML's documented API, with fake modules."""
    from hubatlas.core.layout import gpu as layout_cuml

    calls = {}

    class FakeUMAP:
        def __init__(self, **kw):
            calls["umap_init"] = kw

        def fit_transform(self, X):
            calls["fit_X"] = X
            return np.zeros((len(X), 2), dtype=np.float32)

    class FakeNN:
        def __init__(self, **kw):
            calls["nn_init"] = kw

        def fit(self, X):
            calls["nn_fit"] = X.shape
            return self

        def kneighbors(self, X):
            n, k = len(X), calls["nn_init"]["n_neighbors"]
            idx = np.tile(np.arange(k), (n, 1))
            idx[:, 0] = np.arange(n)
            return np.zeros((n, k), np.float32), idx

    cuml = types.ModuleType("cuml")
    manifold = types.ModuleType("cuml.manifold")
    neighbors = types.ModuleType("cuml.neighbors")
    manifold.UMAP = FakeUMAP
    neighbors.NearestNeighbors = FakeNN
    monkeypatch.setitem(sys.modules, "cuml", cuml)
    monkeypatch.setitem(sys.modules, "cuml.manifold", manifold)
    monkeypatch.setitem(sys.modules, "cuml.neighbors", neighbors)

    X = np.random.default_rng(0).random((50, 8), dtype=np.float32)
    idx, dist = layout_cuml.gpu_knn(X, 15)
    assert calls["nn_init"] == {"n_neighbors": 15, "algorithm": "brute", "metric": "euclidean",
                                "output_type": "numpy"}
    assert (idx[:, 0] == np.arange(50)).all()
    out = layout_cuml.layout_cuml(X, idx, dist, seed=7, n_epochs=200, min_dist=0.1)
    assert out.shape == (50, 2)
    kw = calls["umap_init"]
    documented = {"n_neighbors", "n_components", "metric", "metric_kwds", "n_epochs", "learning_rate", "min_dist",
                  "spread", "set_op_mix_ratio", "local_connectivity", "repulsion_strength", "negative_sample_rate",
                  "transform_queue_size", "init", "a", "b", "target_n_neighbors", "target_weight", "target_metric",
                  "hash_input", "random_state", "force_serial_epochs", "precomputed_knn", "callback", "build_algo",
                  "build_kwds", "device_ids", "verbose", "output_type"}
    assert set(kw) <= documented
    knn_idx, knn_dist = kw["precomputed_knn"]
    assert knn_idx.shape == (50, 15) and (knn_idx[:, 0] == np.arange(50)).all()  # self first, as documented
    assert kw["n_components"] == 2 and kw["random_state"] == 7 and kw["build_algo"] == "brute_force_knn"
    big = layout_cuml.umap_kwargs(10_000_000, 15, 0, 200, 0.1)
    assert set(big["build_kwds"]) <= layout_cuml.DOCUMENTED_BUILD_KWDS
    assert not any(k.startswith("nnd_n_") or k.startswith("nnd_overlap") for k in big["build_kwds"])


def _has_cuml_gpu() -> bool:
    from hubatlas.core.layout.gpu import cuml_status

    return cuml_status()[0]


@pytest.mark.external
@pytest.mark.skipif(not _has_cuml_gpu(), reason="needs cuML and a CUDA GPU")
def test_cuml_real_layout(tmp_path):
    _synthetic(tmp_path / "g", n=20_000)
    with Store(tmp_path / "g") as s:
        info = run_layout(s, LayoutParams(backend="cuml"), progress=False)
    assert info["backend"] == "cuml"
    r = measure(open_snapshot(tmp_path / "g"), sample=5000)
    assert r["trustworthiness"] > 0.85


def test_damaged_cached_layout_is_recomputed_with_a_warning(tmp_path):
    import pyarrow as pa
    from atlas_fixtures import make_known_atlas

    cache = tmp_path / "c"
    make_known_atlas(cache, layout=False)
    with Store(cache) as s:
        first = run_layout(s, LayoutParams(backend="cpu"), progress=False)
        f = cache / "layouts" / f"{first['key']}.arrow"
        data = bytearray(f.read_bytes())
        data[len(data) // 2: len(data) // 2 + 64] = b"\xff" * 64
        f.write_bytes(bytes(data))
        with pytest.warns(RuntimeWarning, match="damaged"):
            again = run_layout(s, LayoutParams(backend="cpu"), progress=False)
        assert again["mode"] != "cached" and again["key"] == first["key"]
        t = pa.ipc.open_file(pa.memory_map(str(f))).read_all()  # rewritten whole
        assert t.num_rows == first["nodes"]
        assert run_layout(s, LayoutParams(backend="cpu"), progress=False)["mode"] == "cached"
