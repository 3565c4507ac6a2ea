"""Same data, same map: the layout of an atlas computed from scratch in separate processes, compared.

    python -m bench.determinism --cache DIR [--runs 2] [--seed 0] [--other-seed 1]

Each run is a fresh Python process that computes the whole CPU layout of the atlas's snapshot (features,
anchors, UMAP, placement, spreading; nothing read from the layout cache, nothing written) and saves the
positions to a temporary file. Printed: each run's seconds, the median, 90th percentile and largest
displacement between the runs (in units of the [-1, 1] square), whether they are bit-identical, and the
same figures against a run with another seed (which must differ). Last line: JSON (also
bench/results/determinism.json). Real data is read from where it lies, never copied.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench._util import emit

ONE_RUN = """
import sys, numpy as np
from hubatlas.core.layout import pipeline
from hubatlas.core.layout.params import LayoutParams
from hubatlas.core.store.database import Store
from hubatlas.core.store.snapshot import open_snapshot
snap = open_snapshot(sys.argv[1])
p = LayoutParams(seed=int(sys.argv[3]))
g = pipeline._graph(snap)
with Store(sys.argv[1], readonly=True) as store:  # the tags, as `hubatlas layout` reads them
    raw = pipeline.compute(snap, p, "cpu", lambda s: None, store, g)
np.save(sys.argv[2], pipeline.to_unit_square(pipeline.open_up(snap, raw, g)))
"""


def one(cache: Path, out: Path, seed: int) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", ONE_RUN, str(cache), str(out), str(seed)], check=True)
    return round(time.perf_counter() - t, 1)


def compare(a: np.ndarray, b: np.ndarray) -> dict:
    d = np.linalg.norm(a - b, axis=1)
    return {
        "identical": bool(np.array_equal(a, b)),
        "median_displacement": round(float(np.median(d)), 6),
        "p90_displacement": round(float(np.percentile(d, 90)), 6),
        "max_displacement": round(float(d.max(initial=0)), 6),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache", type=Path, required=True, help="an atlas with a snapshot")
    ap.add_argument("--runs", type=int, default=2, help="runs with the same seed (default 2)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--other-seed", type=int, default=1, help="a run with this seed must differ")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        paths = [Path(tmp) / f"run{i}.npy" for i in range(args.runs)]
        secs = [one(args.cache, p, args.seed) for p in paths]
        other = Path(tmp) / "other.npy"
        other_s = one(args.cache, other, args.other_seed)
        xy = [np.load(p) for p in paths]
        res = {
            "models": len(xy[0]),
            "seconds": secs,
            "same_seed": [compare(xy[0], x) for x in xy[1:]],
            "other_seed": compare(xy[0], np.load(other)),
            "other_seed_seconds": other_s,
        }
    for i, r in enumerate(res["same_seed"], 1):
        print(f"run 1 vs run {i + 1} (seed {args.seed}): {r}")
    print(f"seed {args.seed} vs seed {args.other_seed}: {res['other_seed']}")
    emit("determinism", res)


if __name__ == "__main__":
    main()
