"""Helpers for benchmark scripts: run a stage in a child process and read its own peak RSS."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def run_stage(cmd: list[str], env: dict | None = None) -> dict:
    """Run ``cmd``; return wall seconds and the child's own peak RSS (MiB) from wait4."""
    t = time.perf_counter()
    p = subprocess.Popen(
        cmd, env={**os.environ, **(env or {})}, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out = p.stdout.read()
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    dt = time.perf_counter() - t
    if p.returncode != 0:
        raise SystemExit(f"stage failed: {' '.join(cmd)}\n{err.decode()[-3000:]}")
    return {"seconds": round(dt, 2), "peak_rss_mib": round(ru.ru_maxrss / 1024, 1), "stdout": out.decode()}


def machine() -> dict:
    return {
        "machine": platform.node(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def emit(name: str, result: dict) -> None:
    """Write results/<name>.json and print the result as the last line (JSON)."""
    RESULTS.mkdir(exist_ok=True)
    result = {"benchmark": name, **machine(), **result}
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=1))
    sys.stdout.write(json.dumps(result) + "\n")
