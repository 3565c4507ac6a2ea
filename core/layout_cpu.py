"""The CPU layout: UMAP (umap-learn) on up to ``anchors`` representative models, then a cheap,
deterministic placement of everyone else:

- anchors: the roots of the largest families first, then an even sample of the rest; UMAP runs on their
  feature kNN graph joined with the lineage edges among them;
- derived models are placed around their primary parent (recursively, by depth), in a sector per relation
  (adapters, fine-tunes, quantizations, merges), within a radius that shrinks with depth and grows with the
  family's size, so families form continents and derivatives land by their parents;
- every other model goes next to its nearest anchor in feature space (a k-d tree on 8 principal
  components), jittered by the local spacing.
Small atlases (<= ``anchors`` nodes) are laid out by UMAP in full. Deterministic for a seed.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .knn import join_lineage, knn
from .schema import RELATIONS

# angular sector (start, width as a fraction of the circle) per relation to the parent
SECTORS = {"adapter": (0.0, 0.42), "finetune": (0.42, 0.33), "quantized": (0.75, 0.18), "merge": (0.93, 0.07),
           "unknown": (0.0, 1.0)}


@dataclass
class CpuParams:
    seed: int = 0
    n_neighbors: int = 15
    anchors: int = 40_000
    n_epochs: int = 200
    min_dist: float = 0.1
    contract: float = 0.5  # derivatives end at this fraction of their UMAP distance from their parent


def umap_embed(features: np.ndarray, parent: np.ndarray, child: np.ndarray, p: CpuParams,
               stage: Callable[[str], None] = lambda s: None) -> np.ndarray:
    """UMAP of the rows of ``features`` on their kNN graph joined with the given lineage edges."""
    import umap

    n = len(features)
    if n < 4:
        ang = np.linspace(0, 2 * np.pi, n, endpoint=False)
        return np.stack([np.cos(ang), np.sin(ang)], 1).astype(np.float32) * (n > 1)
    k = min(p.n_neighbors, n - 1)
    stage("knn")
    idx, dist = knn(features, features, k - 1, exclude_self=True)
    idx = np.hstack([np.arange(n)[:, None], idx])
    dist = np.hstack([np.zeros((n, 1), np.float32), dist])
    idx, dist = join_lineage(idx, dist, parent, child)
    stage("optimise")
    import warnings

    reducer = umap.UMAP(n_neighbors=k, n_components=2, min_dist=p.min_dist, n_epochs=p.n_epochs,
                        random_state=p.seed, init="spectral" if n > k + 1 else "random",
                        precomputed_knn=(idx, dist, None), metric="euclidean", low_memory=True, verbose=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # seeded (single-threaded) run, no search index, disconnected points
        out = reducer.fit_transform(features).astype(np.float32)
    return out  # rows UMAP left disconnected are NaN; the caller places them


def choose_anchors(pp: np.ndarray, family: np.ndarray, root: np.ndarray, budget: int, seed: int) -> np.ndarray:
    """Models without a parent (roots and isolated models): all of them when they fit the budget, else the
    roots of the largest families (up to half the budget) and an even random sample of the rest.
    Derived models are never anchors: they are placed by their parents."""
    n = len(pp)
    if n <= budget:
        return np.arange(n)
    free = np.flatnonzero(pp < 0)
    if len(free) <= budget:
        return free
    sizes = np.bincount(family)
    roots = free[(root[free] == free) & (sizes[family[free]] > 1)]
    big = roots[np.argsort(-sizes[family[roots]], kind="stable")][: budget // 2]
    rng = np.random.default_rng(seed)
    rest = np.setdiff1d(free, big)
    sample = rng.choice(rest, size=min(len(rest), budget - len(big)), replace=False)
    del n
    return np.sort(np.concatenate([big, sample]))


def contract_to_parents(xy: np.ndarray, pp: np.ndarray, depth: np.ndarray, alpha: float) -> None:
    """Pull every laid-out derivative toward its laid-out parent, keeping UMAP's arrangement of siblings:
    new(child) = new(parent) + alpha * (old(child) - old(parent)), top-down by depth (in place)."""
    old = xy.copy()
    ok = np.isfinite(old).all(1)
    for d in range(1, int(depth.max(initial=0)) + 1):
        at = np.flatnonzero((depth == d) & (pp >= 0) & ok)
        at = at[ok[pp[at]]]
        xy[at] = xy[pp[at]] + alpha * (old[at] - old[pp[at]])


def _pca(x: np.ndarray, dims: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    sample = x[rng.choice(len(x), size=min(len(x), 50_000), replace=False)]
    mean = sample.mean(0)
    _, _, vt = np.linalg.svd(sample - mean, full_matrices=False)
    return ((x - mean) @ vt[:dims].T).astype(np.float32)


def _hash_uniform(n: int, seed: int, salt: int) -> np.ndarray:
    """Per-node uniforms in [0,1) that depend only on the node index and seed (stable across runs)."""
    x = (np.arange(n, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)) ^ np.uint64((seed * 7919 + salt) & 0xFFFFFFFF)
    x ^= x >> np.uint64(33)
    x *= np.uint64(0xFF51AFD7ED558CCD)
    x ^= x >> np.uint64(33)
    return (x >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def feature_uniforms(features: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two per-node values in [0, 1): the ranks of the first two principal components of the features,
    lightly jittered, so siblings with similar metadata are placed side by side."""
    n = len(features)
    pcs = _pca(features, 2, seed)
    out = []
    for j, salt in ((0, 1), (1, 2)):
        rank = np.empty(n, dtype=np.float64)
        rank[np.argsort(pcs[:, j], kind="stable")] = np.arange(n)
        out.append(np.clip((rank + 0.5) / max(n, 1) + 0.04 * (_hash_uniform(n, seed, salt) - 0.5), 0, 0.999999))
    return out[0], out[1]


