"""Layout benchmark: time and peak RSS of the CPU layout path at several synthetic hub sizes, and the quality
report (20K-node sample) at each size.

    python bench/layout.py [--sizes 100000,500000,2000000] [--backend cpu]

Last line: JSON (also bench/results/layout.json). Target (issue 5, 2-core machine): 2M nodes in <= 10 min.
The cuML path is timed only where cuML and a CUDA GPU exist (pass --backend cuml there).
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _util import emit, run_stage  # noqa: E402

HUB = [sys.executable, "-m", "hubatlas.viewer.cli"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100000,500000,2000000")
    ap.add_argument("--backend", default="cpu", choices=["cpu", "cuml", "auto"])
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="hubatlas-layout-bench-"))
    runs = []
    try:
        for n in [int(x) for x in a.sizes.split(",")]:
            cache = work / f"hub{n}"
            print(f"synth {n:,} ...", file=sys.stderr)
            run_stage(HUB + ["--cache", str(cache), "synth", "--models", str(n), "--json"])
            print(f"layout {n:,} ({a.backend}) ...", file=sys.stderr)
            s = run_stage(HUB + ["--cache", str(cache), "layout", "--backend", a.backend, "--json", "-q"])
            info = json.loads(s["stdout"])
            r = run_stage(HUB + ["--cache", str(cache), "layout", "--report", "--json", "-q"])
            rep = json.loads(r["stdout"])["report"]
            run = {"nodes": n, "backend": info["backend"], "layout_seconds": info["seconds"],
                   "wall_seconds": s["seconds"], "peak_rss_mib": s["peak_rss_mib"],
                   "report": {k: rep[k] for k in ("sample", "lineage_locality", "knn_preservation",
                                                  "trustworthiness", "modality_purity", "seconds")}}
            print(f"  {run}", file=sys.stderr)
            runs.append(run)
            shutil.rmtree(cache, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    emit("layout", {"runs": runs})


if __name__ == "__main__":
    main()
