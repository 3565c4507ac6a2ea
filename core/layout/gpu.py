"""The GPU layout through RAPIDS cuML (extra `gpu`: `cuml-cu12`), current API only.

cuML's UMAP takes the same joined kNN + lineage graph as the CPU path through ``precomputed_knn`` (a tuple
of (indices, distances) with each row's self in column 0), so every model is laid out by UMAP on the GPU.
``build_kwds`` keys are checked against the documented ones before the call: cuML silently ignores unknown
keys (the ``nnd_n_clusters``/``nnd_overlap_factor`` names were replaced by ``knn_n_clusters``/
``knn_overlap_factor``), so a typo would otherwise go unnoticed.
"""
from __future__ import annotations

import numpy as np

# documented build_kwds of cuml.manifold.UMAP (current releases)
DOCUMENTED_BUILD_KWDS = frozenset({"nnd_graph_degree", "nnd_intermediate_graph_degree", "nnd_max_iterations",
                                   "nnd_termination_threshold", "knn_n_clusters", "knn_overlap_factor"})
HOST_ROWS = 5_000_000  # above this, partition the kNN build so it fits device memory


GPU_HOWTO = "`pip install 'hubatlas[gpu]'` on a CUDA 12 machine enables it"
GPU_HOWTO_FROZEN = ("the app bundle does not include it: on an NVIDIA machine, `pip install 'hubatlas[gpu]'` and run "
                    "`hubatlas layout --backend cuml` on the same cache; the app then opens that layout")


def _frozen() -> bool:
    import sys

    return bool(getattr(sys, "frozen", False))


def cuml_status() -> tuple[bool, str]:
    """(usable, why) for cuML on this machine."""
    try:
        import cuml  # noqa: F401
        import cupy
    except Exception as e:  # ImportError or a broken CUDA install
        return False, f"cuML is not installed ({type(e).__name__}); {GPU_HOWTO_FROZEN if _frozen() else GPU_HOWTO}"
    try:
        n = cupy.cuda.runtime.getDeviceCount()
    except Exception as e:
        return False, f"no usable CUDA device ({type(e).__name__}: {e})"
    if n < 1:
        return False, "no CUDA device"
    return True, f"cuML {cuml.__version__} on {n} CUDA device(s)"


def umap_kwargs(n: int, n_neighbors: int, seed: int, n_epochs: int, min_dist: float) -> dict:
    """The exact keyword arguments given to ``cuml.manifold.UMAP`` (checked by a contract test)."""
    build_kwds = {}
    if n > HOST_ROWS:
        build_kwds = {"knn_n_clusters": 4, "knn_overlap_factor": 2}
    unknown = set(build_kwds) - DOCUMENTED_BUILD_KWDS
    if unknown:
        raise ValueError(f"undocumented cuML build_kwds: {sorted(unknown)}")
    return {
        "n_neighbors": n_neighbors,
        "n_components": 2,
        "metric": "euclidean",
        "n_epochs": n_epochs,
        "min_dist": min_dist,
        "init": "spectral",
        "random_state": seed,
        "build_algo": "brute_force_knn",
        "build_kwds": build_kwds or None,
        "output_type": "numpy",
    }


def layout_cuml(features: np.ndarray, knn_idx: np.ndarray, knn_dist: np.ndarray, *, seed: int, n_epochs: int,
                min_dist: float) -> np.ndarray:
    """UMAP of all rows on the GPU with the given (self-first) kNN graph; returns (n, 2) float32."""
    from cuml.manifold import UMAP

    kw = umap_kwargs(len(features), knn_idx.shape[1], seed, n_epochs, min_dist)
    model = UMAP(precomputed_knn=(knn_idx.astype(np.int64), knn_dist.astype(np.float32)), **kw)
    return np.asarray(model.fit_transform(features), dtype=np.float32)


def gpu_knn(features: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact kNN on the GPU (``cuml.neighbors.NearestNeighbors``): (indices, distances), self in column 0."""
    from cuml.neighbors import NearestNeighbors

    nn = NearestNeighbors(n_neighbors=k, algorithm="brute", metric="euclidean", output_type="numpy")
    nn.fit(features)
    dist, idx = nn.kneighbors(features)
    return np.asarray(idx, dtype=np.int64), np.asarray(dist, dtype=np.float32)
