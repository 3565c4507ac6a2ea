"""The map's label hierarchy, computed with the layout and cached beside it.

Regions are k-means clusters of the laid-out points at four scales (about 24, 64, 200 and 600 regions);
each is named by whatever names it best among its dominant family root, author, task, library and name word:
the candidate with the highest share of the region's models weighted by how much more common it is there
than on the whole map (its lift); a text is used once per level (a second region takes its next best). Coarse
regions are shown at the overview (``min_zoom`` 1), finer ones from zoom 2, 4 and 8; the most downloaded
models' own names from zoom 16 and 32. Each label says how many models
it names (``count``). The texts come from untrusted metadata: the viewer draws them as plain text.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
import pyarrow as pa

from hubatlas.core.common.names import name_part, name_tokens
from hubatlas.core.common.text import printable
from hubatlas.core.layout.text_features import authors
from hubatlas.core.store.snapshot import Snapshot, write_table

LABELS_FILE = "labels.arrow"
LEVELS = ((1.0, 24), (2.0, 64), (4.0, 200), (8.0, 600))  # (min_zoom, regions)
MODEL_LABELS = ((16.0, 400), (32.0, 1600))  # (min_zoom, most downloaded models)
MIN_SHARE = 0.12  # a name must cover at least this share of its region
KIND_WEIGHT = {"family": 1.25, "author": 1.0, "word": 0.9, "task": 0.8, "library": 0.6}
MAX_TEXT = 40
SCHEMA = pa.schema(
    [
        ("text", pa.string()),
        ("x", pa.float32()),
        ("y", pa.float32()),
        ("min_zoom", pa.float32()),
        ("count", pa.int64()),
        ("kind", pa.string()),
    ]
)


def _kmeans_assign(xy: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Region of every point: k-means fitted on a sample (at most 100K points), every point assigned to its
    nearest centre (k-d tree)."""
    from scipy.spatial import cKDTree
    from sklearn.cluster import KMeans

    rng = np.random.default_rng(seed)
    sample = xy[rng.choice(len(xy), size=min(len(xy), 100_000), replace=False)]
    k = min(k, len(np.unique(sample, axis=0)))
    km = KMeans(n_clusters=k, n_init=1, max_iter=60, random_state=seed).fit(sample)
    return cKDTree(km.cluster_centers_).query(xy, k=1, workers=-1)[1]


def _top_per_region(region: np.ndarray, code: np.ndarray, n_regions: int) -> tuple[np.ndarray, np.ndarray]:
    """For each region, its most frequent value of ``code`` (-1: none) and that value's count."""
    ok = code >= 0
    vmax = int(code.max(initial=0)) + 1
    key = region[ok].astype(np.int64) * vmax + code[ok]
    keys, counts = np.unique(key, return_counts=True)
    reg, val = keys // vmax, keys % vmax
    best_val = np.full(n_regions, -1, np.int64)
    best_cnt = np.zeros(n_regions, np.int64)
    order = np.lexsort((-counts, reg))  # by region, most frequent first
    first = np.ones(len(order), bool)
    first[1:] = reg[order][1:] != reg[order][:-1]
    top = order[first]
    best_val[reg[top]] = val[top]
    best_cnt[reg[top]] = counts[top]
    return best_val, best_cnt


