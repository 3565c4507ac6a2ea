"""Cartography figures of a laid-out atlas: how much of the overview is lit, how many labels there are, and
what choosing the labels costs per frame.

    python -m bench.cartography --cache DIR            # an atlas with a layout (e.g. the real 2024-07 one)
    python -m bench.cartography --real FILE.jsonl[.gz] # import that file into a temporary cache and lay it out
    ... --picture PATH.png                             # and save the labelled overview the README shows

- lit share: fraction of the pixels of the default 1600×1000 export (defaults, no legend, no labels, no
  attribution) that differ from the background (needs OpenGL: a display, Xvfb or EGL);
- labels: in all, at the overview (min_zoom 1), and drawn at the overview of a 1600×1000 view;
- label frame cost: LabelSet.choose over a 240-view camera path (zoom 1 to 64), median and p95 milliseconds.

Last line: JSON (also bench/results/cartography.json). Real data is read from where it lies, never copied.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench._util import emit, run_stage

HUB = [sys.executable, "-m", "hubatlas.viewer.cli"]


def lit_share(cache: Path, work: Path) -> dict:
    out = work / "overview.png"
    try:
        run_stage(
            [
                *HUB,
                "--cache",
                str(cache),
                "export",
                "--out",
                str(out),
                "--width",
                "1600",
                "--height",
                "1000",
                "--no-legend",
                "--no-labels",
                "--no-attribution",
            ]
        )
    except SystemExit as e:
        return {"lit_share": None, "why": str(e)[-300:]}
    from PIL import Image

    img = np.asarray(Image.open(out).convert("RGB")).astype(np.int16)
    from hubatlas.viewer.layers.atlas_state import theme_named

    bg = np.array([round(c * 255) for c in theme_named("dark").background[:3]], np.int16)
    return {"lit_share": round(float((np.abs(img - bg).max(-1) > 0).mean()), 4), "image": "1600x1000 dark"}


def label_figures(cache: Path) -> dict:
    from hubatlas.core.layout.labels import ensure_labels
    from hubatlas.core.store.snapshot import open_snapshot
    from hubatlas.viewer.layers.labels import LabelSet

    snap = open_snapshot(cache)
    t = time.perf_counter()
    table = ensure_labels(snap)
    ensure_s = time.perf_counter() - t
    labels = LabelSet(table)
    size = (1600, 1000)
    half_w = 1.1 * 1.6
    overview = labels.choose((-half_w, -1.1, half_w, 1.1), size, 1.0)
    rng = np.random.default_rng(0)
    ms, drawn = [], []
    for zoom in np.geomspace(1, 64, 240):
        cx, cy = rng.uniform(-0.7, 0.7, 2) if zoom > 1.5 else (0.0, 0.0)
        h = 1.1 / zoom
        t = time.perf_counter()
        placed = labels.choose((cx - h * 1.6, cy - h, cx + h * 1.6, cy + h), size, float(zoom))
        ms.append((time.perf_counter() - t) * 1000)
        drawn.append(len(placed))
    mz = table.column("min_zoom").to_numpy()
    return {
        "nodes": len(snap),
        "labels": int(table.num_rows),
        "labels_at_overview": int((mz == 1).sum()),
        "drawn_at_overview": len(overview),
        "overview_texts": [p.text for p in overview],
        "label_choice_ms": {
            "median": round(float(np.median(ms)), 3),
            "p95": round(float(np.quantile(ms, 0.95)), 3),
            "max": round(float(np.max(ms)), 3),
        },
        "drawn_per_view_median": int(np.median(drawn)),
        "labels_ready_seconds": round(ensure_s, 2),
    }


def import_real(path: Path, cache: Path, work: Path) -> dict:
    src = path
    if path.suffix == ".gz":
        src = work / path.stem
        with gzip.open(path, "rb") as f, open(src, "wb") as g:
            shutil.copyfileobj(f, g, 1 << 24)
    s = run_stage([*HUB, "--cache", str(cache), "import", str(src), "--json", "-q"])
    lay = run_stage([*HUB, "--cache", str(cache), "layout", "--json", "-q"])
    return {"import_seconds": s["seconds"], "layout_seconds": json.loads(lay["stdout"])["seconds"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--cache", type=Path, help="an atlas cache with a layout")
    g.add_argument("--real", type=Path, help="a Hub dump (JSONL, optionally .gz) to import and lay out first")
    ap.add_argument(
        "--picture", type=Path, help="also save the app's labelled export (1600×1000, by task) here"
    )
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="hubatlas-carto-bench-"))
    try:
        result: dict = {}
        cache = a.cache
        if a.real:
            cache = work / "cache"
            result["prepare"] = import_real(a.real, cache, work)
        result.update(label_figures(cache))
        result.update(lit_share(cache, work))
        if a.picture:
            run_stage(
                [
                    *HUB,
                    "--cache",
                    str(cache),
                    "export",
                    "--out",
                    str(a.picture),
                    "--width",
                    "1600",
                    "--height",
                    "1000",
                    "--color-by",
                    "pipeline_tag",
                    "--density",
                ]
            )
            result["picture"] = str(a.picture)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    emit("cartography", result)


if __name__ == "__main__":
    main()
