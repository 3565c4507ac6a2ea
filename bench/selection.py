"""What box and lasso selection cost on a laid-out atlas (the window's Select tools), without a window:

    python -m bench.selection --cache DIR     # an atlas with a layout (the 2M synthetic one, the real 2024-07 one)

- lasso: a 64-vertex non-convex polygon around the middle of the map (in_polygon), median of 5;
- box: the same polygon's bounding box (in_box), median of 5;
- summary of the lasso's selection (counts by task, licence, library, modality; downloads) and its CSV export;
- the minimap's density picture (made once per atlas and theme).

Last line: JSON (also bench/results/selection.json).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from bench._util import emit


def timed(fn, repeat: int = 5) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - t) * 1000)
    return round(statistics.median(times), 1), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache", required=True, type=Path)
    args = ap.parse_args()
    from hubatlas.core.store.snapshot import open_snapshot
    from hubatlas.viewer._qt.minimap import SIZE, density_image
    from hubatlas.viewer.layers.region import in_box, in_polygon, summarise, write_csv

    snap = open_snapshot(args.cache)
    xy = np.stack([snap.column("x"), snap.column("y")], 1).astype(np.float32)
    shown = np.isfinite(xy).all(1)
    ang = np.linspace(0, 2 * np.pi, 64, endpoint=False)
    rad = 0.35 + 0.15 * np.sin(5 * ang)  # a five-pointed, non-convex lasso
    poly = np.stack([rad * np.cos(ang), rad * np.sin(ang)], 1)
    lasso_ms, nodes = timed(lambda: in_polygon(xy, shown, poly))
    (x0, y0), (x1, y1) = poly.min(0), poly.max(0)
    box_ms, boxed = timed(lambda: in_box(xy, shown, x0, y0, x1, y1))
    summary_ms, _ = timed(lambda: summarise(snap, nodes), repeat=3)
    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter()
        write_csv(Path(d) / "sel.csv", snap, nodes)
        csv_s = round(time.perf_counter() - t, 2)
    minimap_ms, _ = timed(lambda: density_image(xy, shown, SIZE, (0, 0, 0, 1), (1, 1, 1, 1)), repeat=3)
    emit(
        "selection",
        {
            "cache": str(args.cache),
            "nodes": len(snap),
            "lasso_selected": len(nodes),
            "lasso_ms": lasso_ms,
            "box_selected": len(boxed),
            "box_ms": box_ms,
            "summary_ms": summary_ms,
            "csv_seconds": csv_s,
            "minimap_image_ms": minimap_ms,
        },
    )


if __name__ == "__main__":
    main()