def _candidates(snap: Snapshot) -> dict[str, tuple[np.ndarray, list[str]]]:
    """Per kind of name: a code per node (-1: none) and the texts of the codes."""
    n = len(snap)
    out: dict[str, tuple[np.ndarray, list[str]]] = {}
    ids = snap.nodes.column("id").combine_chunks()
    fam, root = snap.column("family").astype(np.int64), snap.column("root").astype(np.int64)
    fam_size = np.bincount(fam, minlength=int(fam.max(initial=0)) + 1)[fam] if n else np.zeros(0, np.int64)
    rcode = np.where(fam_size >= 3, root, -1)
    names = name_part(ids).to_pylist()
    out["family"] = (rcode, names)  # codes are node indices: the root's name
    a = authors(ids).dictionary_encode()
    acode = a.indices.to_numpy(zero_copy_only=False)
    out["author"] = (
        np.nan_to_num(acode, nan=-1).astype(np.int64) if a.null_count else acode.astype(np.int64),
        a.dictionary.to_pylist(),
    )
    tcode, tlabels = snap.codes("pipeline_tag")
    out["task"] = (tcode.astype(np.int64), tlabels)
    lcode, llabels = snap.codes("library_name")
    out["library"] = (lcode.astype(np.int64), llabels)
    owner, wcode, words = name_tokens(ids.to_pylist())
    # a model's most distinctive word: the rarest of its words that occurs at least 20 times on the map
    freq = np.bincount(wcode, minlength=len(words))
    usable = (freq[wcode] >= 20) & np.array([len(w) >= 3 and not w.isdigit() for w in words], bool)[wcode]
    best = np.full(n, -1, np.int64)
    o, c = owner[usable], wcode[usable]
    order = np.lexsort((freq[c], o))  # by owner, rarest word first
    first = np.ones(len(order), bool)
    first[1:] = o[order][1:] != o[order][:-1]
    best[o[order][first]] = c[order][first]
    out["word"] = (best, words)
    return out


