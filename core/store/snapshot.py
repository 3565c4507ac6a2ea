"""The snapshot: Arrow IPC columns of every node and edge, rebuilt from the store after each change and
memory-mapped by readers (opening 2M nodes takes milliseconds: nothing is parsed or copied).

nodes.arrow  id, modality/pipeline_tag/library_name/license/relation (dictionary-coded), downloads, likes,
             created_day (days since 1970-01-01, null when unknown), family (a root and what descends from
             it through primary parents), root, parent (the primary parent, -1 for a root), depth,
             n_parents, placeholder, x, y (float32 in [-1, 1]; NaN until a layout exists)
edges.arrow  source (parent node index, int32), target (child node index, int32), relation (uint8 code),
             inferred (bool: proposed by `hubatlas infer`, or its relation type was inferred),
             cross (bool: between two families: a merge's parent other than its primary one),
             proposed (bool: the edge itself was proposed by `hubatlas infer`, not documented)
manifest.json counts, the store's data_version it was built from, and when.
"""

from __future__ import annotations

import json
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hubatlas.core.common import atomic
from hubatlas.core.common.dates import HUB_BEGAN, day_of
from hubatlas.core.common.paths import LAYOUTS_DIR, SNAPSHOT_DIR
from hubatlas.core.common.taxonomy import modality_of
from hubatlas.core.store.database import Store, utcnow
from hubatlas.core.store.graph import families
from hubatlas.core.store.schema import RELATIONS

SNAPSHOT_VERSION = (
    4  # 3: one root per family, the primary parent, cross-family edges; 4: dates out of range unknown
)
EDGE_FILE_COLUMNS = ("source", "target", "relation", "inferred", "proposed", "cross")
RELATION_CODE = {r: i for i, r in enumerate(RELATIONS)}
NO_PARENT = "none"


@dataclass
class Snapshot:
    """A memory-mapped snapshot: ``nodes`` and ``edges`` are pyarrow Tables backed by the files."""

    dir: Path
    nodes: pa.Table
    edges: pa.Table
    manifest: dict

    def __len__(self) -> int:
        return self.nodes.num_rows

    def column(self, name: str) -> np.ndarray:
        """A numeric column as a numpy array (zero-copy where it has no nulls)."""
        col = self.nodes.column(name)
        if col.null_count:
            fill = np.nan if pa.types.is_floating(col.type) else -1
            col = pc.fill_null(col, fill)
        return col.combine_chunks().to_numpy(zero_copy_only=False)

    def codes(self, name: str) -> tuple[np.ndarray, list[str]]:
        """A dictionary column as (int32 codes, labels); a missing value has code -1."""
        col = self.nodes.column(name).combine_chunks()
        idx = col.indices
        if idx.null_count:
            idx = pc.fill_null(idx, -1)
        return idx.to_numpy(zero_copy_only=False).astype(np.int32), col.dictionary.to_pylist()


def snapshot_dir(cache_dir: str | Path) -> Path:
    return Path(cache_dir) / SNAPSHOT_DIR


def write_table(table: pa.Table, path: Path) -> None:
    """Write one snapshot (or layout) column file atomically, in record batches of 4M rows."""
    atomic.write_arrow(path, table, max_chunksize=1 << 22)


NODE_COLUMNS = (
    "rowid",
    "id",
    "pipeline_tag",
    "library_name",
    "license",
    "downloads",
    "likes",
    "created_at",
    "placeholder",
)
EDGE_COLUMNS = ("child", "parent", "relation", "proposed", "typed")


