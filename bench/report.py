"""Benchmark `hubatlas report` (every analysis, charts, CSV, HTML) on a synthetic hub.

    python -m bench.report [--models 2000000] [--cache DIR]

Generates the synthetic hub first unless --cache already holds one. Prints a JSON object as its last line
(also saved under bench/results/): wall time of the report command (process start to exit), its peak RSS,
and the report's own per-step seconds.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from bench._util import emit, run_stage

HUBATLAS = [sys.executable, "-m", "hubatlas.viewer"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=int, default=2_000_000)
    ap.add_argument("--cache", type=Path, help="reuse this cache (generated when empty)")
    args = ap.parse_args()
    cache = args.cache or Path(tempfile.mkdtemp(prefix="hubatlas-report-"))
    result = {"models": args.models}
    if not (cache / "atlas.sqlite").exists():
        result["synth_seconds"] = run_stage(
            [*HUBATLAS, "--cache", str(cache), "synth", "--models", str(args.models)]
        )["seconds"]
    out = cache / "report"
    stage = run_stage([*HUBATLAS, "--cache", str(cache), "report", "--out", str(out), "--json", "-q"])
    r = json.loads(stage["stdout"])
    result.update(
        {
            "report_seconds": stage["seconds"],
            "report_peak_rss_mib": stage["peak_rss_mib"],
            "nodes": r["nodes"],
            "steps": r["seconds"],
            "files": len(r["files"]),
        }
    )
    ev = json.loads((out / "report.json").read_text())
    result["accuracy"] = {a: [v["accuracy"], v["majority_accuracy"]] for a, v in ev["predict"].items()}
    result["parents"] = ev["infer"].get("parents")
    emit("report", result)


if __name__ == "__main__":
    main()