def compute_labels(snap: Snapshot, xy: np.ndarray, seed: int = 0) -> pa.Table:
    """The label table (text, x, y, min_zoom, count, kind) of a laid-out snapshot."""
    n = len(snap)
    ok = np.isfinite(xy).all(1)
    rows: list[tuple] = []
    if ok.sum() < 20:
        return pa.Table.from_pylist([], schema=SCHEMA)
    pts = np.flatnonzero(ok)
    cands = _candidates(snap)
    totals = {
        k: np.bincount(c[c >= 0], minlength=max(len(t) if k != "family" else n, 1))
        for k, (c, t) in cands.items()
    }  # (at least one entry: a kind may have no values at all)
    for min_zoom, k in LEVELS:
        region = np.full(n, -1, np.int64)
        region[pts] = _kmeans_assign(xy[pts], min(k, max(len(pts) // 20, 1)), seed)
        m = int(region.max()) + 1
        size = np.bincount(region[pts], minlength=m).astype(np.float64)
        per_kind = []
        for kind, (code, _texts) in cands.items():
            c = np.where(ok, code, -1)
            val, cnt = _top_per_region(np.where(c >= 0, region, 0), c, m)
            share = cnt / np.maximum(size, 1)
            glob = np.where(val >= 0, totals[kind][np.maximum(val, 0)], 1) / max(len(pts), 1)
            score = share * np.log2(1 + share / np.maximum(glob, 1e-9)) * KIND_WEIGHT[kind]
            score[(share < MIN_SHARE) | (val < 0)] = -1
            per_kind.append((kind, val, cnt, score))
        used: set[str] = set()  # one text per level: a second region with the same best name takes its next
        by_region = pts[np.argsort(region[pts], kind="stable")]
        bounds = np.searchsorted(region[by_region], np.arange(m + 1))
        for r in np.argsort(-size, kind="stable"):
            ranked = sorted(per_kind, key=lambda kv: -kv[3][r])
            for kind, val, cnt, score in ranked:
                if score[r] <= 0:
                    break
                code, texts = cands[kind]
                text = texts[val[r]]
                if text in used:
                    continue
                seg = by_region[bounds[r] : bounds[r + 1]]
                members = seg[code[seg] == val[r]]
                if not len(members):
                    continue
                cx, cy = np.median(xy[members], axis=0)
                rows.append((text, float(cx), float(cy), min_zoom, int(cnt[r]), kind))
                used.add(text)
                break
    rows = _dedupe(rows)
    dl = snap.column("downloads").astype(np.float64)
    dl[~ok] = -1
    ph = (
        snap.column("placeholder").astype(bool)
        if "placeholder" in snap.nodes.column_names
        else np.zeros(n, bool)
    )
    dl[ph] = -1
    top = np.argsort(-dl, kind="stable")
    names = cands["family"][1]
    at = 0
    for min_zoom, count in MODEL_LABELS:
        for i in top[at : at + count]:
            if dl[i] >= 0:
                rows.append((names[i], float(xy[i, 0]), float(xy[i, 1]), min_zoom, 1, "model"))
        at += count
    cols: list = list(zip(*rows, strict=True)) if rows else [()] * 6
    texts = [printable(t, MAX_TEXT) for t in cols[0]]  # plain, bounded text
    return pa.table(
        [
            pa.array(texts, pa.string()),
            pa.array(cols[1], pa.float32()),
            pa.array(cols[2], pa.float32()),
            pa.array(cols[3], pa.float32()),
            pa.array(cols[4], pa.int64()),
            pa.array(cols[5], pa.string()),
        ],
        schema=SCHEMA,
    )


def _dedupe(rows: list[tuple]) -> list[tuple]:
    """Drop a finer label that repeats the text of a coarser one close by (within the finer level's scale)."""
    kept: list[tuple] = []
    by_text: dict[str, list[tuple]] = {}
    for r in sorted(rows, key=lambda r: (r[3], -r[4])):
        near = 0.35 / r[3]
        if any(abs(o[1] - r[1]) < near and abs(o[2] - r[2]) < near for o in by_text.get(r[0], [])):
            continue
        kept.append(r)
        by_text.setdefault(r[0], []).append(r)
    return kept


def labels_path(snap_dir: Path) -> Path:
    return Path(snap_dir) / LABELS_FILE


def write_labels(snap_dir: Path, table: pa.Table, layout_key: str) -> None:
    t = table.replace_schema_metadata({"layout_key": layout_key})
    write_table(t, labels_path(snap_dir))


def _read(path: Path) -> pa.Table | None:
    """A label table from ``path``, or None when it is missing, damaged or of another schema."""
    try:
        t = pa.ipc.open_file(pa.memory_map(str(path))).read_all()
    except (OSError, pa.ArrowException):
        return None
    return t if t.schema.equals(SCHEMA, check_metadata=False) else None


def read_labels(snap: Snapshot) -> pa.Table | None:
    """The cached labels of the snapshot's current layout, or None (missing, damaged or for another layout)."""
    t = _read(labels_path(snap.dir))
    if t is None:
        return None
    key = (t.schema.metadata or {}).get(b"layout_key", b"").decode()
    want = (snap.manifest.get("layout") or {}).get("key")
    return t if want and key == want else None


def labels_for_layout(path: Path, snap: Snapshot, seed: int) -> pa.Table:
    """The labels of a layout: from ``path`` (beside the cached layout) when computed before, else computed
    for the snapshot's positions and kept there."""
    t = _read(path)
    if t is None:
        t = compute_labels(snap, np.stack([snap.column("x"), snap.column("y")], 1), seed)
        write_table(t, path)
    return t


def ensure_labels(snap: Snapshot, seed: int = 0, write: bool = True) -> pa.Table:
    """The snapshot's labels: cached ones when they belong to its layout, else computed (and cached, when
    ``write`` and the folder is writable). An atlas without a layout has none."""
    t = read_labels(snap)
    if t is not None:
        return t
    xy = np.stack([snap.column("x"), snap.column("y")], 1)
    key = (snap.manifest.get("layout") or {}).get("key")
    if not key or not np.isfinite(xy).any():
        return pa.Table.from_pylist([], schema=SCHEMA)
    t = compute_labels(snap, xy, seed)
    if write:
        with contextlib.suppress(OSError):  # a read-only atlas: the labels live in memory for this session
            write_labels(snap.dir, t, key)
    return t