def build(store: Store, progress: bool | None = None) -> dict:
    """Rebuild the snapshot from the store (atomic per file; manifest written last). Returns the manifest."""
    t0 = time.perf_counter()
    rows, erows, data_version, synthetic = _read(store)
    cols = _columns(rows, NODE_COLUMNS)
    del rows
    n = len(cols["rowid"])
    rowid = np.fromiter(cols["rowid"], dtype=np.int64, count=n)
    edges = _edge_arrays(_columns(erows, EDGE_COLUMNS), rowid)
    del erows
    doc = ~edges["proposed"]
    downloads = np.array([-1 if d is None else d for d in cols["downloads"]], np.float64)
    fam = families(n, edges["source"][doc], edges["target"][doc], priority=downloads)
    # an edge between two families: a merge's other parents (the merge joined its most downloaded parent's)
    # (documented edges only: a proposed parent is a guess, drawn as such, not a link between families)
    edges["cross"] = (
        (fam.family[edges["source"]] != fam.family[edges["target"]]) & doc if n else edges["proposed"]
    )
    ids = pa.array(cols["id"], type=pa.string())
    old_xy, old_layout = _previous_xy(store.dir, ids)
    data_date = store.data_date()
    nodes = _nodes_table(cols, ids, fam, edges, old_xy, data_date)
    d = snapshot_dir(store.dir)
    d.mkdir(parents=True, exist_ok=True)
    write_table(nodes, d / "nodes.arrow")
    write_table(
        pa.table({k: edges[k] for k in EDGE_FILE_COLUMNS}),
        d / "edges.arrow",
    )
    manifest = {
        "snapshot_version": SNAPSHOT_VERSION,
        "data_version": data_version,
        "built_at": utcnow(),
        "nodes": n,
        "models": n - int(np.fromiter(cols["placeholder"], dtype=np.uint8, count=n).sum()),
        "data_date": data_date,
        "dates_out_of_range": int((nodes.schema.metadata or {}).get(b"dates_out_of_range", 0)),
        "edges": len(edges["source"]),
        "inferred_edges": int(edges["proposed"].sum()),
        "cross_family_edges": int((edges["cross"] & ~edges["proposed"]).sum()),
        "families": int(fam.family.max() + 1) if n else 0,
        "cycles_broken": fam.cycles_broken,
        "relations": list(RELATIONS),
        "synthetic": synthetic,
        "data_source": source_text(store.meta()),
        "snapshot_date": store.meta().get("snapshot_date") or None,  # `hubatlas get`: "new since" this day
        "seconds": round(time.perf_counter() - t0, 3),
    }
    if old_layout and np.isfinite(old_xy[0]).any():
        manifest["layout"] = old_layout  # the positions kept are that layout's
    return write_manifest(d, manifest)


def _columns(rows: list[tuple], names: tuple[str, ...]) -> dict[str, tuple]:
    """Rows of a query as columns by name."""
    cols = list(zip(*rows, strict=True)) if rows else [()] * len(names)
    return dict(zip(names, cols, strict=True))


def _edge_arrays(e: dict[str, tuple], rowid: np.ndarray) -> dict[str, np.ndarray]:
    """Edges as node indices (nodes are in rowid order), sorted by (parent, child). An edge documented without
    a type shows its inferred type; both it and edges proposed by inference are flagged ``inferred``."""
    m = len(e["child"])
    child = np.searchsorted(rowid, np.fromiter(e["child"], dtype=np.int64, count=m)).astype(np.int32)
    parent = np.searchsorted(rowid, np.fromiter(e["parent"], dtype=np.int64, count=m)).astype(np.int32)
    rel_code = np.fromiter((RELATION_CODE[r] for r in e["relation"]), dtype=np.uint8, count=m)
    proposed = np.fromiter(e["proposed"], dtype=bool, count=m)
    typed = np.fromiter(e["typed"], dtype=bool, count=m)
    order = np.lexsort((child, parent))
    arrays: dict[str, np.ndarray] = {
        "source": parent,
        "target": child,
        "relation": rel_code,
        "proposed": proposed,
        "typed": typed,
    }
    out = {k: v[order] for k, v in arrays.items()}
    out["inferred"] = out["proposed"] | out["typed"]
    return out


def _relation_to_primary_parent(n: int, fam, edges: dict[str, np.ndarray]) -> np.ndarray:
    """Each node's relation code to its primary parent (``len(RELATIONS)``: none)."""
    node_rel = np.full(n, len(RELATIONS), dtype=np.int32)
    kids = np.flatnonzero(fam.primary_parent >= 0)
    if len(edges["source"]) and len(kids):
        # edge (pp[v], v) for each child v: found among the edges sorted by (parent, child)
        key_e = edges["source"].astype(np.int64) * max(n, 1) + edges["target"]
        key_v = fam.primary_parent[kids].astype(np.int64) * max(n, 1) + kids
        node_rel[kids] = edges["relation"][np.searchsorted(key_e, key_v)]
    return node_rel


