"""Sync benchmark: serve N synthetic records from the local Hub test server (pages of 1,000, Link cursors)
and run `hubatlas sync` against it through HF_ENDPOINT.

    python -m bench.sync [--models 2000000]

Last line: JSON (also bench/results/sync.json). Target (issue 4, 2-core machine): >= 10,000 models/s end to
end, peak RSS of the sync process <= 3 GB. The server runs in its own process on the same two cores.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench._util import emit, run_stage

HERE = Path(__file__).parent

SERVER = r"""
import sys, json
from hubserver import HubServer  # tests/hubserver.py, on the PYTHONPATH given below
from hubatlas.core.ingest.synth import generate, SynthParams, DAY0, RELATIONS

class SynthSource:
    def __init__(self, n):
        h = generate(SynthParams(models=n, seed=0))
        self.h = h
        self.n = n
        self.days = (DAY0 + h.created_day.astype("timedelta64[D]")).astype(str).tolist()
        self.parents = {{}}
        for c, p, r in h.edges:
            self.parents.setdefault(c, []).append((h.ids[p], RELATIONS[r]))
    def select(self, q):
        return range(self.n)
    def item(self, i, expand):
        h = self.h
        tags = [t for t in (h.library[i], h.pipeline_tag[i]) if t] + h.languages[i]
        for pid, r in self.parents.get(i, ()):
            tags += ["base_model:" + pid, "base_model:" + r + ":" + pid]
        if h.license[i]:
            tags.append("license:" + h.license[i])
        d = self.days[i] + "T12:00:00.000Z"
        rec = {{"_id": "%024x" % i, "id": h.ids[i], "author": h.ids[i].split("/")[0], "createdAt": d,
               "lastModified": d, "downloads": int(h.downloads[i]), "likes": int(h.likes[i]),
               "pipeline_tag": h.pipeline_tag[i], "library_name": h.library[i], "tags": tags, "gated": False}}
        if rec["pipeline_tag"] is None: del rec["pipeline_tag"]
        if rec["library_name"] is None: del rec["library_name"]
        return json.dumps(rec).encode()

srv = HubServer(SynthSource({n}), page_cap=1000)
print(srv.url, flush=True)
srv.serve_forever()
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", type=int, default=2_000_000)
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="hubatlas-sync-bench-"))
    code = SERVER.format(n=a.models)
    srv_env = dict(os.environ, PYTHONPATH=str(HERE.parent / "tests"))
    srv = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=srv_env)
    try:
        url = srv.stdout.readline().strip()
        print(f"serving {a.models:,} synthetic records at {url}", file=sys.stderr)
        env = {"HF_ENDPOINT": url, "HF_HOME": str(work / "hf"), "HF_HUB_DISABLE_TELEMETRY": "1"}
        s = run_stage(
            [
                sys.executable,
                "-m",
                "hubatlas.viewer.cli",
                "--cache",
                str(work / "cache"),
                "sync",
                "--json",
                "-q",
            ],
            env=env,
        )
        out = json.loads(s["stdout"])
        res = {
            "models": a.models,
            "fetched": out["fetched"],
            "pages": out["pages"],
            "sync_seconds": out["seconds"],
            "sync_models_per_second": out["models_per_second"],
            "end_to_end_seconds": s["seconds"],
            "end_to_end_models_per_second": round(out["fetched"] / s["seconds"], 1),
            "peak_rss_mib": s["peak_rss_mib"],
            "note": "end to end includes process start and snapshot rebuild",
        }
    finally:
        srv.terminate()
        srv.wait()
        shutil.rmtree(work, ignore_errors=True)
    emit("sync", res)


if __name__ == "__main__":
    main()
