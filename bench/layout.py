"""Layout benchmark: time and peak RSS of the CPU layout path at several synthetic hub sizes, and the quality
report (20K-node sample) at each size.

    python -m bench.layout [--sizes 100000,500000,2000000] [--backend cpu]
    python -m bench.layout --real ../shared/data/hub_2024-07/models_2024-07-11.dev.jsonl.gz

With ``--real``, the real Hub dump is imported into a temporary cache (read where it lies, never copied into
the repository) and laid out instead of synthetic hubs.

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

from bench._util import emit, run_stage

HUB = [sys.executable, "-m", "hubatlas.viewer.cli"]


def real_jsonl(path: Path, work: Path) -> Path:
    """The dump as plain JSONL in the work folder (decompressed there when gzipped)."""
    if path.suffix != ".gz":
        return path
    import gzip

    out = work / path.stem
    with gzip.open(path, "rb") as f, open(out, "wb") as g:
        shutil.copyfileobj(f, g, 1 << 24)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100000,500000,2000000")
    ap.add_argument("--backend", default="cpu", choices=["cpu", "cuml", "auto"])
    ap.add_argument(
        "--real", type=Path, help="a real Hub dump (JSONL, optionally .gz) instead of synthetic hubs"
    )
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="hubatlas-layout-bench-"))
    runs = []
    try:
        for n in [0] if a.real else [int(x) for x in a.sizes.split(",")]:
            cache = work / f"hub{n}"
            if a.real:
                print(f"import {a.real} ...", file=sys.stderr)
                run_stage(
                    [*HUB, "--cache", str(cache), "import", str(real_jsonl(a.real, work)), "--json", "-q"]
                )
            else:
                print(f"synth {n:,} ...", file=sys.stderr)
                run_stage([*HUB, "--cache", str(cache), "synth", "--models", str(n), "--json"])
            print(f"layout {n:,} ({a.backend}) ...", file=sys.stderr)
            s = run_stage([*HUB, "--cache", str(cache), "layout", "--backend", a.backend, "--json", "-q"])
            info = json.loads(s["stdout"])
            r = run_stage([*HUB, "--cache", str(cache), "layout", "--report", "--json", "-q"])
            rep = json.loads(r["stdout"])["report"]
            run = {
                "nodes": info["nodes"],
                "data": str(a.real.name) if a.real else "synthetic",
                "backend": info["backend"],
                "layout_seconds": info["seconds"],
                "stage_seconds": info.get("stage_seconds"),
                "labels": info.get("labels"),
                "wall_seconds": s["seconds"],
                "peak_rss_mib": s["peak_rss_mib"],
                "report": {
                    k: rep[k]
                    for k in (
                        "sample",
                        "lineage_locality",
                        "knn_preservation",
                        "trustworthiness",
                        "modality_purity",
                        "knn_preservation_unreduced",
                        "trustworthiness_unreduced",
                        "seconds",
                    )
                },
            }
            print(f"  {run}", file=sys.stderr)
            runs.append(run)
            shutil.rmtree(cache, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    emit("layout", {"runs": runs})


if __name__ == "__main__":
    main()
