"""The map's label hierarchy, computed with the layout and cached beside it: names a reader recognises, placed
on the models they name.

Regions are k-means clusters of the laid-out points at four scales (about 24, 64, 200 and 600 regions); each is
named by the candidate (label_candidates.py: family, publisher, task in words, library, name word) with the
highest share of the region's models weighted by how much more common it is there than on the whole map (its
lift) and by its kind (families first), that is allowed at that level (a publisher must be known there, a family
big enough) and that has a spot where at least PURITY of the models are its own. A text is used once per level.
The largest families are named by zoom 2 even where no region's best name is theirs. Coarse regions are shown at
the overview (``min_zoom`` 1), finer ones from zoom 2, 4 and 8; the most downloaded models' own names from zoom
16 and 32. Each label says how many models it names (``count``) and keeps a sample of them (``members``), so a
view that hides most of them does not draw it. The texts come from untrusted metadata: drawn as plain text.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
import pyarrow as pa

from hubatlas.core.common.names import name_part
from hubatlas.core.common.text import printable
from hubatlas.core.layout.label_candidates import KIND_WEIGHT, Candidates, candidates
from hubatlas.core.store.snapshot import Snapshot, write_table

LABELS_FILE = "labels.arrow"
LABELS_VERSION = "6"  # labels cached by an older way of naming are named again
LEVELS = ((1.0, 24), (2.0, 64), (4.0, 200), (8.0, 600))  # (min_zoom, regions)
MODEL_LABELS = ((16.0, 400), (32.0, 1600))  # (min_zoom, most downloaded models)
KMEANS_SAMPLE = 100_000  # points the regions' k-means is fitted on (a seeded sample above this)
MIN_SHARE = 0.12  # a name must cover at least this share of its region
PUBLISHER_MIN_DOWNLOADS = (1e6, 1e5, 1e4, 1e3)  # per level: an account names a region only when known
FAMILY_MIN_SIZE = (40, 15, 6, 3)  # per level: models a family needs to name a region
SPOT_GRID = (64, 128, 256, 512)  # per level: cells a side of the grid a label's spot is chosen on
PURITY = 0.8  # a label sits where at least this share of the models around it are what it names
SPOT_MIN = 5  # models a label's cell must hold
TOP_FAMILIES = 20  # the largest families are named by zoom 2 on their own models, whatever the regions say
OVERVIEW_FAMILIES = 12  # ... and the largest of them at the overview
FAMILY_SPOTS = ((128, 0.8), (256, 0.8), (256, 0.6))  # (grid, purity) tried in turn for a family's label
MEMBERS_KEPT = 256  # a seeded sample of the models a label names (which labels a filtered view keeps)
MAX_TEXT = 40
SHOWN_SHARE = 0.5  # a view draws a label only while at least this share of the models it names are shown
SCHEMA = pa.schema(
    [
        ("text", pa.string()),
        ("x", pa.float32()),
        ("y", pa.float32()),
        ("min_zoom", pa.float32()),
        ("count", pa.int64()),
        ("kind", pa.string()),
        ("members", pa.list_(pa.int32())),
    ]
)


def _kmeans_assign(xy: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Region of every point: k-means fitted on a sample (at most KMEANS_SAMPLE points), every point assigned
    to its nearest centre (k-d tree)."""
    from scipy.spatial import cKDTree
    from sklearn.cluster import KMeans

    rng = np.random.default_rng(seed)
    sample = xy[rng.choice(len(xy), size=min(len(xy), KMEANS_SAMPLE), replace=False)]
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


class _Spots:
    """Where on a level's grid a label can sit: the cell with most of its models among those where at least
    PURITY of all models are its own (so the models nearest the label are what it says)."""

    def __init__(self, xy: np.ndarray, ok: np.ndarray, grid: int):
        self.grid = grid
        c = np.clip(((xy + 1.0) / 2.0 * grid).astype(np.int64), 0, grid - 1)
        self.cell = np.where(ok, c[:, 1] * grid + c[:, 0], -1)
        self.all = np.bincount(self.cell[ok], minlength=grid * grid)

    def spot(self, members: np.ndarray, xy: np.ndarray, purity: float = PURITY) -> tuple[float, float] | None:
        cells, counts = np.unique(self.cell[members], return_counts=True)
        good = (counts >= SPOT_MIN) & (counts >= purity * self.all[cells])
        if not good.any():
            return None
        best = cells[good][np.argmax(counts[good])]
        x, y = np.median(xy[members[self.cell[members] == best]], axis=0)
        return float(x), float(y)


def _members(nodes: np.ndarray, seed: int) -> list[int]:
    """A seeded sample of at most MEMBERS_KEPT of a label's models (sorted)."""
    if len(nodes) > MEMBERS_KEPT:
        nodes = np.random.default_rng(seed).choice(nodes, size=MEMBERS_KEPT, replace=False)
    return np.sort(nodes).astype(np.int32).tolist()


