"""Naming the regions of what a view shows: for the shown models (all of them, or a seeded sample of at most
VIEW_SAMPLE), each region of each level of the basis (label_basis.py) is named by the candidate with the
highest share of its shown models weighted by how much more common it is there than among all shown models
(its lift, as c-TF-IDF does) and by its kind (families first), that is allowed at that level and has a spot
where at least PURITY of the shown models are its own. The largest shown families are named by zoom 2 on
their own models; the most downloaded shown models by their own names from zoom 16 and 32.

Rows are (text, x, y, min_zoom, count, kind, members): ``count`` estimates how many shown models the label
names (sample counts scaled up), ``members`` is a seeded sample of them (node indices).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from hubatlas.core.layout.label_basis import REGIONS, LabelBasis
from hubatlas.core.layout.label_candidates import KIND_WEIGHT

LEVEL_ZOOMS = (1.0, 2.0, 4.0, 8.0)  # the zoom from which each level's labels show
MODEL_LABELS = ((16.0, 400), (32.0, 1600))  # (min_zoom, most downloaded models)
VIEW_SAMPLE = 30_000  # shown models a view's regions are named from (a seeded sample above this)
TOPIC_POCKET = 8  # a topic's pocket on a finer grid holds at least this many times a cell's minimum
MAX_GRID = 1024  # the finest spot grid (cells a side)
DENSE_KEYS = 1 << 22  # (region, value) pairs counted in a dense table rather than by sorting
MIN_SHARE = 0.12  # a name must cover at least this share of its region's shown models
UNTAGGED_MIN = 200  # models without a task a region needs to be named for them
UNTAGGED_WORDS = 2  # ... with at most this many of their common name words
UNTAGGED_WORD_SHARE = 0.02  # ... each on at least this share of them
TOPIC_MIN_SHARE = 0.05  # ... a topic word (named only where nothing else is: it weighs least) this share
PUBLISHER_SHARE = 0.3  # ... and an account must dominate it: at least this share
PUBLISHER_MIN_DOWNLOADS = (1e6, 3e5, 1e5, 5e4)  # per level: an account names a region only when known
FAMILY_MIN_SIZE = (40, 15, 6, 3)  # per level: shown models a family needs to name a region
SPOT_GRID = (64, 128, 256, 512)  # per level: cells a side of the full map's spot grid
PURITY = 0.8  # a label sits where at least this share of the shown models around it are what it names
SPOT_MIN = 5  # (sampled) models a label's cell must hold
TOP_FAMILIES = 20  # the largest shown families are named by zoom 2 on their own models
OVERVIEW_FAMILIES = 12  # ... and the largest of them at the overview
FAMILY_SPOTS = ((128, 0.8), (256, 0.8), (256, 0.6))  # (grid, purity) tried in turn for a family's label
MEMBERS_KEPT = 256  # a seeded sample of the models a label names
OCCUPIED = 0.5  # a narrowed view's labels at a zoom come from regions it fills at least this share of
REGION_MIN = 20  # shown models a region must hold to count as filled


def _top_per_region(region: np.ndarray, code: np.ndarray, n_regions: int) -> tuple[np.ndarray, np.ndarray]:
    """For each region, its most frequent value of ``code`` (-1: none) and that value's count."""
    ok = code >= 0
    vmax = int(code.max(initial=0)) + 1
    key = region[ok].astype(np.int64) * vmax + code[ok]
    if n_regions * vmax <= DENSE_KEYS:  # few values (tasks, libraries): a dense table, no sort
        table = np.bincount(key, minlength=n_regions * vmax).reshape(n_regions, vmax)
        best = table.argmax(1)
        cnt = table[np.arange(n_regions), best]
        return np.where(cnt > 0, best, -1), cnt
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


class Spots:
    """Where on a grid a label can sit: the cell with most of its models among those where at least PURITY
    of all (sampled shown) models are its own, so the models nearest the label are what it says."""

    def __init__(self, xy: np.ndarray, grid: int, least: int = SPOT_MIN):
        self.least = least
        c = np.clip(((xy + 1.0) / 2.0 * grid).astype(np.int64), 0, grid - 1)
        self.cell = c[:, 1] * grid + c[:, 0]
        self.all = np.bincount(self.cell, minlength=grid * grid)

    def spot(
        self, members: np.ndarray, xy: np.ndarray, purity: float = PURITY, least: int = 0
    ) -> tuple[float, float] | None:
        """The spot (x, y) of a label naming ``members`` (at least ``least`` of them in its cell, at least the
        grid's own minimum), or None."""
        cells, counts = np.unique(self.cell[members], return_counts=True)
        good = (counts >= max(least, self.least)) & (counts >= purity * self.all[cells])
        if not good.any():
            return None
        best = cells[good][np.argmax(counts[good])]
        x, y = xy[members[self.cell[members] == best]].mean(axis=0)  # the cell's own models' centre
        return float(x), float(y)


