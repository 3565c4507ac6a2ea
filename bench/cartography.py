"""Cartography figures of a laid-out atlas: how much of the overview is lit, how many labels there are, and
what choosing the labels costs per frame.

    python -m bench.cartography --cache DIR            # an atlas with a layout (e.g. the real 2024-07 one)
    python -m bench.cartography --real FILE.jsonl[.gz] # import that file into a temporary cache and lay it out
    ... --picture PATH.png                             # and save the labelled overview the README shows

- lit share: fraction of the pixels of the default 1600×1000 export (defaults, no legend, no labels, no
  attribution) that differ from the background, the same of a 3200×2000 export and their ratio, and the
  share of the lit pixels of the overview by task that are grey (no task, none predicted) (needs OpenGL: a
  display, Xvfb or EGL);
- ocean: the share of the 64×64 cells over the data's bounding square that hold no model;
- labels: in all, at the overview (min_zoom 1), drawn at the overview of a 1600×1000 view, levels, how many
  of the 20 largest families are named by zoom 2, and how pure the overview labels' surroundings are;
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


def _export(cache: Path, out: Path, width: int, height: int, *extra: str) -> np.ndarray:
    run_stage(
        [
            *HUB,
            "--cache",
            str(cache),
            "export",
            "--out",
            str(out),
            "--width",
            str(width),
            "--height",
            str(height),
            "--no-legend",
            "--no-labels",
            "--no-attribution",
            *extra,
        ]
    )
    from PIL import Image

    return np.asarray(Image.open(out).convert("RGB")).astype(np.int16)


def lit_share(cache: Path, work: Path) -> dict:
    """Lit share of the default 1600×1000 export, of a 2× one (their ratio), and the grey share of the lit
    pixels of the default overview coloured by task (predicted values shown, as by default)."""
    from hubatlas.viewer.layers.atlas_state import theme_named

    bg = np.array([round(c * 255) for c in theme_named("dark").background[:3]], np.int16)
    try:
        one = _export(cache, work / "plain.png", 1600, 1000)
        two = _export(cache, work / "plain2.png", 3200, 2000)
        task = _export(cache, work / "task.png", 1600, 1000, "--color-by", "pipeline_tag")
    except SystemExit as e:
        return {"lit_share": None, "why": str(e)[-300:]}

    def lit(img: np.ndarray) -> np.ndarray:
        return np.abs(img - bg).max(-1) > 0

    share1, share2 = float(lit(one).mean()), float(lit(two).mean())
    on = lit(task)
    chroma = task.max(-1) - task.min(-1)
    return {
        "lit_share": round(share1, 4),
        "lit_share_2x": round(share2, 4),
        "lit_ratio_2x": round(share2 / max(share1, 1e-9), 3),
        "grey_share_of_lit_by_task": round(float((on & (chroma < 16)).sum() / max(on.sum(), 1)), 4),
        "image": "1600x1000 (and 3200x2000) dark, no legend/labels/attribution",
    }


def empty_cells(cache: Path, grid: int = 64) -> dict:
    """Share of the cells of a grid×grid partition of the data's bounding square that hold no model."""
    from hubatlas.core.store.snapshot import open_snapshot

    snap = open_snapshot(cache)
    xy = np.stack([snap.column("x"), snap.column("y")], 1)
    xy = xy[np.isfinite(xy).all(1)]
    lo, side = xy.min(0), float((xy.max(0) - xy.min(0)).max()) or 1.0
    cell = np.minimum(((xy - lo) / side * grid).astype(np.int64), grid - 1)
    used = np.unique(cell[:, 0] * grid + cell[:, 1]).size
    return {f"empty_cells_{grid}": round(1 - used / grid**2, 4)}


def label_quality(snap, table) -> dict:
    """Levels; how many of the 20 largest families are named by zoom 2 (a family label at most 2); and per
    overview label the share of its 50 nearest models that are what it names (its kind's value, read off
    the models it names)."""
    from scipy.spatial import cKDTree

    from hubatlas.core.layout.label_candidates import candidates

    cand = candidates(snap)
    xy = np.stack([snap.column("x"), snap.column("y")], 1)
    d = table.to_pydict()
    mz = np.asarray(d["min_zoom"])
    tree = cKDTree(np.nan_to_num(xy, nan=1e9))
    purity = []
    for i in np.flatnonzero(mz == 1):
        kind, members = d["kind"][i], d["members"][i]
        if kind not in cand.codes or not members:
            continue
        code = cand.codes[kind]
        vals = code[members]
        if kind == "family":  # a label of sibling families ("Whisper") names each of them
            named_values = np.unique(vals[vals >= 0])
        else:
            named_values = np.bincount(vals[vals >= 0]).argmax(keepdims=True) if (vals >= 0).any() else []
        _, near = tree.query([d["x"][i], d["y"][i]], k=min(50, len(xy)))
        purity.append(float(np.mean(np.isin(code[near], named_values))))
    fam, root = snap.column("family").astype(np.int64), snap.column("root").astype(np.int64)
    sizes = np.bincount(fam)
    named = 0
    fam_rows = np.flatnonzero((mz <= 2) & (np.asarray(d["kind"]) == "family"))
    family_texts = {d["text"][i] for i in fam_rows}
    for f in np.argsort(-sizes)[:20]:
        r = int(root[np.flatnonzero(fam == f)[0]])
        name = cand.texts["family"][r]
        merged = (
            any(  # a label of siblings: its words begin the family's name and it names the family's models
                (name + " ").startswith(d["text"][i] + " ")
                and (cand.codes["family"][d["members"][i]] == r).any()
                for i in fam_rows
            )
        )
        named += name in family_texts or merged
    return {
        "levels": len(set(mz.tolist())),
        "top20_families_named_by_zoom2": int(named),
        "overview_label_purity_median": round(float(np.median(purity)), 3) if purity else None,
        "overview_labels_purity_at_least_0.8": f"{sum(p >= 0.8 for p in purity)}/{len(purity)}",
    }


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
    return label_quality(snap, table) | {
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
        result.update(empty_cells(cache))
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
