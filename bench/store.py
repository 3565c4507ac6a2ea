"""Store benchmark: synth, snapshot build, parquet import, search and snapshot open at N models.

    python -m bench.store [--models 2000000] [--workdir DIR]

Prints progress lines, then one JSON object as the last line (also written to bench/results/store.json).
Targets (issue 3, 2-core machine): synth 2M <= 90 s; snapshot 2M <= 30 s; import of a 2M-row parquet <= 60 s
with peak RSS <= 4 GB; search <= 50 ms a query; snapshot open well under 1 s.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench._util import emit, run_stage

HUB = [sys.executable, "-m", "hubatlas.viewer.cli"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", type=int, default=2_000_000)
    ap.add_argument("--workdir", default=None, help="scratch directory (default: a temp dir, removed after)")
    a = ap.parse_args()
    work = Path(a.workdir or tempfile.mkdtemp(prefix="hubatlas-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    synth_dir, imp_dir, parquet = work / "synth", work / "imported", work / "hub.parquet"
    for d in (synth_dir, imp_dir):
        shutil.rmtree(d, ignore_errors=True)
    res: dict = {"models": a.models}
    try:
        print(f"synth {a.models:,} ...", file=sys.stderr)
        s = run_stage([*HUB, "--cache", str(synth_dir), "synth", "--models", str(a.models), "--json"])
        res["synth"] = {
            "seconds_total": s["seconds"],
            "seconds_synth": json.loads(s["stdout"])["seconds"],
            "peak_rss_mib": s["peak_rss_mib"],
        }
        print(f"  {res['synth']}", file=sys.stderr)
        s = run_stage([*HUB, "--cache", str(synth_dir), "snapshot", "--json"])
        res["snapshot_build"] = {
            "seconds": json.loads(s["stdout"])["seconds"],
            "peak_rss_mib": s["peak_rss_mib"],
        }
        print(f"  snapshot {res['snapshot_build']}", file=sys.stderr)
        code = (
            "import sys; from pathlib import Path; from hubatlas.core.store.database import Store; "
            "from hubatlas.core.ingest.parquet_export import export_parquet; "
            f"print(export_parquet(Store(Path({str(synth_dir)!r}), readonly=True), Path({str(parquet)!r})))"
        )
        s = run_stage([sys.executable, "-c", code])
        res["parquet_export_seconds"] = s["seconds"]
        print(f"import {parquet.stat().st_size / 2**20:.0f} MiB parquet ...", file=sys.stderr)
        s = run_stage([*HUB, "--cache", str(imp_dir), "import", str(parquet), "--json", "-q"])
        out = json.loads(s["stdout"])
        res["import_parquet"] = {
            "seconds_total": s["seconds"],
            "seconds_import": out["seconds"],
            "records": out["records"],
            "peak_rss_mib": s["peak_rss_mib"],
        }
        print(f"  {res['import_parquet']}", file=sys.stderr)
        res["search"] = search_bench(synth_dir)
        res["snapshot_open_ms"] = open_bench(synth_dir)
        db = synth_dir / "atlas.sqlite"
        size = db.stat().st_size + sum(p.stat().st_size for p in (synth_dir / "snapshot").iterdir())
        res["cache_bytes_per_model"] = round(size / a.models, 1)
        res["sqlite_bytes_per_model"] = round(db.stat().st_size / a.models, 1)
    finally:
        if not a.workdir:
            shutil.rmtree(work, ignore_errors=True)
    emit("store", res)


def search_bench(cache: Path) -> dict:
    import random

    from hubatlas.core.store.database import Store

    with Store(cache, readonly=True) as st:
        ids = [r[0] for r in st.conn.execute("SELECT id FROM models ORDER BY random() LIMIT 200")]
        rnd = random.Random(0)
        queries = ["llama", "flux", "qwen", "a", "user1", "bert", "gguf", "lora", "mini", "sd x"]
        queries += [i.split("/")[1][: rnd.randint(2, 8)] for i in ids[:90]] + ids[90:140]
        times = []
        for q in queries:
            t = time.perf_counter()
            st.search(q, 20)
            times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return {
        "queries": len(times),
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": round(times[int(0.95 * len(times)) - 1], 2),
        "max_ms": round(times[-1], 2),
    }


def open_bench(cache: Path) -> float:
    from hubatlas.core.store.snapshot import open_snapshot

    best = 1e9
    for _ in range(5):
        t = time.perf_counter()
        snap = open_snapshot(cache)
        snap.column("x")
        best = min(best, (time.perf_counter() - t) * 1000)
    return round(best, 1)


if __name__ == "__main__":
    main()
