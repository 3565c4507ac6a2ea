"""Real-data benchmark (issue 17): the 2024-07 Hub snapshot imported in a *shuffled* order, then search
latency and ranking, `predict --evaluate`, `predict`, `infer --evaluate` and `infer`, each with its peak RSS.

    python -m bench.real_hub --real ../shared/data/hub_2024-07/models_2024-07-11.dev.jsonl.gz [--seed 1]

The dump is read where it lies and shuffled into a temporary folder (never copied into the repository).
Last line: JSON (also bench/results/real_hub.json).
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench._util import emit, run_stage

HUB = [sys.executable, "-m", "hubatlas.viewer.cli"]
# (query, what must come first): exact ids and names in any case, and popular families typed as words
RANKING = [
    ("Llama-2-7b-hf", None),
    ("meta-llama/Llama-2-7b-hf", "meta-llama/Llama-2-7b-hf"),
    ("META-LLAMA/LLAMA-2-7B-HF", "meta-llama/Llama-2-7b-hf"),
    ("Meta-Llama-3-8B", "meta-llama/Meta-Llama-3-8B"),
    ("bert-base-uncased", "bert-base-uncased"),
    ("stabilityai/", None),
    ("llama", None),
    ("mistral 7b instruct", None),
    ("whisper-large-v3", "openai/whisper-large-v3"),
    ("gpt2", None),
]
LATENCY = [
    "l",
    "ll",
    "lla",
    "llam",
    "llama",
    "llama 3",
    "qwen",
    "bert",
    "sd",
    "gguf",
    "7b",
    "mistral",
    "meta-llama/",
    "TheBloke/",
    "whisper",
    "stable-diffusion",
    "lora",
    "bge",
    "e5",
    "phi",
]


def shuffled(path: Path, out: Path, seed: int) -> int:
    with (
        gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else open(path, encoding="utf-8") as f
    ):
        lines = [ln for ln in f if ln.strip()]
    random.Random(seed).shuffle(lines)
    out.write_text("".join(lines), encoding="utf-8")
    return len(lines)


def search_figures(cache: Path) -> dict:
    from hubatlas.core.store.database import Store

    with Store(cache, readonly=True) as s:
        ranking = []
        for q, want in RANKING:
            top = [h["id"] for h in s.search(q, 5)]
            ranking.append(
                {
                    "query": q,
                    "top5": top,
                    "expected_first": want,
                    "ok": None if want is None else bool(top) and top[0] == want,
                }
            )
        times = {}
        for q in LATENCY:
            runs = []
            for _ in range(3):
                t = time.perf_counter()
                s.search(q, 20)
                runs.append((time.perf_counter() - t) * 1000)
            times[q] = round(min(runs), 1)
        matches = s.conn.execute(
            "SELECT count(*) FROM models_fts WHERE models_fts MATCH '\"llama\"*'"
        ).fetchone()[0]
    ms = list(times.values())
    return {
        "ranking": ranking,
        "latency_ms": times,
        "latency_median_ms": round(statistics.median(ms), 1),
        "latency_max_ms": max(ms),
        "llama_matches": matches,
    }


def main() -> None:
    if sys.argv[1:2] == ["--shuffle-only"]:
        print(shuffled(Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])))
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--real", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="hubatlas-real-") as tmp:
        work = Path(tmp)
        src = work / "shuffled.jsonl"
        # shuffled in a child process: a child forked later from a big parent would report its memory as peak RSS
        n = int(
            run_stage([sys.executable, __file__, "--shuffle-only", str(a.real), str(src), str(a.seed)])[
                "stdout"
            ]
        )
        cache = work / "c"
        r: dict = {"data": a.real.name, "records": n, "shuffle_seed": a.seed}
        st = run_stage([*HUB, "--cache", str(cache), "import", str(src), "--json", "-q"])
        r["import"] = {"seconds": st["seconds"], "peak_rss_mib": st["peak_rss_mib"]}
        stats = json.loads(run_stage([*HUB, "--cache", str(cache), "stats", "--json"])["stdout"])
        r["stats"] = {
            k: stats[k]
            for k in (
                "models",
                "placeholders",
                "edges",
                "edges_by_relation",
                "self_loops_dropped",
                "invalid_parents_dropped",
            )
        }
        for name, args in (
            ("predict_evaluate", ["predict", "--evaluate"]),
            ("predict", ["predict"]),
            ("infer_evaluate", ["infer", "--evaluate"]),
            ("infer", ["infer"]),
        ):
            print(f"{name} ...", file=sys.stderr)
            st = run_stage([*HUB, "--cache", str(cache), *args, "--json"])
            out = json.loads(st["stdout"])
            r[name] = {"seconds": st["seconds"], "peak_rss_mib": st["peak_rss_mib"], "result": out}
        r["search"] = search_figures(
            cache
        )  # last: in this process (its memory would count in later children)
    emit("real_hub", r)


if __name__ == "__main__":
    main()
