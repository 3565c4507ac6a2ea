"""Import a weekly-snapshot models table of the real width: a synthetic ``models.parquet`` in the layout of
``hfmlsoc/hub_weekly_snapshots`` (the columns of ``cfahlgren1/hub-stats``'s models table, the wide ones present:
``siblings``, ``config``, ``safetensors``, ``gguf``, ``cardData``), then `hubatlas import` of it into a new atlas,
timed, with the peak memory of the importer and its reader process together (their RSS summed, sampled from
/proc every 0.1 s) and each one's own peak (wait4). The download is not part of it (`hubatlas get` verifies and
imports the same way).

    .venv/bin/python -m bench.snapshot_import --rows 2000000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from bench._util import emit

ROW_GROUP = 100_000
LIBS = ["transformers", "peft", "diffusers", "sentence-transformers", "gguf", "timm", "mlx", None]
TASKS = ["text-generation", "text-classification", "image-text-to-text", "feature-extraction", None]
RELS = ["finetune", "adapter", "quantized", "merge"]


def _pool(rng, n: int, make) -> list:
    return [make(i, rng) for i in range(n)]


def _card(i: int, rng) -> str:
    card = {"license": ["mit", "apache-2.0", "llama3.1", "other"][i % 4], "tags": ["generated", f"t{i}"]}
    if i % 3 == 0:
        card["base_model"] = f"org{i % 50}/base-{i % 400}"
    if i % 5 == 0:
        card["language"] = ["en", "fr", "de"][: 1 + i % 3]
    card["model-index"] = [{"name": f"m{i}", "results": [{"metrics": [{"type": "acc", "value": 0.5}] * 6}]}]
    card["widget"] = [{"text": "x" * int(rng.integers(50, 400))}]
    return json.dumps(card)


def _config(i: int, rng) -> str:
    return json.dumps(
        {
            "architectures": ["LlamaForCausalLM"],
            "model_type": "llama",
            "tokenizer_config": {
                "chat_template": "{% for m in messages %}" + "y" * int(rng.integers(200, 2000))
            },
        }
    )


def row_group(rng, start: int, n: int, pools: dict):
    """One row group of ``n`` models (ids from ``start``), built column by column with Arrow."""
    import pyarrow as pa
    import pyarrow.compute as pc

    idx = np.arange(start, start + n)
    author = pa.array([f"user{k}" for k in (idx % 97_000)])
    ids = pc.binary_join_element_wise(author, pa.array([f"model-{k}" for k in idx]), "/")
    tag_pool = pa.array(pools["tags"])
    n_tags = rng.integers(2, 12, n)
    tags = pa.ListArray.from_arrays(
        pa.array(np.concatenate([[0], np.cumsum(n_tags)]), pa.int32()),
        tag_pool.take(pa.array(rng.integers(0, len(pools["tags"]), int(n_tags.sum())))),
    )
    n_sib = rng.integers(3, 30, n)
    sib_names = pa.array(pools["files"]).take(
        pa.array(rng.integers(0, len(pools["files"]), int(n_sib.sum())))
    )
    siblings = pa.ListArray.from_arrays(
        pa.array(np.concatenate([[0], np.cumsum(n_sib)]), pa.int32()),
        pa.StructArray.from_arrays([sib_names], ["rfilename"]),
    )
    has_parent = rng.random(n) < 0.25
    # a parent is an earlier model of the file (as on the Hub, most parents are models of the same snapshot)
    parent = [f"user{j % 97_000}/model-{j}" for j in np.maximum(0, idx - 1 - idx % 13)]
    bm = [
        {"relation": RELS[k % 4], "models": [{"id": parent[j]}]} if has_parent[j] else None
        for j, k in enumerate(idx)
    ]
    bm_type = pa.struct([("relation", pa.string()), ("models", pa.list_(pa.struct([("id", pa.string())])))])
    created = (1_600_000_000_000 + rng.integers(0, 180_000_000_000, n)).astype("datetime64[ms]")
    st_type = pa.struct([("parameters", pa.map_(pa.string(), pa.int64())), ("total", pa.int64())])
    safetensors = [
        {"parameters": [("BF16", int(p))], "total": int(p)} if p % 2 else None
        for p in rng.integers(1, 10**10, n)
    ]
    gguf_type = pa.struct(
        [("total", pa.int64()), ("architecture", pa.string()), ("context_length", pa.int64())]
    )
    gguf = [
        {"total": 7 * 10**9, "architecture": "llama", "context_length": 8192} if k % 9 == 0 else None
        for k in idx
    ]
    return pa.table(
        {
            "id": ids,
            "author": author,
            "createdAt": pa.array(created, pa.timestamp("ms", tz="UTC")),
            "lastModified": pa.array(created + 86_400_000, pa.timestamp("ms", tz="UTC")),
            "cardData": pa.array(pools["cards"]).take(pa.array(rng.integers(0, len(pools["cards"]), n))),
            "downloads": pa.array(rng.zipf(1.6, n).astype(np.int64) % 10**9),
            "downloadsAllTime": pa.array(rng.zipf(1.5, n).astype(np.int64) % 10**10),
            "likes": pa.array(rng.zipf(2.0, n).astype(np.int64) % 10**6),
            "tags": tags,
            "pipeline_tag": pa.array([TASKS[k % len(TASKS)] for k in idx]),
            "library_name": pa.array([LIBS[k % len(LIBS)] for k in idx]),
            "baseModels": pa.array(bm, bm_type),
            "siblings": siblings,
            "config": pa.array(pools["configs"]).take(pa.array(rng.integers(0, len(pools["configs"]), n))),
            "safetensors": pa.array(safetensors, st_type),
            "gguf": pa.array(gguf, gguf_type),
            "trendingScore": pa.array(rng.random(n)),
        }
    )


def write_file(path: Path, rows: int, seed: int = 0) -> float:
    """Write the synthetic table; returns seconds."""
    import pyarrow.parquet as pq

    t = time.perf_counter()
    rng = np.random.default_rng(seed)
    pools = {
        "tags": [f"tag-{i}" for i in range(3000)]
        + [f"license:{x}" for x in ("mit", "apache-2.0")]
        + ["en", "fr"],
        "files": [f"model-{i:05d}-of-00030.safetensors" for i in range(20_000)]
        + ["config.json", "README.md"],
        "cards": _pool(rng, 20_000, _card),
        "configs": _pool(rng, 5_000, _config),
    }
    writer = None
    for start in range(0, rows, ROW_GROUP):
        tb = row_group(rng, start, min(ROW_GROUP, rows - start), pools)
        if writer is None:
            writer = pq.ParquetWriter(path, tb.schema, compression="zstd")
        writer.write_table(tb, row_group_size=ROW_GROUP)
    assert writer is not None
    writer.close()
    return time.perf_counter() - t


def _tree_rss(pid: int) -> int:
    """RSS (bytes) of a process and all its descendants, from /proc."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/statm") as f:
                total += int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            with open(f"/proc/{p}/task/{p}/children") as f:
                todo += [int(x) for x in f.read().split()]
        except (OSError, ValueError):
            continue
    return total