def _nodes_table(
    cols: dict[str, tuple],
    ids: pa.Array,
    fam,
    edges: dict[str, np.ndarray],
    old_xy,
    data_date: str | None = None,
) -> pa.Table:
    n = len(ids)
    tag_dict = pa.array(cols["pipeline_tag"], type=pa.string()).dictionary_encode()
    labels = tag_dict.dictionary.to_pylist()
    mod_of_label = pa.array([modality_of(x) for x in labels], type=pa.string())
    modality = pc.take(mod_of_label, tag_dict.indices) if n else pa.array([], type=pa.string())
    modality = pc.fill_null(modality, modality_of(None)).dictionary_encode()
    doc_child = edges["target"][~edges["proposed"]]
    n_parents = np.bincount(doc_child, minlength=n).astype(np.uint8) if n else np.zeros(0, np.uint8)
    created = pa.array(cols["created_at"], type=pa.string())
    day = pc.strptime(
        pc.utf8_slice_codeunits(created, 0, 10), format="%Y-%m-%d", unit="s", error_is_null=True
    )
    day = pc.cast(pc.cast(day, pa.date32()), pa.int32())
    # a creation date after the data's own date, or before the Hub held models, is a broken record: unknown
    lo, hi = day_of(HUB_BEGAN), day_of(data_date) if data_date else None
    bad = pc.less(day, lo) if hi is None else pc.or_(pc.less(day, lo), pc.greater(day, hi))
    bad = pc.fill_null(bad, False)
    out_of_range = pc.sum(bad.cast(pa.int64())).as_py() or 0
    day = pc.if_else(bad, pa.scalar(None, pa.int32()), day)
    node_rel = _relation_to_primary_parent(n, fam, edges)
    return pa.table(
        {
            "id": ids,
            "modality": modality,
            "pipeline_tag": tag_dict,
            "library_name": pa.array(cols["library_name"], type=pa.string()).dictionary_encode(),
            "license": pa.array(cols["license"], type=pa.string()).dictionary_encode(),
            "relation": pa.DictionaryArray.from_arrays(
                pa.array(node_rel, type=pa.int32()), pa.array([*RELATIONS, NO_PARENT])
            ),
            "downloads": pa.array(cols["downloads"], type=pa.int64()),
            "likes": pa.array(cols["likes"], type=pa.int32()),
            "created_day": day,
            "family": pa.array(fam.family, type=pa.int32()),
            "root": pa.array(fam.root, type=pa.int32()),
            "parent": pa.array(fam.primary_parent, type=pa.int32()),  # primary parent (-1: a root)
            "depth": pa.array(fam.depth, type=pa.int32()),
            "n_parents": pa.array(n_parents, type=pa.uint8()),
            "placeholder": pa.array(np.fromiter(cols["placeholder"], dtype=np.uint8, count=n).astype(bool)),
            "x": pa.array(old_xy[0], type=pa.float32()),
            "y": pa.array(old_xy[1], type=pa.float32()),
        },
        metadata={"dates_out_of_range": str(out_of_range)},
    )


DATA_FILES = ("nodes.arrow", "edges.arrow")


def _crc(path: Path) -> str:
    """CRC-32 of a whole file (about 1 GB/s: 0.06 s for the 578K-node real snapshot on a 2-core VM)."""
    crc = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 24):
            crc = zlib.crc32(chunk, crc)
    return f"{crc:08x}"


def write_manifest(d: Path, manifest: dict) -> dict:
    """Write the manifest last, with the checksum of each data file as it is now."""
    manifest = dict(manifest, checksums={name: _crc(d / name) for name in DATA_FILES})
    atomic.write_text(d / "manifest.json", json.dumps(manifest, indent=1))
    return manifest


def is_current(snap: Snapshot, store: Store) -> bool:
    """Built from the store's data as it is now, and intact."""
    return snap.manifest.get("data_version") == store.data_version() and not damaged_files(snap)


def damaged_files(snap: Snapshot) -> list[str]:
    """The data files whose bytes differ from the manifest's checksums (a snapshot written before checksums
    were kept has none to compare and counts as damaged: it is rebuilt once)."""
    sums = snap.manifest.get("checksums") or {}
    return [name for name in DATA_FILES if sums.get(name) != _crc(snap.dir / name)]


def source_text(meta: dict) -> str | None:
    """Where the data came from, for `stats` and every attribution: the weekly snapshot `hubatlas get`
    imported (repository, file, rows), and the last refresh from the Hub API after it; None otherwise."""
    if not meta.get("snapshot_file"):
        return None
    rows = int(meta.get("snapshot_rows") or 0)
    text = f"{meta.get('snapshot_repo')} {meta['snapshot_file']} ({rows:,} rows)"
    synced = meta.get("synced_at") or ""
    if synced and synced >= (meta.get("imported_at") or ""):  # a refresh in the same second counts
        text += f", refreshed from the Hub API {synced[:10]}"
    return text


