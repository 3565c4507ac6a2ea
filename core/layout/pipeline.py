"""`hubatlas layout`: 2-D coordinates for every model, cached by content and applied to the snapshot.

Pipeline: features (core.features) -> kNN in feature space joined with lineage edges -> UMAP (cuML on an
NVIDIA GPU, or the CPU path of layout.cpu) -> x, y normalised to [-1, 1] float32 in the snapshot.
The cache key covers the node set, the edges, the parameters and the code version; results are written
atomically to ``<cache>/layouts/<key>.arrow``. An unchanged atlas is not recomputed. When models were added
since the last layout, only the new ones are placed (near their parents or feature neighbours) and nobody
else moves, unless ``full`` is asked.
"""

from __future__ import annotations

import hashlib
import json
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hubatlas.core.common.paths import LAYOUTS_DIR
from hubatlas.core.common.progress import bar
from hubatlas.core.layout.cpu import (
    contract_to_parents,
    layout_cpu,
    local_unit,
    place_by_features,
    place_derived_by_features,
)
from hubatlas.core.layout.features import BLOCKS, FEATURES_VERSION, REDUCED, snapshot_features
from hubatlas.core.layout.labels import labels_for_layout, write_labels
from hubatlas.core.layout.params import LayoutParams
from hubatlas.core.layout.spread import spread_dense
from hubatlas.core.store.database import Store, utcnow
from hubatlas.core.store.snapshot import Snapshot, ensure_snapshot, open_snapshot, write_manifest, write_table

LAYOUT_VERSION = 8  # 8: exact anchor kNN, PCA start, no equalisation (continents with ocean)
RECONTRACT = 0.5  # derivatives keep this share of their distance to their parent after the spreading


class LayoutError(RuntimeError):
    pass


def _digest(*arrays: pa.ChunkedArray | pa.Array) -> str:
    h = hashlib.sha256()
    for a in arrays:
        a = a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a
        for buf in a.buffers():
            if buf is not None:
                h.update(memoryview(buf))
        h.update(str(len(a)).encode())
    return h.hexdigest()


def cache_key(snap: Snapshot, p: LayoutParams, backend: str) -> str:
    content = {
        "nodes": _digest(snap.nodes.column("id")),
        "edges": _digest(
            snap.edges.column("source"), snap.edges.column("target"), snap.edges.column("relation")
        ),
        "attrs": _digest(
            *(
                snap.nodes.column(c).combine_chunks().indices
                for c in ("pipeline_tag", "library_name", "license")
            )
        ),
        "params": {k: v for k, v in asdict(p).items() if k != "backend"},
        "backend": backend,
        "versions": [LAYOUT_VERSION, FEATURES_VERSION],
        "features": {k: list(v) for k, v in BLOCKS.items()},
        "reduced": REDUCED,
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:32]


LIBRARIES = ("numpy", "scipy", "scikit-learn", "umap-learn", "numba", "pyarrow")


