"""Memory of repeated exports: the process's RSS after each of N ``render_tiled`` calls (each makes and closes
the hidden canvas an export or a time-lapse frame uses), with the "as of" filter moved every call as a
time-lapse does. Flat figures mean nothing is kept between renders (issue 38: VisPy's EGL backend kept every
closed canvas and its GL context, about 25 MB a call).

    bench/render_memory.py --cache ATLAS [--size 320x200] [--renders 20]

Without a display (``env -u DISPLAY``) it renders through EGL, as ``hubatlas export`` does on a server; under
``xvfb-run`` through the display's GL."""

from __future__ import annotations

import argparse
import gc
from dataclasses import replace
from pathlib import Path


def rss_mb() -> float:
    """Resident memory of this process (Linux /proc), MB."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", required=True, type=Path)
    ap.add_argument("--size", default="320x200")
    ap.add_argument("--renders", type=int, default=20)
    a = ap.parse_args()
    w, h = (int(v) for v in a.size.lower().split("x"))

    from hubatlas.core.store.database import Store
    from hubatlas.core.store.snapshot import open_snapshot
    from hubatlas.viewer._vispy.canvas import make_canvas
    from hubatlas.viewer._vispy.export import TILE_UNKNOWN, render_tiled
    from hubatlas.viewer.layers.atlas_model import AtlasModel

    store = Store(a.cache, readonly=True)
    model = AtlasModel(open_snapshot(a.cache), store)
    atlas = make_canvas(model, (min(w, TILE_UNKNOWN), min(h, TILE_UNKNOWN)))
    before = atlas.state.filters
    figures = []
    for i in range(a.renders):
        atlas.state.update(filters=replace(before, as_of_day=18000 + 30 * i))
        render_tiled(atlas, w, h, TILE_UNKNOWN)
        gc.collect()
        figures.append(rss_mb())
    atlas.close()
    print(f"{model.n:,} models, {a.renders} renders of {w}×{h}: RSS MB after each:")
    print(" ".join(f"{v:.0f}" for v in figures))
    growth = (figures[-1] - figures[0]) / max(a.renders - 1, 1)
    print(f"first {figures[0]:.0f} MB, last {figures[-1]:.0f} MB, {growth:+.1f} MB a render")


if __name__ == "__main__":
    main()
