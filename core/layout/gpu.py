"""The GPU layout through RAPIDS cuML (extra `gpu`: `cuml-cu12`), written against cuML 26.x's documented API.

cuML's UMAP takes the same joined kNN + lineage graph as the CPU path through ``precomputed_knn`` (a tuple
of (indices, distances), each row's self in column 0), so every model is laid out by UMAP on the GPU. Read
against the documentation, three things matter:

* the kNN comes from ``cuml.neighbors.NearestNeighbors`` (exact, brute force), which does *not* promise a
  row's self first: identical feature rows (common with metadata features) tie at distance 0 in any order.
  ``gpu_knn`` puts self first itself;
* with ``precomputed_knn`` UMAP builds no graph, so ``build_algo`` and ``build_kwds`` (host partitioning
  included) would do nothing: they are not passed;
* ``random_state`` makes cuML run its slower deterministic, serial-epoch optimisation (at 2M models much
  slower), so it is passed only when a reproducible GPU layout is asked for (``deterministic``).

This path cannot run on the project's machines (cuML and RAPIDS are far larger than what can be carried to
the lent GPU): a contract test checks the exact calls against the documented signatures and semantics, and it
runs for real on users' NVIDIA GPUs.
"""

from __future__ import annotations

import numpy as np

GPU_HOWTO = "`pip install 'hubatlas[gpu]'` on a CUDA 12 machine enables it"
GPU_HOWTO_FROZEN = (
    "the app bundle does not include it: on an NVIDIA machine, `pip install 'hubatlas[gpu]'` and run "
    "`hubatlas layout --backend cuml` on the same cache; the app then opens that layout"
)


def _frozen() -> bool:
    import sys

    return bool(getattr(sys, "frozen", False))


def cuml_status() -> tuple[bool, str]:
    """(usable, why) for cuML on this machine."""
    try:
        import cuml
        import cupy
    except Exception as e:  # ImportError or a broken CUDA install
        return (
            False,
            f"cuML is not installed ({type(e).__name__}); {GPU_HOWTO_FROZEN if _frozen() else GPU_HOWTO}",
        )
    try:
        n = cupy.cuda.runtime.getDeviceCount()
    except Exception as e:
        return False, f"no usable CUDA device ({type(e).__name__}: {e})"
    if n < 1:
        return False, "no CUDA device"
    return True, f"cuML {cuml.__version__} on {n} CUDA device(s)"


def umap_kwargs(n_neighbors: int, n_epochs: int, min_dist: float, seed: int | None = None) -> dict:
    """The exact keyword arguments given to ``cuml.manifold.UMAP`` with a precomputed kNN (checked by a
    contract test). ``seed``: pass it (slower, deterministic epochs) only for a reproducible layout."""
    return {
        "n_neighbors": n_neighbors,
        "n_components": 2,
        "metric": "euclidean",
        "n_epochs": n_epochs,
        "min_dist": min_dist,
        "init": "spectral",
        "random_state": seed,
        "output_type": "numpy",
    }


def layout_cuml(
    features: np.ndarray,
    knn_idx: np.ndarray,
    knn_dist: np.ndarray,
    *,
    seed: int,
    n_epochs: int,
    min_dist: float,
    deterministic: bool = False,
) -> np.ndarray:
    """UMAP of all rows on the GPU with the given (self-first) kNN graph; returns (n, 2) float32."""
    from cuml.manifold import UMAP

    kw = umap_kwargs(knn_idx.shape[1], n_epochs, min_dist, seed if deterministic else None)
    model = UMAP(precomputed_knn=(knn_idx.astype(np.int64), knn_dist.astype(np.float32)), **kw)
    return np.asarray(model.fit_transform(features), dtype=np.float32)


def self_first(idx: np.ndarray, dist: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Neighbour lists with each row's self in column 0 and its k-1 nearest others after it, whatever order
    the search returned ties in (identical rows) and whether or not it returned self at all."""
    n, k = idx.shape
    rows = np.arange(n)[:, None]
    order = np.argsort(idx == rows, axis=1, kind="stable")  # others first (in distance order), self last
    others_i = np.take_along_axis(idx, order, 1)[:, : k - 1]
    others_d = np.take_along_axis(dist, order, 1)[:, : k - 1]
    return (
        np.hstack([rows, others_i]).astype(np.int64),
        np.hstack([np.zeros((n, 1), np.float32), others_d]).astype(np.float32),
    )


def gpu_knn(features: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact kNN on the GPU (``cuml.neighbors.NearestNeighbors``): (indices, distances), self in column 0."""
    from cuml.neighbors import NearestNeighbors

    nn = NearestNeighbors(n_neighbors=k, algorithm="brute", metric="euclidean", output_type="numpy")
    nn.fit(features)
    dist, idx = nn.kneighbors(features)
    return self_first(np.asarray(idx, dtype=np.int64), np.asarray(dist, dtype=np.float32))
