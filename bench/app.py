"""Benchmark the PyInstaller app bundle: build time, size on disk, and start-up times of the frozen executable.

    python -m bench.app [--dist DIR] [--runs N]

Without --dist it builds `build_app.spec` into a temporary folder first (needs PyInstaller). Start-up is
measured two ways: `--version` (process start to exit: the interpreter and CLI) and `--self-test` (process
start to a rendered, exported and checked frame of the demo atlas, then exit; needs a display). Prints a JSON
object as its last line (also saved under bench/results/).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench._util import emit, run_stage

ROOT = Path(__file__).resolve().parent.parent


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dist", type=Path, help="an existing dist/hubatlas folder (default: build one)")
    ap.add_argument("--runs", type=int, default=5, help="start-up runs per measure (default 5)")
    args = ap.parse_args()
    result = {}
    if args.dist is None:
        tmp = Path(tempfile.mkdtemp(prefix="hubatlas-app-"))
        stage = run_stage(
            [
                sys.executable,
                "-m",
                "PyInstaller",
                "--noconfirm",
                "--log-level",
                "WARN",
                "--distpath",
                str(tmp / "dist"),
                "--workpath",
                str(tmp / "build"),
                str(ROOT / "build_app.spec"),
            ]
        )
        result["build_seconds"] = stage["seconds"]
        args.dist = tmp / "dist" / "hubatlas"
    exe = args.dist / "hubatlas"
    result["bundle_mib"] = round(dir_size(args.dist) / 2**20, 1)
    for name, cmd in (("version", [str(exe), "--version"]), ("self_test", [str(exe), "--self-test"])):
        times = []
        for _ in range(args.runs):
            t = time.perf_counter()
            r = subprocess.run(cmd, capture_output=True, text=True)
            times.append(time.perf_counter() - t)
            if r.returncode != 0:
                raise SystemExit(f"{' '.join(cmd)} failed:\n{r.stdout}{r.stderr}")
        result[f"{name}_seconds_median"] = round(statistics.median(times), 3)
        result[f"{name}_seconds_first"] = round(times[0], 3)
    emit("app", result)


if __name__ == "__main__":
    main()