def made_with() -> dict[str, str]:
    """The versions a layout depends on: hubatlas, Python and the numerical libraries (a map is the same for
    the same data and seed on one machine and these versions; other versions may move it)."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    from hubatlas.core import __version__

    out = {"hubatlas": __version__, "python": platform.python_version()}
    for lib in LIBRARIES:
        try:
            out[lib] = version(lib)
        except PackageNotFoundError:
            out[lib] = "not installed"
    return out


def resolve_backend(name: str) -> tuple[str, str]:
    from hubatlas.core.layout.gpu import cuml_status

    if name == "cpu":
        return "cpu", "CPU path (umap-learn on anchors + placement)"
    ok, why = cuml_status()
    if name == "cuml":
        if not ok:
            raise LayoutError(f"--backend cuml is not usable here: {why}")
        return "cuml", why
    if name != "auto":
        raise LayoutError(f"unknown backend {name!r}; choose auto, cuml or cpu")
    return ("cuml", why) if ok else ("cpu", f"CPU path ({why})")


def to_unit_square(xy: np.ndarray) -> np.ndarray:
    """Centre and scale to [-1, 1] (uniform scale, so shapes are kept); NaN rows stay NaN."""
    out = np.asarray(xy, dtype=np.float64).copy()
    ok = np.isfinite(out).all(1)
    if not ok.any():
        return out.astype(np.float32)
    lo, hi = out[ok].min(0), out[ok].max(0)
    centre = (lo + hi) / 2
    half = float(max((hi - lo).max() / 2, 1e-12))
    out[ok] = (out[ok] - centre) / half
    return np.clip(out, -1, 1).astype(np.float32)


def _graph(snap: Snapshot) -> dict:
    pp_rel = snap.codes("relation")[0].astype(np.int64)
    parent = snap.edges.column("source").to_numpy().astype(np.int64)
    child = snap.edges.column("target").to_numpy().astype(np.int64)
    from hubatlas.core.store.graph import primary_parents

    return {
        "parent": parent,
        "child": child,
        # the snapshot's own primary parents (documented lineage; a merge's most downloaded parent)
        "pp": snap.column("parent").astype(np.int64)
        if "parent" in snap.nodes.column_names
        else primary_parents(len(snap), parent, child).astype(np.int64),
        "depth": snap.column("depth").astype(np.int64),
        "relation": pp_rel,
        "family": snap.column("family").astype(np.int64),
        "root": snap.column("root").astype(np.int64),
    }


def compute(
    snap: Snapshot,
    p: LayoutParams,
    backend: str,
    stage: Callable[[str], None],
    store: Store | None = None,
    g: dict | None = None,
) -> np.ndarray:
    """Raw coordinates for every node with the chosen backend (features with the tags of ``store``; ``g``:
    the lineage graph of ``_graph``, made here when not given)."""
    stage("features")
    feats = snapshot_features(snap, store)
    g = g if g is not None else _graph(snap)
    if backend == "cuml":
        from hubatlas.core.layout.gpu import gpu_knn, layout_cuml
        from hubatlas.core.layout.knn import join_lineage

        stage("knn")
        idx, dist = gpu_knn(feats, p.n_neighbors)
        idx, dist = join_lineage(idx, dist, g["parent"], g["child"])
        stage("optimise")
        return layout_cuml(feats, idx, dist, seed=p.seed, n_epochs=p.n_epochs, min_dist=p.min_dist)
    return layout_cpu(
        feats, g["parent"], g["child"], g["pp"], g["depth"], g["relation"], g["family"], g["root"], p, stage
    )


def open_up(snap: Snapshot, xy: np.ndarray, g: dict | None = None) -> np.ndarray:
    """Spread dense regions over the canvas (layout.spread), then pull derivatives back toward their parents
    by RECONTRACT of their distance, so families stay compact after the spreading."""
    out = spread_dense(xy).astype(np.float64)
    g = g if g is not None else _graph(snap)
    contract_to_parents(out, g["pp"], g["depth"], RECONTRACT)
    return out


def place_new(
    snap: Snapshot, xy: np.ndarray, p: LayoutParams, stage: Callable[[str], None], store: Store | None = None
) -> np.ndarray:
    """Place nodes without coordinates near their parents or feature neighbours (the same features as the
    full layout); placed nodes do not move."""
    xy = xy.astype(np.float64).copy()
    placed: np.ndarray = np.asarray(np.isfinite(xy).all(1), dtype=bool)
    stage("features")
    feats = snapshot_features(snap, store)
    g = _graph(snap)
    stage("placement")
    unit = local_unit(xy[placed], p.seed)
    fam_size = np.bincount(g["family"])[g["family"]].astype(np.float64)
    rng = np.random.default_rng(p.seed)
    ref_all = np.flatnonzero(placed)
    ref = np.sort(rng.choice(ref_all, size=min(len(ref_all), p.anchors), replace=False))
    # new roots and isolated models by features, then derivatives by their parents, then any rest
    place_by_features(xy, placed, np.flatnonzero(~placed & (g["pp"] < 0)), ref, feats, unit, p.seed)
    place_derived_by_features(xy, placed, g["pp"], g["depth"], ref, feats, fam_size, unit, p.seed)
    place_by_features(xy, placed, np.flatnonzero(~placed), ref, feats, unit, p.seed)
    return np.clip(xy, -1, 1).astype(np.float32)


def layouts_dir(cache: Path) -> Path:
    return Path(cache) / LAYOUTS_DIR


def _write_layout(path: Path, ids: pa.ChunkedArray, xy: np.ndarray, made: dict) -> None:
    """The coordinates by id, with what made them (seed and versions) in the file's metadata."""
    t = pa.table({"id": ids, "x": pa.array(xy[:, 0]), "y": pa.array(xy[:, 1])})
    write_table(t.replace_schema_metadata({"made": json.dumps(made)}), path)


def _made_of(path: Path) -> dict | None:
    """What made a cached layout (None: a file written before this was recorded)."""
    try:
        meta = pa.ipc.open_file(pa.memory_map(str(path))).schema.metadata or {}
        return json.loads(meta[b"made"]) if b"made" in meta else None
    except (pa.ArrowException, OSError, ValueError):
        return None