def _read(store: Store) -> tuple[list, list, str, bool]:
    """Models, edges, the data version and the synthetic mark from one read transaction: a consistent view
    even while another process writes (each statement on its own could see a different state)."""
    c = store.conn
    with store.reading():
        # a model removed from the Hub is left out, unless models still listed descend from it: then it
        # stays as their family's root, drawn as a placeholder
        rows = c.execute(  # NODE_COLUMNS
            "SELECT rowid, id, pipeline_tag, library_name, license, downloads, likes, created_at, "
            "placeholder OR removed_at IS NOT NULL FROM models m WHERE removed_at IS NULL OR EXISTS "
            "(SELECT 1 FROM edges e JOIN models c ON c.id = e.child WHERE e.parent = m.id AND c.removed_at IS NULL) "
            "ORDER BY rowid"
        ).fetchall()
        erows = c.execute(  # EDGE_COLUMNS
            "SELECT mc.rowid, mp.rowid, CASE WHEN e.relation='unknown' AND e.inferred_relation IS NOT NULL "
            "THEN e.inferred_relation ELSE e.relation END, e.source='inferred', "
            "e.relation='unknown' AND e.inferred_relation IS NOT NULL FROM edges e "
            "JOIN models mc ON mc.id = e.child JOIN models mp ON mp.id = e.parent "
            "WHERE mc.removed_at IS NULL"
        ).fetchall()
        return rows, erows, store.data_version(), store.is_synthetic()


def _previous_xy(cache_dir: Path, ids: pa.Array) -> tuple[tuple[np.ndarray, np.ndarray], dict | None]:
    """Keep layout coordinates of nodes already placed (matched by id) across rebuilds; with the layout's
    description from the old manifest. When the old snapshot's bytes are damaged, the positions come from
    that layout's cached file instead (``layouts/<key>.arrow``), when there is one."""
    n = len(ids)
    x = np.full(n, np.nan, dtype=np.float32)
    y = np.full(n, np.nan, dtype=np.float32)
    try:
        old = open_snapshot(cache_dir, any_version=True)
    except (FileNotFoundError, SnapshotError):
        return (x, y), None
    layout = old.manifest.get("layout")
    source = old.nodes
    if old.manifest.get("checksums") and damaged_files(old):
        try:
            path = Path(cache_dir) / LAYOUTS_DIR / f"{(layout or {})['key']}.arrow"
            source = pa.ipc.open_file(pa.memory_map(str(path))).read_all()
        except (KeyError, TypeError, OSError, pa.ArrowException):
            return (x, y), None
    ox = source.column("x").to_numpy()
    if n == 0 or not np.isfinite(ox).any():
        return (x, y), None
    oy = source.column("y").to_numpy()
    idx = pc.index_in(ids, value_set=source.column("id").combine_chunks()).to_numpy(zero_copy_only=False)
    ok = ~np.isnan(idx)
    src = idx[ok].astype(np.int64)
    x[ok] = ox[src]
    y[ok] = oy[src]
    return (x, y), layout


class SnapshotError(RuntimeError):
    """A snapshot that is missing, partial or from another version."""


def open_snapshot(cache_dir: str | Path, any_version: bool = False) -> Snapshot:
    """Memory-map the snapshot of a cache directory (``any_version``: also an older format, to carry its
    positions over into a rebuild)."""
    d = snapshot_dir(cache_dir)
    mpath = d / "manifest.json"
    if not mpath.exists():
        raise FileNotFoundError(f"no snapshot in {d}")
    try:
        manifest = json.loads(mpath.read_text())
        if manifest.get("snapshot_version") != SNAPSHOT_VERSION and not any_version:
            raise SnapshotError(f"snapshot in {d} has version {manifest.get('snapshot_version')}")
        nodes = pa.ipc.open_file(pa.memory_map(str(d / "nodes.arrow"), "r")).read_all()
        edges = pa.ipc.open_file(pa.memory_map(str(d / "edges.arrow"), "r")).read_all()
    except (OSError, ValueError, pa.ArrowInvalid) as e:
        raise SnapshotError(f"snapshot in {d} is unreadable: {e}") from None
    if nodes.num_rows != manifest.get("nodes") or edges.num_rows != manifest.get("edges"):
        raise SnapshotError(f"snapshot in {d} does not match its manifest (interrupted build?)")
    return Snapshot(d, nodes, edges, manifest)


def ensure_snapshot(store: Store, progress: bool | None = None) -> Snapshot:
    """The current snapshot, rebuilt first when missing, damaged or older than the store's data."""
    try:
        snap = open_snapshot(store.dir)
        if is_current(snap, store):
            return snap
    except (FileNotFoundError, SnapshotError):
        pass
    build(store, progress)
    return open_snapshot(store.dir)
