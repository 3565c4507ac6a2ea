"""What every view's labels are counted from, computed once with the layout and cached beside it: a hierarchy
of regions over the laid-out points (k-means at four scales) and, per model, what a label may call it (its
family, publisher, task, library, distinctive name word: label_candidates.py). A view's labels then come from
counting the shown models of each region by these codes (label_regions.py), never from clustering again.

The cache is two Arrow files: ``label_basis.arrow`` (per node: its region at each level and its candidate
codes) and ``label_texts.arrow`` (the publishers' and words' texts, with the publishers' downloads). Both
carry the layout's key and a version; anything else (missing, damaged, another layout) is computed again.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from hubatlas.core.common.names import name_part, readable
from hubatlas.core.layout.label_candidates import TOPICS, candidates
from hubatlas.core.store.snapshot import Snapshot, write_table

BASIS_FILE = "label_basis.arrow"
TEXTS_FILE = "label_texts.arrow"
BASIS_VERSION = "3"
REGIONS = (40, 96, 240, 640, 1600)  # regions at each level: the overview's, then from zoom 2, 4 and 8; the
# finest (and finer ones for coarser zooms) name a narrowed view, whose shown models fill fewer regions
KMEANS_SAMPLE = 100_000  # points the regions' k-means is fitted on (a seeded sample above this)
KINDS = ("family", "publisher", "task", "library", "word")
STORED_TEXTS = ("publisher", "word")  # the kinds whose texts are not in the snapshot itself


class FamilyTexts(Sequence[str]):
    """The readable name of each node (a root's name is its family's text), made when first read."""

    def __init__(self, names: pa.Array):
        self.names = names

    def __len__(self) -> int:
        return len(self.names)

    def __getitem__(self, i):
        return readable(self.names[int(i)].as_py() or "")


@dataclass
class LabelBasis:
    """Everything a view's labels are counted from (see the module's text)."""

    xy: np.ndarray  # (n, 2) float64 positions
    ok: np.ndarray  # laid out (finite position)
    regions: np.ndarray  # (levels, n) int32: each node's region at each level (-1: not laid out)
    codes: dict[str, np.ndarray]  # per kind, each node's code (-1: none)
    topics: np.ndarray  # (TOPICS, n) int32: each node's topic words (codes of texts["word"]; -1: none)
    texts: dict[str, Sequence[str]]  # per kind, each code's text (family: by root node)
    author_downloads: np.ndarray  # per publisher code, their models' downloads
    downloads: np.ndarray  # per node (NaN-free, >= 0; -1 for placeholders)
    created_day: np.ndarray  # per node, days since 1970 (-1: unknown)
    names: pa.Array  # per node, the name after the namespace (model labels)

    def __len__(self) -> int:
        return len(self.ok)


def _kmeans_assign(xy: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Region of every point: k-means fitted on a seeded sample, every point assigned to its nearest centre."""
    from scipy.spatial import cKDTree
    from sklearn.cluster import KMeans

    rng = np.random.default_rng(seed)
    sample = xy[rng.choice(len(xy), size=min(len(xy), KMEANS_SAMPLE), replace=False)]
    k = max(1, min(k, len(np.unique(sample, axis=0))))
    km = KMeans(n_clusters=k, n_init=1, max_iter=60, random_state=seed).fit(sample)
    return cKDTree(km.cluster_centers_).query(xy, k=1, workers=-1)[1]


def _snapshot_columns(snap: Snapshot) -> tuple[np.ndarray, np.ndarray, pa.Array]:
    dl = np.nan_to_num(snap.column("downloads").astype(np.float64), nan=0.0).clip(0)
    dl[snap.column("placeholder").astype(bool)] = -1
    day = snap.column("created_day").astype(np.int64)
    return dl, day, name_part(snap.nodes.column("id"))


def _texts(
    snap: Snapshot, names: pa.Array, publisher: list[str], words: list[str]
) -> dict[str, Sequence[str]]:
    from hubatlas.core.common.names import task_words

    _, tasks = snap.codes("pipeline_tag")
    _, libs = snap.codes("library_name")
    return {
        "family": FamilyTexts(names),
        "publisher": publisher,
        "task": [task_words(t) if t else "" for t in tasks],
        "library": [str(x) for x in libs],
        "word": words,
    }


