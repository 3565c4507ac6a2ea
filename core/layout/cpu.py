"""The CPU layout: UMAP (umap-learn) on up to ``anchors`` representative models, then a cheap,
deterministic placement of everyone else:

- anchors: the roots of the largest families first, then an even sample of the rest; UMAP runs on their
  feature kNN graph joined with the lineage edges among them;
- derived models are placed around their primary parent (recursively, by depth), offset toward where models
  like them lie (their nearest anchor in feature space), within a radius that shrinks with depth and grows
  with the family's size, so families form continents and derivatives land by their parents;
- every other model goes next to its nearest anchor in feature space (a k-d tree on 12 principal
  components), jittered by the local spacing.
Small atlases (<= ``anchors`` nodes) are laid out by UMAP in full. Deterministic for a seed at every scale on
one machine and one set of library versions: the anchors' kNN graph is exact (a k-d tree), UMAP starts from
the principal components (its spectral start varied between runs) and runs single-threaded (umap-learn does
so when seeded), and every sample is seeded.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from hubatlas.core.layout.features import principal_axes, project
from hubatlas.core.layout.knn import join_lineage, knn
from hubatlas.core.layout.params import LayoutParams
from hubatlas.core.store.graph import levels

PCA_FIT_SAMPLE = 50_000  # rows the nearest-anchor search's principal axes are fitted on (seeded sample)
PCA_DIMS = 12  # feature dimensions for the nearest-anchor search (a k-d tree is fast up to about 12)
NEAR = 8  # anchors whose positions a placed model's position is interpolated from
DERIVED_REACH = 20.0  # anchor spacings at which a derivative's offset reaches the family radius
SPREAD = 0.05  # jitter of models placed by an anchor, in units of the anchors' spacing


def umap_embed(
    features: np.ndarray,
    parent: np.ndarray,
    child: np.ndarray,
    p: LayoutParams,
    stage: Callable[[str], None] = lambda s: None,
) -> np.ndarray:
    """UMAP of the rows of ``features`` on their kNN graph joined with the given lineage edges."""
    import umap

    n = len(features)
    if n < 4:
        ang = np.linspace(0, 2 * np.pi, n, endpoint=False)
        return np.stack([np.cos(ang), np.sin(ang)], 1).astype(np.float32) * (n > 1)
    k = min(p.n_neighbors, n - 1)
    stage("knn")
    idx, dist = feature_knn(features, k, p.seed)
    idx, dist = join_lineage(idx, dist, parent, child)
    stage("optimise")
    import warnings

    reducer = umap.UMAP(
        n_neighbors=k,
        n_components=2,
        min_dist=p.min_dist,
        n_epochs=p.n_epochs,
        random_state=p.seed,
        # PCA, not spectral: umap-learn's spectral initialisation of a large graph of many components gives
        # another embedding from run to run even with a seed (measured on the real snapshot's 40K anchors:
        # two processes, the same graph and seed, two maps; with this one, the same map), and takes twice
        # as long (31 s against 18 s there)
        init="pca" if n > k + 1 else "random",
        precomputed_knn=(idx, dist, None),
        metric="euclidean",
        low_memory=True,
        verbose=False,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # seeded (single-threaded) run, no search index, disconnected points
        out = reducer.fit_transform(features).astype(np.float32)
    return out  # rows UMAP left disconnected are NaN; the caller places them


def feature_knn(features: np.ndarray, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's k nearest rows (itself first), exact: a k-d tree over the 16 reduced feature columns (about a
    second for 40K anchors on two cores, where nearest-neighbour descent took 27 s and, run in parallel, gave
    another graph from run to run). Ties (look-alike models at distance 0) are broken by the tree, the same
    way every run."""
    from scipy.spatial import cKDTree

    n = len(features)
    k = min(k, n)
    dist, idx = cKDTree(np.asarray(features, np.float64)).query(features, k=k, workers=-1)
    dist, idx = dist.reshape(n, k), idx.reshape(n, k).astype(np.int64)
    own = np.arange(n)
    has_self = (idx == own[:, None]).any(1)
    # itself first: a row that lists it elsewhere (ties at distance 0) moves it to the front, a row that does
    # not list it (k ties ahead of it) gives up its last neighbour for it
    others = np.where(idx == own[:, None], n, idx)
    order = np.argsort(others == n, axis=1, kind="stable")  # itself to the end, the rest in their order
    others = np.take_along_axis(others, order, axis=1)
    odist = np.take_along_axis(dist, order, axis=1)
    out_i = np.hstack([own[:, None], others[:, : k - 1]])
    out_d = np.hstack([np.zeros((n, 1)), odist[:, : k - 1]])
    out_i[~has_self] = np.hstack([own[~has_self, None], idx[~has_self, : k - 1]])
    out_d[~has_self] = np.hstack([np.zeros(((~has_self).sum(), 1)), dist[~has_self, : k - 1]])
    return out_i, out_d.astype(np.float32)