class Shown:
    """The shown models a view is named from: global indices ``idx`` (sorted), their positions and codes,
    and ``weight``, how many shown models each stands for."""

    def __init__(
        self, basis: LabelBasis, shown: np.ndarray | None, as_of_day: int | None, seed: int, sample: int
    ):
        keep = basis.ok if shown is None else basis.ok & shown
        idx = np.flatnonzero(keep)
        self.total = len(idx)
        if sample and len(idx) > sample:
            idx = np.sort(np.random.default_rng(seed).choice(idx, size=sample, replace=False))
        self.idx = idx
        self.weight = self.total / max(len(idx), 1)
        self.xy = basis.xy[idx]
        self.codes = {k: c[idx].astype(np.int64) for k, c in basis.codes.items()}
        if as_of_day is not None:  # a family whose root was made after the date shown is not named
            fam = self.codes["family"]
            root_day = basis.created_day[np.maximum(fam, 0)]
            self.codes["family"] = np.where((fam >= 0) & (root_day > as_of_day), -1, fam)
        self.seed = seed
        # spot grids as fine as the full map's; where fewer models are counted, a cell needs fewer of them
        self.least = max(2, round(SPOT_MIN * len(idx) / max(int(basis.ok.sum()), 1)))
        self._spots: dict[int, Spots] = {}
        self.topics = basis.topics[:, idx].astype(np.int64)
        self.totals = {k: np.unique(c[c >= 0], return_counts=True) for k, c in self.codes.items()}
        self.totals["topic"] = np.unique(self.topics[self.topics >= 0], return_counts=True)

    def region_codes(self, kind: str, region: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(region, code) pairs of a kind: one per model, or one per topic word of each model."""
        if kind != "topic":
            return region, self.codes[kind]
        return np.tile(region, len(self.topics)), self.topics.ravel()

    def having(self, kind: str, local: np.ndarray, value: int) -> np.ndarray:
        """Those of the (local) models ``local`` whose value of ``kind`` is ``value``."""
        if kind != "topic":
            return local[self.codes[kind][local] == value]
        return local[(self.topics[:, local] == value).any(0)]

    def spots(self, grid: int) -> Spots:
        if grid not in self._spots:
            self._spots[grid] = Spots(self.xy, grid, self.least)
        return self._spots[grid]

    def members(self, local: np.ndarray) -> list[int]:
        """A seeded sample of at most MEMBERS_KEPT of these (local) models, as sorted node indices."""
        nodes = self.idx[local]
        if len(nodes) > MEMBERS_KEPT:
            nodes = np.random.default_rng(self.seed).choice(nodes, size=MEMBERS_KEPT, replace=False)
        return np.sort(nodes).astype(np.int32).tolist()


def _allowed(basis: LabelBasis, kind: str, value: int, level: int, count: float, share: float) -> bool:
    if kind == "publisher":
        known = basis.author_downloads[value] >= PUBLISHER_MIN_DOWNLOADS[level]
        return bool(known and share >= PUBLISHER_SHARE)
    if kind == "family":
        return count >= FAMILY_MIN_SIZE[level]
    return True


def region_level(basis: LabelBasis, s: Shown, level: int) -> int:
    """The level of the basis whose regions name the view's labels of display ``level``: its own where the
    shown models fill at least OCCUPIED of its regions (the whole map does), else the first finer one that
    they fill as well, so a narrowed view is named region by region as the whole map is."""
    want = OCCUPIED * REGIONS[level]
    for b in range(level, len(REGIONS)):
        counts = np.bincount(basis.regions[b][s.idx], minlength=1)
        if (counts * s.weight >= REGION_MIN).sum() >= want:
            return b
    return len(REGIONS) - 1


def level_rows(basis: LabelBasis, s: Shown, level: int, regions_of: int | None = None) -> list[tuple]:
    """The labels of one display level (named from the basis level ``regions_of``, by default its own):
    each region with shown models named by its best allowed candidate that has a spot on its own shown
    models."""
    b = level if regions_of is None else regions_of
    region = basis.regions[b][s.idx].astype(np.int64)
    m = int(basis.regions[b].max(initial=-1)) + 1
    if not len(region) or m <= 0:
        return []
    size = np.bincount(region, minlength=m).astype(np.float64)
    spots = s.spots(SPOT_GRID[level])
    per_kind = []
    for kind in (*s.codes, "topic"):
        val, cnt = _top_per_region(*s.region_codes(kind, region), m)
        share = cnt / np.maximum(size, 1)
        totals = s.totals[kind]
        glob = np.ones(m)
        has = val >= 0
        glob[has] = totals[1][np.searchsorted(totals[0], val[has])] / max(len(region), 1)
        score = share * np.log2(1 + share / np.maximum(glob, 1e-9)) * KIND_WEIGHT[kind]
        score[(share < (TOPIC_MIN_SHARE if kind == "topic" else MIN_SHARE)) | ~has] = -1
        per_kind.append((kind, val, cnt, share, score))
    rows: list[tuple] = []
    used: set[str] = set()  # one text per level: a second region with the same best name takes its next
    by_region = np.argsort(region, kind="stable")
    bounds = np.searchsorted(region[by_region], np.arange(m + 1))
    for r in np.argsort(-size, kind="stable"):
        if size[r] == 0:
            break
        seg = by_region[bounds[r] : bounds[r + 1]]
        row = None
        for kind, val, cnt, share, score in sorted(per_kind, key=lambda kv: -kv[4][r]):
            if score[r] <= 0:
                break
            text = basis.texts["word" if kind == "topic" else kind][int(val[r])]
            count = float(cnt[r]) * s.weight
            if not text or text in used or not _allowed(basis, kind, int(val[r]), level, count, share[r]):
                continue
            local = s.having(kind, seg, int(val[r]))
            spot = _spot(s, spots, kind, level, local)
            if spot is not None:
                row = (text, *spot, LEVEL_ZOOMS[level], round(count), kind, s.members(local))
                break
        row = row or _untagged_row(basis, s, spots, level, seg, used)
        if row is not None:
            rows.append(row)
            used.add(row[0])
    return rows


def _untagged_row(
    basis: LabelBasis, s: Shown, spots: Spots, level: int, seg: np.ndarray, used: set
) -> tuple | None:
    """A region nothing names whose models mostly say nothing of their task (PURITY of them untagged): named
    for what it is, "Untagged: Llama, Mistral", with the words most of its untagged models' names share."""
    local = seg[s.codes["task"][seg] < 0]
    if len(local) < PURITY * len(seg) or len(local) * s.weight < UNTAGGED_MIN:
        return None
    words, counts = np.unique(s.topics[:, local][s.topics[:, local] >= 0], return_counts=True)
    top = [basis.texts["word"][int(w)] for w in words[np.argsort(-counts, kind="stable")][:UNTAGGED_WORDS]]
    top = [
        w for w, c in zip(top, np.sort(counts)[::-1], strict=False) if c >= UNTAGGED_WORD_SHARE * len(local)
    ]
    text = "Untagged: " + ", ".join(top) if top else "Untagged models"
    spot = spots.spot(local, s.xy)
    if text in used or spot is None:
        return None
    return (text, *spot, LEVEL_ZOOMS[level], round(len(local) * s.weight), "untagged", s.members(local))


def _spot(s: Shown, spots: Spots, kind: str, level: int, local: np.ndarray) -> tuple[float, float] | None:
    """A label's spot on its level's grid; a topic, which names a share of a mixed region, may also sit on a
    pure pocket of it on a grid two or four times finer, one that holds as many of its models as a reader
    sees around a label (TOPIC_POCKET times a cell's minimum), not a handful."""
    if not len(local):
        return None
    got = spots.spot(local, s.xy)
    for finer in (2, 4) if kind == "topic" and got is None else ():
        got = s.spots(min(SPOT_GRID[level] * finer, MAX_GRID)).spot(local, s.xy, least=s.least * TOPIC_POCKET)
        if got is not None:
            break
    return got


def family_rows(basis: LabelBasis, s: Shown, rows: list[tuple]) -> list[tuple]:
    """The TOP_FAMILIES largest shown families named on their own models: the OVERVIEW_FAMILIES largest at the
    overview, the others by zoom 2, where no region label names them already by then."""
    code = s.codes["family"]
    roots, sizes = np.unique(code[code >= 0], return_counts=True)
    grids = {g: s.spots(g) for g in {g for g, _ in FAMILY_SPOTS}}
    out = []
    for rank, root in enumerate(roots[np.argsort(-sizes, kind="stable")][:TOP_FAMILIES]):
        text, zoom = basis.texts["family"][int(root)], 1.0 if rank < OVERVIEW_FAMILIES else 2.0
        if any(r[0] == text and r[5] == "family" and r[3] <= zoom for r in rows):
            continue
        local = np.flatnonzero(code == root)
        if len(local) * s.weight < FAMILY_MIN_SIZE[-1]:
            continue
        for grid, purity in FAMILY_SPOTS:
            spot = grids[grid].spot(local, s.xy, purity)
            if spot is not None:
                out.append((text, *spot, zoom, round(len(local) * s.weight), "family", s.members(local)))
                break
    return out


def model_rows(basis: LabelBasis, shown: np.ndarray | None) -> list[tuple]:
    """The most downloaded shown models' own names, from zoom 16 and 32."""
    keep = basis.ok & (basis.downloads >= 0)
    if shown is not None:
        keep &= shown
    idx = np.flatnonzero(keep)
    want = sum(c for _, c in MODEL_LABELS)
    if len(idx) > want:
        part = np.argpartition(-basis.downloads[idx], want - 1)[:want]
        idx = idx[part]
    idx = idx[np.lexsort((idx, -basis.downloads[idx]))]  # most downloaded first (ties: by node)
    names = basis.names.take(pa.array(idx)).to_pylist()
    rows, at = [], 0
    for min_zoom, count in MODEL_LABELS:
        for k in range(at, min(at + count, len(idx))):
            i = int(idx[k])
            rows.append(
                (names[k] or "", float(basis.xy[i, 0]), float(basis.xy[i, 1]), min_zoom, 1, "model", [i])
            )
        at += count
    return rows