def _cached_layout(path: Path, n: int, log: Callable[[str], None]) -> np.ndarray | None:
    """A cached layout's coordinates, or None (with a warning) when the file is damaged: it is recomputed."""
    try:
        t = pa.ipc.open_file(pa.memory_map(str(path))).read_all()
        xy = np.stack([t.column("x").to_numpy(), t.column("y").to_numpy()], 1)
        if len(xy) != n or not np.isfinite(xy).all():
            raise ValueError(f"{len(xy)} rows for {n} nodes, or non-finite coordinates")
        return xy
    except (pa.ArrowException, OSError, KeyError, ValueError) as e:
        msg = f"the cached layout {path.name} is damaged ({type(e).__name__}: {str(e)[:120]}); recomputing it"
        log(msg)
        warnings.warn(msg, RuntimeWarning, stacklevel=2)
        return None


def apply_to_snapshot(snap: Snapshot, xy: np.ndarray, info: dict) -> None:
    """Write x, y into the snapshot's nodes file (atomic) and record the layout in the manifest."""
    t = snap.nodes
    t = t.set_column(t.schema.get_field_index("x"), "x", pa.array(xy[:, 0].astype(np.float32)))
    t = t.set_column(t.schema.get_field_index("y"), "y", pa.array(xy[:, 1].astype(np.float32)))
    d = snap.dir
    write_table(t, d / "nodes.arrow")
    write_manifest(d, dict(snap.manifest, layout=info))


def run_layout(
    store: Store,
    p: LayoutParams,
    *,
    full: bool = False,
    progress: bool | None = None,
    log: Callable[[str], None] = lambda m: None,
) -> dict:
    """Lay out the atlas in ``store`` and apply it; returns what was done."""
    t0 = time.perf_counter()
    snap = ensure_snapshot(store)
    n = len(snap)
    backend, why = resolve_backend(p.backend)
    key = cache_key(snap, p, backend)
    path = layouts_dir(store.dir) / f"{key}.arrow"
    info = {
        "key": key,
        "backend": backend,
        "backend_detail": why,
        "nodes": n,
        "params": asdict(p),
        "computed_at": utcnow(),
    }
    stages = ["features", "knn", "optimise", "placement"]
    with bar(total=len(stages), desc="layout", unit="stage", enabled=progress) as pb:
        timings: dict[str, float] = {}
        started, current = [time.perf_counter()], [""]

        def stage(name: str) -> None:
            now = time.perf_counter()
            if current[0]:
                timings[current[0]] = round(now - started[0], 2)
            started[0], current[0] = now, name
            pb.set_postfix_str(name)
            pb.update(1)
            log(f"layout: {name}")

        xy = _cached_layout(path, n, log) if path.exists() else None
        # what made the positions shown: the same data, seed and versions make the same map
        made = {"seed": p.seed, "versions": made_with()}
        if xy is not None:
            info["mode"] = "cached"
            made = _made_of(path) or made
        else:
            old = np.stack([snap.column("x"), snap.column("y")], 1)
            have = np.isfinite(old).all(1)
            if not full and have.any() and not have.all():
                xy = place_new(snap, old, p, stage, store)
                info["mode"] = "incremental"
                info["placed_new"] = int((~have).sum())
            elif not full and have.all() and n:
                xy = old
                info["mode"] = "unchanged"
                made = (snap.manifest.get("layout") or {}).get("made") or made
            else:
                g = _graph(snap) if n else {}  # once per run: the placement and the spreading share it
                raw = compute(snap, p, backend, stage, store, g) if n else np.zeros((0, 2), np.float32)
                xy = to_unit_square(open_up(snap, raw, g)) if n else raw
                info["mode"] = "full"
            if current[0]:
                timings[current[0]] = round(time.perf_counter() - started[0], 2)
            info["stage_seconds"] = timings
            if not np.isfinite(xy).all():
                raise LayoutError("the layout produced non-finite coordinates; nothing was saved")
            layouts_dir(store.dir).mkdir(parents=True, exist_ok=True)
            _write_layout(path, snap.nodes.column("id"), xy, made)
    info["made"] = made
    apply_to_snapshot(snap, xy, info)
    t1 = time.perf_counter()
    labels = labels_for_layout(
        layouts_dir(store.dir) / f"{key}.labels.arrow", open_snapshot(store.dir), p.seed
    )
    write_labels(snap.dir, labels, key)
    info["labels"] = {
        "count": labels.num_rows,
        "overview": int(pc.sum(pc.equal(labels.column("min_zoom"), 1.0)).as_py() or 0),
        "seconds": round(time.perf_counter() - t1, 2),
    }
    info["seconds"] = round(time.perf_counter() - t0, 2)
    return info
