"""Per-model feature vectors for the layout, from metadata only (no model weights).

Content blocks: modality, task, library and licence (each value a deterministic pseudo-random direction),
character trigrams of the name and the informative tags (hashed, IDF-weighted, projected: see
text_features). Placeholders take their children's content. Two blocks place a model among its kind:
the **author**, embedded by what the author publishes (the mean content of their models), so authors of
alike models are near each other instead of every author being equally far from every other; and the
**family**, a direction of its own mixed with the family's mean content. The weighted blocks (DIMS columns)
are then **reduced** to their first REDUCED principal components (89% of the variance on the real 2024-07
Hub): the layout, the cuML path, incremental placement and the quality report all use these.
"""

from __future__ import annotations

import zlib

import numpy as np
import pyarrow as pa

from hubatlas.core.layout import text_features
from hubatlas.core.store.database import Store
from hubatlas.core.store.snapshot import Snapshot

FEATURES_VERSION = 4
# block name -> (dimensions, weight)
BLOCKS = {
    "modality": (8, 4.0),
    "task": (12, 4.0),
    "library": (8, 3.0),
    "license": (6, 2.0),
    "author": (16, 2.5),
    "name": (32, 0.6),
    "tags": (24, 0.5),
    "family": (14, 3.0),
}
# (weights chosen on the real 2024-07 snapshot: categorical blocks strong, text blocks as tie-breakers; see
# the README's layout table for the figures of the alternatives tried)
DIMS = sum(d for d, _ in BLOCKS.values())
CONTENT = (
    "modality",
    "task",
    "library",
    "license",
    "name",
    "tags",
)  # what authors and families are embedded by
REDUCED = 16  # principal components the layout uses
PCA_SAMPLE = 100_000  # rows the principal axes are fitted on (a seeded sample; all rows below this)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: well-spread uint64 values from consecutive ones."""
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _directions(labels: list, dims: int, salt: str) -> np.ndarray:
    """A unit vector per label, the same for the same label string on every machine and run (seeded by the
    label's CRC-32, Gaussian by Box-Muller; vectorised, so a million authors take a second)."""
    seeds = np.fromiter(
        (
            zlib.crc32(f"{salt}:{lab}".encode("utf-8", "surrogatepass")) if lab is not None else 0
            for lab in labels
        ),
        dtype=np.uint64,
        count=len(labels),
    )
    j = np.arange(dims + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        u = (_mix(seeds[:, None] * np.uint64(1 << 20) + j[None, :]) >> np.uint64(11)).astype(np.float64)
    u = (u + 0.5) / float(1 << 53)
    v = np.sqrt(-2 * np.log(u[:, :dims])) * np.cos(2 * np.pi * np.roll(u, 1, axis=1)[:, :dims])
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    v[[lab is None for lab in labels]] = 0
    return v.astype(np.float32)


def _categorical(col: pa.ChunkedArray, dims: int, salt: str) -> np.ndarray:
    arr = col.combine_chunks()
    if not pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_encode()
    labels = arr.dictionary.to_pylist()
    idx = arr.indices.to_numpy(zero_copy_only=False)
    table = _directions(labels, dims, salt)
    valid = ~np.asarray(arr.is_null().to_numpy(zero_copy_only=False), dtype=bool) if arr.null_count else None
    out = (
        table[np.nan_to_num(idx, nan=0).astype(np.int64)]
        if len(labels)
        else np.zeros((len(arr), dims), np.float32)
    )
    if valid is not None:
        out[~valid] = 0
    return out


def weighted_blocks(
    nodes: pa.Table, edges: pa.Table | None = None, tags_json: list[str | None] | None = None
) -> np.ndarray:
    """The weighted blocks before the reduction, (n, DIMS) float32, in the order of BLOCKS. ``edges``: lineage
    (source = parent index), so placeholders (known only by id) take their children's content;
    ``tags_json``: each node's stored tag list (JSON), in node order."""
    n = nodes.num_rows
    blocks: dict[str, np.ndarray] = {}
    for name, col in (
        ("modality", "modality"),
        ("task", "pipeline_tag"),
        ("library", "library_name"),
        ("license", "license"),
    ):
        blocks[name] = _categorical(nodes.column(col), BLOCKS[name][0], name)
    ids = nodes.column("id")
    blocks["name"] = text_features.name_trigrams(ids, BLOCKS["name"][0])
    skip: set[str] = set()
    for col in ("pipeline_tag", "library_name"):
        skip.update(x for x in nodes.column(col).combine_chunks().dictionary.to_pylist() if x)
    blocks["tags"] = text_features.tag_vectors(tags_json, n, BLOCKS["tags"][0], skip)
    if edges is not None and edges.num_rows and "placeholder" in nodes.column_names:
        _from_children(
            blocks,
            nodes.column("placeholder").to_numpy(zero_copy_only=False).astype(bool),
            edges.column("source").to_numpy(),
            edges.column("target").to_numpy(),
        )
    content = np.hstack([blocks[b] * BLOCKS[b][1] for b in CONTENT]) if n else np.zeros((0, 1), np.float32)
    axes = _principal_axes(content, max(BLOCKS["author"][0], BLOCKS["family"][0]))
    blocks["author"] = _by_content(_author_codes(ids), content, axes, BLOCKS["author"][0])
    fam = nodes.column("family").to_numpy()
    own = _family_block(fam, BLOCKS["family"][0])
    blocks["family"] = 0.5 * own + 0.5 * _by_content(fam.astype(np.int64), content, axes, BLOCKS["family"][0])
    out = np.empty((n, DIMS), dtype=np.float32)
    at = 0
    for name, (dims, w) in BLOCKS.items():
        out[:, at : at + dims] = blocks[name] * w
        at += dims
    return out


def build_features(
    nodes: pa.Table, edges: pa.Table | None = None, tags_json: list[str | None] | None = None
) -> np.ndarray:
    """The layout's features, (n, REDUCED) float32: the weighted blocks reduced to their principal components."""
    return reduce(weighted_blocks(nodes, edges, tags_json))


def _principal_axes(x: np.ndarray, dims: int) -> tuple[np.ndarray, np.ndarray]:
    """(mean, axes (d, dims)) of the rows of ``x``, fitted on a seeded sample of at most PCA_SAMPLE rows."""
    rows = (
        np.random.default_rng(0).choice(len(x), size=PCA_SAMPLE, replace=False)
        if len(x) > PCA_SAMPLE
        else slice(None)
    )
    return principal_axes(x[rows].astype(np.float64), dims)


def principal_axes(sample: np.ndarray, dims: int) -> tuple[np.ndarray, np.ndarray]:
    """(mean, axes (d, dims)) of the rows of ``sample``, in its precision; fewer axes than ``dims`` are padded
    with zero columns (they add nothing to distances)."""
    n, d = sample.shape
    mean = np.zeros(d, sample.dtype)
    axes = np.zeros((d, dims), sample.dtype)
    if n < 2:
        return mean, axes
    mean = sample.mean(0)
    _, _, vt = np.linalg.svd(sample - mean, full_matrices=False)
    k = min(dims, len(vt))
    axes[:, :k] = vt[:k].T
    return mean, axes


def project(
    x: np.ndarray, mean: np.ndarray, axes: np.ndarray, rows: np.ndarray | None = None, chunk: int = 1 << 18
) -> np.ndarray:
    """``x[rows]`` (all rows by default) projected on ``axes`` about ``mean``, float32, in chunks: the selected
    rows are never copied whole (2M rows of blocks are about 1 GB)."""
    n = len(x) if rows is None else len(rows)
    out = np.empty((n, axes.shape[1]), np.float32)
    for s in range(0, n, chunk):
        part = x[s : s + chunk] if rows is None else x[rows[s : s + chunk]]
        out[s : s + chunk] = (part - mean) @ axes
    return out


def reduce(x: np.ndarray, dims: int = REDUCED) -> np.ndarray:
    """The rows of ``x`` projected on their first ``dims`` principal components (float32)."""
    return project(x, *_principal_axes(x, dims))


def _author_codes(ids: pa.ChunkedArray) -> np.ndarray:
    """Each model's author as a code (-1 for ids without a namespace)."""
    arr = text_features.authors(ids).dictionary_encode()
    codes = arr.indices.to_numpy(zero_copy_only=False)
    if arr.null_count:
        codes = np.where(
            np.asarray(arr.is_null().to_numpy(zero_copy_only=False), bool),
            -1,
            np.nan_to_num(codes.astype(np.float64), nan=-1),
        )
    return np.asarray(codes, dtype=np.int64)


def _by_content(
    codes: np.ndarray, content: np.ndarray, axes: tuple[np.ndarray, np.ndarray], dims: int
) -> np.ndarray:
    """A unit vector per group (an author, a family) of more than one model: the mean content of its members
    on the content's principal axes, so groups that hold alike models point alike. Rows of a single-model
    group or without one (code -1) stay zero: they carry no neighbourhood."""
    out = np.zeros((len(codes), dims), np.float32)
    ok = codes >= 0
    if not ok.any():
        return out
    m = int(codes[ok].max()) + 1
    cnt = np.bincount(codes[ok], minlength=m)
    from scipy.sparse import csr_matrix

    rows = np.flatnonzero(ok)
    member = csr_matrix((np.ones(len(rows)), (codes[ok], rows)), shape=(m, len(codes)))
    acc = np.asarray(member @ content.astype(np.float64))
    mean, ax = axes
    emb = (acc / np.maximum(cnt, 1)[:, None] - mean) @ ax[:, :dims]
    norm = np.linalg.norm(emb, axis=1, keepdims=True)
    emb = np.divide(emb, norm, out=np.zeros_like(emb), where=norm > 1e-12)
    emb[cnt < 2] = 0
    out[ok] = emb[codes[ok]]
    return out


def _from_children(
    blocks: dict[str, np.ndarray], placeholder: np.ndarray, parent: np.ndarray, child: np.ndarray
) -> None:
    """A placeholder (a parent known only by its id) has no metadata of its own: each block becomes the mean
    of its children's (twice, so a placeholder whose children are placeholders gets their averages), mixed
    with its own name so that it still sits closest to the children named like it."""
    sel = placeholder[parent]
    par, kid = parent[sel].astype(np.int64), child[sel].astype(np.int64)
    if not len(par):
        return
    cnt = np.bincount(par, minlength=len(placeholder)).astype(np.float32)
    ph = np.flatnonzero(cnt > 0)
    for _ in range(2):
        for name, b in blocks.items():
            acc = np.zeros((len(placeholder), b.shape[1]), np.float32)
            np.add.at(acc, par, b[kid])
            mean = acc[ph] / cnt[ph, None]
            b[ph] = 0.5 * b[ph] + mean if name == "name" else mean


def _family_block(fam: np.ndarray, dims: int) -> np.ndarray:
    """Members of a multi-model family share a direction."""
    n = len(fam)
    sizes = np.bincount(fam, minlength=int(fam.max()) + 1 if n else 0)
    multi = np.flatnonzero(sizes > 1)
    ftab = np.zeros((len(sizes), dims), dtype=np.float32)
    rng = np.random.default_rng(12345)
    v = rng.standard_normal((len(multi), dims)).astype(np.float32)
    ftab[multi] = v / np.linalg.norm(v, axis=1, keepdims=True)
    return ftab[fam]


def stored_tags(store: Store, n: int) -> list[str | None] | None:
    """Each model's stored tag list (JSON text) in snapshot order (rowid), or None when the store and the
    snapshot disagree on the number of models (the tags block is then left out)."""
    with store.reading():
        tags = [r[0] for r in store.conn.execute("SELECT tags FROM models ORDER BY rowid")]
    return tags if len(tags) == n else None


def snapshot_features(snap: Snapshot, store: Store | None = None) -> np.ndarray:
    """The layout's features for a snapshot: with the tags from ``store`` where one is given."""
    return build_features(
        snap.nodes, snap.edges, stored_tags(store, len(snap)) if store is not None else None
    )
