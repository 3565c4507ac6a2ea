"""Export benchmark: `hubatlas export` of a synthetic atlas at 8K (7680×4320), full detail, end to end.

    python -m bench.export --cache DIR   (an atlas with a layout; or --models N to make one)

Needs a GL context (Xvfb + Mesa here). Last line: JSON (also bench/results/export.json).
Target (issue 7): an 8K export of 2M nodes in <= 20 s on this 2-core machine.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from bench._gl import ensure_atlas
from bench._util import emit, run_stage


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", type=int, default=2_000_000)
    ap.add_argument("--cache", type=Path)
    a = ap.parse_args()
    cache, made = ensure_atlas(a.models, a.cache)
    out = Path(tempfile.mkdtemp(prefix="hubatlas-export-bench-")) / "atlas-8k.png"
    try:
        runs = {}
        for name, extra in (("8k_png", ["--preset", "8k"]), ("4k_png", ["--preset", "4k"])):
            s = run_stage(
                [
                    sys.executable,
                    "-m",
                    "hubatlas.viewer.cli",
                    "--cache",
                    str(cache),
                    "export",
                    "--out",
                    str(out),
                    "--title",
                    "hubatlas benchmark",
                    *extra,
                ]
            )
            runs[name] = {
                "seconds": s["seconds"],
                "peak_rss_mib": s["peak_rss_mib"],
                "bytes": out.stat().st_size,
            }
        import json

        nodes = json.loads((cache / "snapshot" / "manifest.json").read_text())["nodes"]
    finally:
        shutil.rmtree(out.parent, ignore_errors=True)
        if made:
            shutil.rmtree(cache.parent, ignore_errors=True)
    emit("export", {"models": nodes, "runs": runs, "note": "end to end: process start, open, render, encode"})


if __name__ == "__main__":
    main()