def choose_anchors(
    pp: np.ndarray, family: np.ndarray, root: np.ndarray, budget: int, seed: int
) -> np.ndarray:
    """Models without a parent (roots and isolated models): all of them when they fit the budget, else the
    roots of the largest families (up to half the budget) and an even random sample of the rest.
    Derived models are never anchors: they are placed by their parents."""
    if len(pp) <= budget:
        return np.arange(len(pp))
    free = np.flatnonzero(pp < 0)
    if len(free) <= budget:
        return free
    sizes = np.bincount(family)
    roots = free[(root[free] == free) & (sizes[family[free]] > 1)]
    big = roots[np.argsort(-sizes[family[roots]], kind="stable")][: budget // 2]
    rng = np.random.default_rng(seed)
    rest = np.setdiff1d(free, big)
    sample = rng.choice(rest, size=min(len(rest), budget - len(big)), replace=False)
    return np.sort(np.concatenate([big, sample]))


def contract_to_parents(xy: np.ndarray, pp: np.ndarray, depth: np.ndarray, alpha: float) -> None:
    """Pull every laid-out derivative toward its laid-out parent, keeping UMAP's arrangement of siblings:
    new(child) = new(parent) + alpha * (old(child) - old(parent)), top-down by depth (in place)."""
    old = xy.copy()
    ok = np.isfinite(old).all(1)
    for _, at in levels(depth, np.flatnonzero((pp >= 0) & ok)):
        at = at[ok[pp[at]]]
        xy[at] = xy[pp[at]] + alpha * (old[at] - old[pp[at]])


def _pca(features: np.ndarray, rows: np.ndarray, dims: int, seed: int) -> np.ndarray:
    """The first ``dims`` principal components of ``features[rows]`` (fitted on a 50K sample), projected in
    chunks without copying the selected rows whole."""
    rng = np.random.default_rng(seed)
    sample = features[rows[rng.choice(len(rows), size=min(len(rows), PCA_FIT_SAMPLE), replace=False)]]
    return project(features, *principal_axes(sample, dims), rows=rows)


def _hash_uniform(n: int, seed: int, salt: int) -> np.ndarray:
    """Per-node uniforms in [0,1) that depend only on the node index and seed (stable across runs)."""
    x = (np.arange(n, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)) ^ np.uint64(
        (seed * 7919 + salt) & 0xFFFFFFFF
    )
    x ^= x >> np.uint64(33)
    x *= np.uint64(0xFF51AFD7ED558CCD)
    x ^= x >> np.uint64(33)
    return (x >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def nearest_ref(
    targets: np.ndarray, ref: np.ndarray, features: np.ndarray, seed: int, k: int = 1
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each target, its ``k`` nearest ``ref`` nodes in PCA-reduced feature space (k-d tree):
    (distances, positions in ``ref``), each (len(targets), k), and the reduced features of ref + targets."""
    from scipy.spatial import cKDTree

    red = _pca(features, np.concatenate([ref, targets]), PCA_DIMS, seed)
    k = min(k, len(ref))
    dist, near = cKDTree(red[: len(ref)]).query(red[len(ref) :], k=k, workers=-1)
    return dist.reshape(len(targets), k), near.reshape(len(targets), k), red


def _weights(dist: np.ndarray) -> np.ndarray:
    """Interpolation weights of the nearest anchors: a Gaussian of how much farther each is than the
    nearest (a model between two groups lands between them; one that matches an anchor lands on it)."""
    d0 = dist[:, :1]
    scale = np.maximum(d0, 0.05 * np.maximum(dist[:, -1:], 1e-6))
    w = np.exp(-((dist**2 - d0**2) / (scale**2)).clip(0, 50))
    return w / w.sum(1, keepdims=True)


def interpolated(
    xy: np.ndarray,
    ref: np.ndarray,
    dist: np.ndarray,
    near: np.ndarray,
    red: np.ndarray | None = None,
    chunk: int = 200_000,
) -> np.ndarray:
    """Positions interpolated from the nearest anchors' positions; with ``red`` (reduced features of ref then
    targets), plus a local affine correction: the target's feature offset from the weighted anchors mapped
    to 2-D by the ridge least-squares map of those anchors (features -> positions), bounded by their spread.
    Models that differ inside one neighbourhood then differ on the map in the same direction as the anchors
    do, instead of by chance."""
    w = _weights(dist)
    pts = xy[ref[near]].astype(np.float64)  # (t, k, 2)
    pos = (w[:, :, None] * pts).sum(1)
    if red is None or near.shape[1] < 3:
        return pos
    n_ref = len(ref)
    for s in range(0, len(near), chunk):
        sl = slice(s, s + chunk)
        r = red[near[sl]].astype(np.float64)  # (c, k, d)
        m = (w[sl, :, None] * r).sum(1)
        a = r - m[:, None, :]
        b = pts[sl] - pos[sl, None, :]
        g = a @ a.transpose(0, 2, 1)
        lam = 0.1 * np.trace(g, axis1=1, axis2=2)[:, None, None] / near.shape[1] + 1e-9
        x = np.linalg.solve(g + lam * np.eye(near.shape[1])[None], b)  # (c, k, 2)
        q = red[n_ref + s : n_ref + s + len(r)].astype(np.float64) - m
        off = np.einsum("ck,ckj->cj", np.einsum("cd,ckd->ck", q, a), x)
        cap = np.sqrt((b**2).sum(-1).max(1))[:, None]
        norm = np.linalg.norm(off, axis=1, keepdims=True)
        pos[sl] += off * np.minimum(1.0, cap / np.maximum(norm, 1e-12))
    return pos


def place_derived_by_features(
    xy: np.ndarray,
    placed: np.ndarray,
    pp: np.ndarray,
    depth: np.ndarray,
    ref: np.ndarray,
    features: np.ndarray,
    fam_size: np.ndarray,
    unit: float,
    seed: int,
) -> None:
    """Derivatives go from their parent toward where models like them lie: the offset points at the
    derivative's nearest anchor in feature space, its length grows with that distance but stays within the
    family's radius, so siblings that look alike sit together and every derivative stays by its parent."""
    todo = np.flatnonzero(~placed & (pp >= 0))
    if not len(todo):
        return
    target = interpolated(xy, ref, *nearest_ref(todo, ref, features, seed, NEAR))
    u1, u2 = _hash_uniform(len(xy), seed, 5)[todo], _hash_uniform(len(xy), seed, 6)[todo]
    jit = unit * 0.3 * np.sqrt(-2 * np.log(np.maximum(u1, 1e-12)))
    target[:, 0] += jit * np.cos(2 * np.pi * u2)
    target[:, 1] += jit * np.sin(2 * np.pi * u2)
    pos = np.full((len(xy), 2), np.nan)
    pos[todo] = target
    radius = unit * (0.8 + 1.2 * np.sqrt(np.log1p(fam_size)))
    for d, at in levels(depth, todo):
        at = at[placed[pp[at]]]
        if not len(at):
            continue
        vec = pos[at] - xy[pp[at]]
        dist = np.linalg.norm(vec, axis=1, keepdims=True)
        r = radius[at, None] * (0.5 ** (d - 1)) * np.tanh(dist / (DERIVED_REACH * unit))
        xy[at] = xy[pp[at]] + np.divide(vec, dist, out=np.zeros_like(vec), where=dist > 0) * r
        placed[at] = True


def place_by_features(
    xy: np.ndarray,
    placed: np.ndarray,
    targets: np.ndarray,
    ref: np.ndarray,
    features: np.ndarray,
    unit: float,
    seed: int,
) -> None:
    """Place ``targets`` next to their nearest ``ref`` node in PCA-reduced feature space (in place)."""
    if not len(targets) or not len(ref):
        return
    dist, near, red = nearest_ref(targets, ref, features, seed, NEAR)
    pos = interpolated(xy, ref, dist, near, red)
    counts = np.bincount(near[:, 0], minlength=len(ref)).astype(np.float64)
    spread = unit * SPREAD * np.sqrt(np.maximum(counts[near[:, 0]], 1.0)) ** 0.5
    u1, u2 = _hash_uniform(len(xy), seed, 3)[targets], _hash_uniform(len(xy), seed, 4)[targets]
    r = spread * np.sqrt(-2 * np.log(np.maximum(u1, 1e-12)))
    xy[targets, 0] = pos[:, 0] + r * np.cos(2 * np.pi * u2)
    xy[targets, 1] = pos[:, 1] + r * np.sin(2 * np.pi * u2)
    placed[targets] = True


def local_unit(xy: np.ndarray, seed: int) -> float:
    """Typical nearest-neighbour spacing of the given points (a length scale for placement)."""
    if len(xy) < 3:
        return 0.1
    rng = np.random.default_rng(seed)
    s = xy[rng.choice(len(xy), size=min(len(xy), 4000), replace=False)]
    _, d = knn(s, s, 1, exclude_self=True)
    return float(max(np.median(d[:, 0]), 1e-6))


def layout_cpu(
    features: np.ndarray,
    parent: np.ndarray,
    child: np.ndarray,
    pp: np.ndarray,
    depth: np.ndarray,
    relation: np.ndarray,
    family: np.ndarray,
    root: np.ndarray,
    p: LayoutParams,
    stage: Callable[[str], None] = lambda s: None,
) -> np.ndarray:
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
    placed: np.ndarray = np.asarray(np.isfinite(xy).all(1), dtype=bool)
    if placed.all():
        return xy
    stage("placement")
    anchors = np.flatnonzero(placed)
    unit = local_unit(xy[anchors], p.seed)
    fam_size = np.bincount(family)[family].astype(np.float64)
    # roots (and isolated models) that are not anchors: next to their nearest anchor in feature space
    lone = np.flatnonzero(~placed & (pp < 0))
    place_by_features(xy, placed, lone, anchors, features, unit, p.seed)
    place_derived_by_features(xy, placed, pp, depth, anchors, features, fam_size, unit, p.seed)
    rest = np.flatnonzero(~placed)  # below a cycle-broken or unplaced parent: by features
    place_by_features(xy, placed, rest, anchors, features, unit, p.seed)
    return xy