def place_derived(xy: np.ndarray, placed: np.ndarray, pp: np.ndarray, depth: np.ndarray, relation: np.ndarray,
                  fam_size: np.ndarray, unit: float, seed: int, features: np.ndarray) -> None:
    """Place unplaced nodes that have a primary parent around it, level by level (in place)."""
    u_ang, u_rad = feature_uniforms(features, seed)
    start = np.array([SECTORS[r][0] for r in RELATIONS] + [0.0])[relation]
    width = np.array([SECTORS[r][1] for r in RELATIONS] + [1.0])[relation]
    ang = 2 * np.pi * (start + width * u_ang)
    radius = unit * (0.6 + 0.9 * np.sqrt(np.log1p(fam_size))) * np.sqrt(0.15 + 0.85 * u_rad)
    todo = ~placed & (pp >= 0)
    for d in range(1, int(depth.max(initial=0)) + 1):
        at = np.flatnonzero(todo & (depth == d))
        if not len(at):
            continue
        ok = at[placed[pp[at]]]
        r = radius[ok] * (0.45 ** (d - 1))
        xy[ok, 0] = xy[pp[ok], 0] + r * np.cos(ang[ok])
        xy[ok, 1] = xy[pp[ok], 1] + r * np.sin(ang[ok])
        placed[ok] = True


def place_by_features(xy: np.ndarray, placed: np.ndarray, targets: np.ndarray, ref: np.ndarray,
                      features: np.ndarray, unit: float, seed: int) -> None:
    """Place ``targets`` next to their nearest ``ref`` node in PCA-reduced feature space (in place)."""
    if not len(targets) or not len(ref):
        return
    from scipy.spatial import cKDTree

    # 8 principal components keep the k-d tree fast (0.6 s per 100K queries against 40K anchors here)
    red = _pca(features[np.concatenate([ref, targets])], 8, seed)
    r_red, t_red = red[: len(ref)], red[len(ref):]
    _, near = cKDTree(r_red).query(t_red, k=1, workers=-1)
    host = ref[near]
    counts = np.bincount(near, minlength=len(ref)).astype(np.float64)
    spread = unit * 0.5 * np.sqrt(np.maximum(counts[near], 1.0)) ** 0.5
    u1, u2 = _hash_uniform(len(xy), seed, 3)[targets], _hash_uniform(len(xy), seed, 4)[targets]
    r = spread * np.sqrt(-2 * np.log(np.maximum(u1, 1e-12)))
    xy[targets, 0] = xy[host, 0] + r * np.cos(2 * np.pi * u2)
    xy[targets, 1] = xy[host, 1] + r * np.sin(2 * np.pi * u2)
    placed[targets] = True


def local_unit(xy: np.ndarray, seed: int) -> float:
    """Typical nearest-neighbour spacing of the given points (a length scale for placement)."""
    if len(xy) < 3:
        return 0.1
    rng = np.random.default_rng(seed)
    s = xy[rng.choice(len(xy), size=min(len(xy), 4000), replace=False)]
    _, d = knn(s, s, 1, exclude_self=True)
    return float(max(np.median(d[:, 0]), 1e-6))


def layout_cpu(features: np.ndarray, parent: np.ndarray, child: np.ndarray, pp: np.ndarray, depth: np.ndarray,
               relation: np.ndarray, family: np.ndarray, root: np.ndarray, p: CpuParams,
               stage: Callable[[str], None] = lambda s: None) -> np.ndarray:
    """Raw 2-D coordinates (not yet normalised) for every node."""
    n = len(features)
    xy = np.full((n, 2), np.nan, dtype=np.float32)
    if n == 0:
        return xy
    anchors = choose_anchors(pp, family, root, p.anchors, p.seed)
    pos = np.full(n, -1, dtype=np.int64)
    pos[anchors] = np.arange(len(anchors))
    sub = (pos[parent] >= 0) & (pos[child] >= 0)
    xy[anchors] = umap_embed(features[anchors], pos[parent[sub]], pos[child[sub]], p, stage)
    contract_to_parents(xy, pp, depth, p.contract)
    placed = np.isfinite(xy).all(1)
    if placed.all():
        return xy
    stage("placement")
    anchors = np.flatnonzero(placed)
    unit = local_unit(xy[anchors], p.seed)
    fam_size = np.bincount(family)[family].astype(np.float64)
    # roots (and isolated models) that are not anchors: next to their nearest anchor in feature space
    lone = np.flatnonzero(~placed & (pp < 0))
    place_by_features(xy, placed, lone, anchors, features, unit, p.seed)
    place_derived(xy, placed, pp, depth, relation, fam_size, unit, p.seed, features)
    rest = np.flatnonzero(~placed)  # below a cycle-broken or unplaced parent: by features
    place_by_features(xy, placed, rest, anchors, features, unit, p.seed)
    return xy