def run_import(path: Path, cache: Path) -> dict:
    cmd = [
        sys.executable,
        "-m",
        "hubatlas.viewer.cli",
        "--cache",
        str(cache),
        "import",
        "--json",
        "-q",
        str(path),
    ]
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = [0]

    def sample() -> None:
        while p.poll() is None:
            peak[0] = max(peak[0], _tree_rss(p.pid))
            time.sleep(0.1)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    out, err = p.communicate()
    dt = time.perf_counter() - t
    th.join()
    if p.returncode != 0:
        raise SystemExit(f"import failed:\n{err.decode()[-3000:]}")
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)
    return {
        "seconds": round(dt, 1),
        "cpu_seconds": round(cpu, 1),  # the importer and its reader process together (2 cores: up to 2x wall)
        "peak_rss_mib_summed": round(peak[0] / 2**20),
        "peak_rss_mib_largest": round(r1.ru_maxrss / 1024),
        "summary": json.loads(out),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--dir", help="work directory (default: a temporary one, removed)")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(dir=a.dir) as d:
        path = Path(d) / "models.parquet"
        gen = write_file(path, a.rows)
        imp = run_import(path, Path(d) / "atlas")
        s = imp.pop("summary")
        emit(
            f"snapshot_import_{a.rows}",
            {
                "rows": a.rows,
                "file_mb": round(path.stat().st_size / 1e6, 1),
                "generate_seconds": round(gen, 1),
                "import": imp,
                "records": s["records"],
                "edges": s["edges"],
                "rows_per_second": round(a.rows / imp["seconds"]),
                "command": f".venv/bin/python -m bench.snapshot_import --rows {a.rows}",
            },
        )


if __name__ == "__main__":
    main()
