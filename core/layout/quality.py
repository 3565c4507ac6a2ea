"""Layout quality on a node sample (`hubatlas layout --report`): lineage locality, kNN preservation,
trustworthiness (scikit-learn) and modality purity of layout neighbourhoods.

kNN preservation and trustworthiness are measured against the features the layout used (the weighted blocks
reduced to their principal components) and, so the reduction hides nothing, against the unreduced blocks too
(``*_unreduced``)."""

from __future__ import annotations

import numpy as np

from hubatlas.core.layout.features import reduce, stored_tags, weighted_blocks
from hubatlas.core.layout.knn import knn
from hubatlas.core.store.database import Store
from hubatlas.core.store.snapshot import Snapshot


def measure(
    snap: Snapshot, sample: int = 20_000, k: int = 10, seed: int = 0, store: Store | None = None
) -> dict:
    from sklearn.manifold import trustworthiness

    n = len(snap)
    xy = np.stack([snap.column("x"), snap.column("y")], 1).astype(np.float32)
    if n < k + 2 or not np.isfinite(xy).all():
        raise ValueError("a layout of at least 12 nodes is needed for a report (run `hubatlas layout`)")
    rng = np.random.default_rng(seed)
    idx = np.sort(rng.choice(n, size=min(n, sample), replace=False))
    blocks = weighted_blocks(snap.nodes, snap.edges, stored_tags(store, n) if store is not None else None)
    feats = reduce(blocks)[idx]  # the features the layout used (with the tags of ``store``)
    unreduced = blocks[idx]
    del blocks
    y = xy[idx]
    # lineage locality over (a sample of) all edges
    src = snap.edges.column("source").to_numpy()
    dst = snap.edges.column("target").to_numpy()
    if len(src):
        e = rng.choice(len(src), size=min(len(src), sample), replace=False)
        d_edge = np.linalg.norm(xy[src[e]] - xy[dst[e]], axis=1)
        a, b = rng.integers(0, n, size=(2, sample))
        d_rand = np.linalg.norm(xy[a] - xy[b], axis=1)
        locality = float(np.median(d_edge) / max(np.median(d_rand), 1e-12))
    else:
        locality = None
    li, _ = knn(y, y, k, exclude_self=True)

    def preserved(f: np.ndarray) -> float:
        fi, _ = knn(f, f, k, exclude_self=True)
        return float(
            np.mean([len(set(a) & set(b)) / k for a, b in zip(fi.tolist(), li.tolist(), strict=False)])
        )

    mod, _ = snap.codes("modality")
    m = mod[idx]
    purity = float((m[li] == m[:, None]).mean())
    return {
        "sample": len(idx),
        "k": k,
        "lineage_locality": locality,
        "knn_preservation": preserved(feats),
        "trustworthiness": float(trustworthiness(feats, y, n_neighbors=k)),
        "modality_purity": purity,
        "knn_preservation_unreduced": preserved(unreduced),
        "trustworthiness_unreduced": float(trustworthiness(unreduced, y, n_neighbors=k)),
        "targets": {
            "lineage_locality": "<= 0.05",
            "trustworthiness": ">= 0.92",
            "knn_preservation": ">= 0.30",
        },
    }