def build_basis(snap: Snapshot, xy: np.ndarray, seed: int = 0) -> LabelBasis:
    """The basis of a laid-out snapshot: regions by k-means at each level, candidate codes per model."""
    n = len(snap)
    xy = np.asarray(xy, np.float64)
    ok = np.isfinite(xy).all(1)
    regions = np.full((len(REGIONS), n), -1, np.int32)
    pts = np.flatnonzero(ok)
    for level, k in enumerate(REGIONS):
        if len(pts):
            regions[level, pts] = _kmeans_assign(xy[pts], min(k, max(len(pts) // 20, 1)), seed)
    cand = candidates(snap)
    dl, day, names = _snapshot_columns(snap)
    codes = {k: cand.codes[k].astype(np.int32) for k in KINDS}
    texts = _texts(snap, names, list(cand.texts["publisher"]), [str(w) for w in cand.texts["word"]])
    return LabelBasis(xy, ok, regions, codes, cand.topics, texts, cand.author_downloads, dl, day, names)


def write_basis(snap_dir: Path, basis: LabelBasis, layout_key: str) -> None:
    meta = {"layout_key": layout_key, "basis_version": BASIS_VERSION}
    cols = {f"r{i}": pa.array(r, pa.int32()) for i, r in enumerate(basis.regions)}
    cols |= {f"c_{k}": pa.array(basis.codes[k], pa.int32()) for k in KINDS}
    cols |= {f"topic{i}": pa.array(t, pa.int32()) for i, t in enumerate(basis.topics)}
    write_table(pa.table(cols).replace_schema_metadata(meta), Path(snap_dir) / BASIS_FILE)
    kinds: list[str] = []
    texts: list[str] = []
    values: list[float] = []
    for k in STORED_TEXTS:
        t = list(basis.texts[k])
        kinds += [k] * len(t)
        texts += t
        values += basis.author_downloads.tolist() if k == "publisher" else [0.0] * len(t)
    table = pa.table(
        {"kind": pa.array(kinds, pa.string()), "text": texts, "value": pa.array(values, pa.float64())}
    )
    write_table(table.replace_schema_metadata(meta), Path(snap_dir) / TEXTS_FILE)


def _open(path: Path, key: str) -> pa.Table | None:
    try:
        t = pa.ipc.open_file(pa.memory_map(str(path))).read_all()
    except (OSError, pa.ArrowException):
        return None
    meta = t.schema.metadata or {}
    ok = meta.get(b"layout_key", b"").decode() == key and meta.get(b"basis_version") == BASIS_VERSION.encode()
    return t if ok else None


def read_basis(snap: Snapshot) -> LabelBasis | None:
    """The cached basis of the snapshot's current layout, or None (missing, damaged, another layout)."""
    key = (snap.manifest.get("layout") or {}).get("key")
    if not key:
        return None
    nodes, words = _open(snap.dir / BASIS_FILE, key), _open(snap.dir / TEXTS_FILE, key)
    if nodes is None or words is None or nodes.num_rows != len(snap):
        return None
    try:
        regions = np.stack([nodes.column(f"r{i}").to_numpy() for i in range(len(REGIONS))]).astype(np.int32)
        codes = {k: nodes.column(f"c_{k}").to_numpy().astype(np.int32) for k in KINDS}
        topics = np.stack([nodes.column(f"topic{i}").to_numpy() for i in range(TOPICS)]).astype(np.int32)
    except KeyError:
        return None
    kind = np.asarray(words.column("kind").to_pylist(), dtype=object)
    text = words.column("text").to_pylist()
    value = words.column("value").to_numpy()
    pub, wrd = kind == "publisher", kind == "word"
    xy = np.stack([snap.column("x"), snap.column("y")], 1).astype(np.float64)
    dl, day, names = _snapshot_columns(snap)
    texts = _texts(
        snap,
        names,
        [t for t, p in zip(text, pub, strict=True) if p],
        [t for t, w in zip(text, wrd, strict=True) if w],
    )
    ok = np.asarray(np.isfinite(xy).all(1), bool)
    return LabelBasis(xy, ok, regions, codes, topics, texts, value[pub], dl, day, names)


def ensure_basis(snap: Snapshot, seed: int = 0, write: bool = True) -> LabelBasis | None:
    """The snapshot's basis: cached when it belongs to its layout, else built (and cached when ``write`` and
    the folder is writable). None for an atlas without a layout."""
    got = read_basis(snap)
    if got is not None:
        return got
    key = (snap.manifest.get("layout") or {}).get("key")
    xy = np.stack([snap.column("x"), snap.column("y")], 1)
    if not key or not np.isfinite(xy).any():
        return None
    basis = build_basis(snap, xy, seed)
    if write:
        with contextlib.suppress(OSError):  # a read-only atlas: the basis lives in memory for this session
            write_basis(snap.dir, basis, key)
    return basis