def _allowed(cand: Candidates, kind: str, value: int, level: int, region_count: int) -> bool:
    if kind == "publisher":
        return bool(cand.author_downloads[value] >= PUBLISHER_MIN_DOWNLOADS[level])
    if kind == "family":
        return region_count >= FAMILY_MIN_SIZE[level]
    return True


def _level_rows(
    xy, ok, cand: Candidates, totals, level: int, min_zoom: float, k: int, seed: int
) -> list[tuple]:
    """The labels of one level: k-means regions, each named by its best candidate that is allowed there and
    has a spot on its own models."""
    n, pts = len(xy), np.flatnonzero(ok)
    region = np.full(n, -1, np.int64)
    region[pts] = _kmeans_assign(xy[pts], min(k, max(len(pts) // 20, 1)), seed)
    m = int(region.max()) + 1
    size = np.bincount(region[pts], minlength=m).astype(np.float64)
    spots = _Spots(xy, ok, SPOT_GRID[level])
    per_kind = []
    for kind, code in cand.codes.items():
        c = np.where(ok, code, -1)
        val, cnt = _top_per_region(np.where(c >= 0, region, 0), c, m)
        share = cnt / np.maximum(size, 1)
        glob = np.where(val >= 0, totals[kind][np.maximum(val, 0)], 1) / max(len(pts), 1)
        score = share * np.log2(1 + share / np.maximum(glob, 1e-9)) * KIND_WEIGHT[kind]
        score[(share < MIN_SHARE) | (val < 0)] = -1
        per_kind.append((kind, val, cnt, score))
    rows, used = [], set()  # one text per level: a second region with the same best name takes its next
    by_region = pts[np.argsort(region[pts], kind="stable")]
    bounds = np.searchsorted(region[by_region], np.arange(m + 1))
    for r in np.argsort(-size, kind="stable"):
        for kind, val, cnt, score in sorted(per_kind, key=lambda kv: -kv[3][r]):
            if score[r] <= 0:
                break
            text = cand.texts[kind][val[r]]
            if not text or text in used or not _allowed(cand, kind, int(val[r]), level, int(cnt[r])):
                continue
            seg = by_region[bounds[r] : bounds[r + 1]]
            members = seg[cand.codes[kind][seg] == val[r]]
            spot = spots.spot(members, xy) if len(members) else None
            if spot is None:
                continue
            rows.append((text, *spot, min_zoom, len(members), kind, _members(members, seed)))
            used.add(text)
            break
    return rows


def _family_rows(xy, ok, cand: Candidates, rows: list[tuple], seed: int) -> list[tuple]:
    """The TOP_FAMILIES largest families named on their own models: the OVERVIEW_FAMILIES largest at the
    overview, the others by zoom 2, where no region label names them already by then."""
    code = np.where(ok, cand.codes["family"], -1)
    roots, sizes = np.unique(code[code >= 0], return_counts=True)
    grids = {g: _Spots(xy, ok, g) for g in {g for g, _ in FAMILY_SPOTS}}
    out = []
    for rank, root in enumerate(roots[np.argsort(-sizes, kind="stable")][:TOP_FAMILIES]):
        text, zoom = cand.texts["family"][int(root)], 1.0 if rank < OVERVIEW_FAMILIES else 2.0
        if any(r[0] == text and r[5] == "family" and r[3] <= zoom for r in rows):
            continue
        members = np.flatnonzero(code == root)
        for grid, purity in FAMILY_SPOTS:
            spot = grids[grid].spot(members, xy, purity)
            if spot is not None:
                out.append((text, *spot, zoom, len(members), "family", _members(members, seed)))
                break
    return out


def compute_labels(snap: Snapshot, xy: np.ndarray, seed: int = 0) -> pa.Table:
    """The label table (text, x, y, min_zoom, count, kind, members) of a laid-out snapshot."""
    n = len(snap)
    ok = np.isfinite(xy).all(1)
    if ok.sum() < 20:
        return pa.Table.from_pylist([], schema=SCHEMA)
    cand = candidates(snap)
    totals = {
        k: np.bincount(c[c >= 0], minlength=max(len(cand.texts[k]) if k != "family" else n, 1))
        for k, c in cand.codes.items()
    }  # (at least one entry: a kind may have no values at all)
    rows: list[tuple] = []
    for level, (min_zoom, k) in enumerate(LEVELS):
        rows += _level_rows(xy, ok, cand, totals, level, min_zoom, k, seed)
    rows += _family_rows(xy, ok, cand, rows, seed)
    rows = _dedupe(_merge_siblings(rows))
    rows += _model_rows(snap, xy, ok)
    cols: list = list(zip(*rows, strict=True)) if rows else [()] * 7
    texts = [printable(t, MAX_TEXT) for t in cols[0]]  # plain, bounded text
    return pa.table(
        [
            pa.array(texts, pa.string()),
            pa.array(cols[1], pa.float32()),
            pa.array(cols[2], pa.float32()),
            pa.array(cols[3], pa.float32()),
            pa.array(cols[4], pa.int64()),
            pa.array(cols[5], pa.string()),
            pa.array(cols[6], pa.list_(pa.int32())),
        ],
        schema=SCHEMA,
    )


def _model_rows(snap: Snapshot, xy: np.ndarray, ok: np.ndarray) -> list[tuple]:
    """The most downloaded models' own names, from zoom 16 and 32."""
    dl = snap.column("downloads").astype(np.float64)
    dl[~ok] = -1
    dl[snap.column("placeholder").astype(bool)] = -1
    top = np.argsort(-dl, kind="stable")
    names = name_part(snap.nodes.column("id")).to_pylist()
    rows, at = [], 0
    for min_zoom, count in MODEL_LABELS:
        for i in top[at : at + count]:
            if dl[i] >= 0:
                rows.append((names[i], float(xy[i, 0]), float(xy[i, 1]), min_zoom, 1, "model", [int(i)]))
        at += count
    return rows


def _common_words(texts: list[str]) -> str:
    words = [t.split() for t in texts]
    out = []
    for group in zip(*words, strict=False):
        if len({w.lower() for w in group}) != 1:
            break
        out.append(group[0])
    return " ".join(out)


def _merge_siblings(rows: list[tuple]) -> list[tuple]:
    """Sibling families side by side at one level ("Whisper small", "Whisper tiny"; "Mistral 7B v0.1",
    "Mistral 7B Instruct v0.2") are one name to a reader: they become one label of their common words
    ("Whisper", "Mistral 7B"), placed on the largest one's spot, naming all their models, so the name
    outranks what the two halves could not."""
    fam = sorted((r for r in rows if r[5] == "family"), key=lambda r: (r[3], -r[4]))
    used: set[int] = set()
    merged: list[tuple] = []
    for i, r in enumerate(fam):
        if i in used:
            continue
        near = 0.35 / r[3]
        group = [i] + [
            j
            for j in range(i + 1, len(fam))
            if j not in used
            and fam[j][3] == r[3]
            and fam[j][0].split()[:1] == r[0].split()[:1]
            and abs(fam[j][1] - r[1]) < near
            and abs(fam[j][2] - r[2]) < near
        ]
        text = _common_words([fam[j][0] for j in group]) if len(group) > 1 else r[0]
        if len(group) == 1 or len(text) < 3:
            merged.append(r)
            continue
        used.update(group)
        count = sum(fam[j][4] for j in group)
        x, y = (
            r[1],
            r[2],
        )  # the largest sibling's spot: on its own models (a centre between may be on others')
        lists = [fam[j][6] for j in group]  # a share of each family's sample, so every one is named
        members = [lst[k] for k in range(max(map(len, lists))) for lst in lists if k < len(lst)][
            :MEMBERS_KEPT
        ]
        merged.append((text, x, y, r[3], int(count), "family", members))
    return [r for r in rows if r[5] != "family"] + merged


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


def shown_share(flat: np.ndarray, start: np.ndarray, shown: np.ndarray) -> np.ndarray:
    """Per label, the share of the models it names (its kept sample: ``flat[start[i]:start[i+1]]``) that the
    boolean mask ``shown`` keeps; 1 for a label without members."""
    n = len(start) - 1
    if not len(flat):
        return np.ones(n)
    sizes = np.diff(start)
    sums = np.bincount(np.repeat(np.arange(n), sizes), weights=shown[flat].astype(np.float64), minlength=n)
    return np.where(sizes > 0, sums / np.maximum(sizes, 1), 1.0)


def labels_shown(table: pa.Table, shown: np.ndarray | None) -> pa.Table:
    """The labels a view with the mask ``shown`` draws (those whose models are mostly shown); all for None."""
    if shown is None or table.num_rows == 0 or "members" not in table.column_names:
        return table
    lists = table.column("members").combine_chunks()
    flat = lists.flatten().to_numpy(zero_copy_only=False).astype(np.int64)
    keep = shown_share(flat, lists.offsets.to_numpy().astype(np.int64), shown) >= SHOWN_SHARE
    return table.filter(pa.array(keep))


def labels_path(snap_dir: Path) -> Path:
    return Path(snap_dir) / LABELS_FILE


def write_labels(snap_dir: Path, table: pa.Table, layout_key: str) -> None:
    t = table.replace_schema_metadata({"layout_key": layout_key, "labels_version": LABELS_VERSION})
    write_table(t, labels_path(snap_dir))


def _read(path: Path) -> pa.Table | None:
    """A label table from ``path``, or None when it is missing, damaged or of another schema."""
    try:
        t = pa.ipc.open_file(pa.memory_map(str(path))).read_all()
    except (OSError, pa.ArrowException):
        return None
    version = (t.schema.metadata or {}).get(b"labels_version", b"").decode()
    return t if t.schema.equals(SCHEMA, check_metadata=False) and version == LABELS_VERSION else None


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
        write_table(t.replace_schema_metadata({"labels_version": LABELS_VERSION}), path)
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
