"""The layout peer, side by side on the same real models: umap-learn on every node (its own nearest-neighbour
descent, the same features and lineage-joined kNN as hubatlas gives it) against hubatlas's CPU path
(UMAP on anchors, placement, spreading), with the same quality report (20K-node sample) for both.

    python -m bench.layout_peer --real ../shared/data/hub_2024-07/models_2024-07-11.dev.jsonl.gz [--models 100000]

The first ``--models`` records of the dump are imported into a temporary cache (the data is read where it
lies, never copied into the repository). Last line: JSON (also bench/results/layout_peer.json) with both
runs and the ratios (hubatlas / umap-learn).
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from bench._util import emit, run_stage

HUB = [sys.executable, "-m", "hubatlas.viewer.cli"]
QUALITY = (
    "lineage_locality",
    "knn_preservation",
    "trustworthiness",
    "modality_purity",
    "knn_preservation_unreduced",
    "trustworthiness_unreduced",
)


def head(path: Path, n: int, out: Path) -> Path:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f, open(out, "wb") as g:
        for i, line in enumerate(f):
            if i >= n:
                break
            g.write(line)
    return out


def umap_everything(cache: Path) -> dict:
    """umap-learn on every node of the atlas, written into the snapshot, then the same quality report."""
    import umap

    from hubatlas.core.layout.features import snapshot_features
    from hubatlas.core.layout.knn import join_lineage
    from hubatlas.core.layout.params import LayoutParams
    from hubatlas.core.layout.pipeline import _graph, apply_to_snapshot, to_unit_square
    from hubatlas.core.layout.quality import measure
    from hubatlas.core.store.database import Store
    from hubatlas.core.store.snapshot import open_snapshot

    p = LayoutParams()
    with Store(cache, readonly=True) as store:
        snap = open_snapshot(cache)
        t = time.perf_counter()
        feats = snapshot_features(snap, store)
        g = _graph(snap)
        from pynndescent import NNDescent

        nd = NNDescent(feats, n_neighbors=p.n_neighbors, random_state=p.seed, low_memory=True)
        idx, dist = nd.neighbor_graph
        idx, dist = join_lineage(idx, dist, g["parent"], g["child"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            xy = umap.UMAP(
                n_neighbors=p.n_neighbors,
                min_dist=p.min_dist,
                n_epochs=p.n_epochs,
                random_state=p.seed,
                precomputed_knn=(idx, dist, None),
                low_memory=True,
            ).fit_transform(feats)
        seconds = time.perf_counter() - t
        # umap-learn leaves vertices it saw as disconnected at NaN: put each on its nearest finite neighbour
        bad = np.flatnonzero(~np.isfinite(xy).all(1))
        for i in bad:
            ok = [j for j in idx[i] if np.isfinite(xy[j]).all()]
            xy[i] = xy[ok[0]] if ok else np.nanmedian(xy, axis=0)
        apply_to_snapshot(snap, to_unit_square(xy), {"backend": "umap-learn (every node)"})
        rep = measure(open_snapshot(cache), store=store)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "layout_seconds": round(seconds, 1),
        "peak_rss_mib_process": round(rss, 1),
        "left_nan": len(bad),
        "report": {k: rep[k] for k in QUALITY},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--real", type=Path, required=True, help="a real Hub dump (JSONL, optionally .gz)")
    ap.add_argument("--models", type=int, default=100_000)
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="hubatlas-peer-bench-"))
    try:
        cache = work / "cache"
        run_stage(
            [*HUB, "--cache", str(cache), "import", str(head(a.real, a.models, work / "head.jsonl")), "-q"]
        )
        print("hubatlas CPU path ...", file=sys.stderr)
        s = run_stage(
            [*HUB, "--cache", str(cache), "layout", "--backend", "cpu", "--full", "--report", "--json", "-q"]
        )
        info = json.loads(s["stdout"])
        ours = {
            "layout_seconds": info["seconds"] - info.get("labels", {}).get("seconds", 0),
            "peak_rss_mib": s["peak_rss_mib"],
            "report": {k: info["report"][k] for k in QUALITY},
            "nodes": info["nodes"],
        }
        print(f"  {ours}", file=sys.stderr)
        print("umap-learn on every node ...", file=sys.stderr)
        peer = umap_everything(cache)
        print(f"  {peer}", file=sys.stderr)
        ratios = {"time": round(ours["layout_seconds"] / max(peer["layout_seconds"], 1e-9), 3)}
        for k in QUALITY:
            if ours["report"][k] is not None and peer["report"][k]:
                ratios[k] = round(ours["report"][k] / peer["report"][k], 3)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    emit(
        "layout_peer",
        {
            "models": a.models,
            "hubatlas_cpu": ours,
            "umap_learn_every_node": peer,
            "ratios_hubatlas_over_umap": ratios,
        },
    )


if __name__ == "__main__":
    main()
