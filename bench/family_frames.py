"""Frames while zooming and panning with the largest family selected (issue 36), beside the plain map's, in
one run on one atlas: the scripted path circles the family's centre while zooming from the whole map to 30x
and back. Each frame is timed from the camera change (so the handlers that follow it count: edges, labels,
level of detail) to its finished draw (glFinish, no read-back).

    xvfb-run -a python -m bench.family_frames --cache /tmp/real-atlas [--frames 100] [--size 1400x900]

Prints p50/p95 for both and the family's size and edges drawn; last line JSON (also
bench/results/family_frames.json). Target: family-selected p95 <= 50 ms on a 2-core VM with Mesa llvmpipe.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from bench._gl import make_fbo, percentiles, timed_draw, use_backend
from bench._util import emit


def family_path(centre: tuple[float, float], frames: int) -> list[tuple[float, float, float, float]]:
    """Camera rectangles: from the whole map zoom to 30x on ``centre`` while circling it, then back out."""
    out = []
    for i in range(frames):
        phase = i / max(frames - 1, 1)
        z = 1 + 29 * np.sin(np.pi * phase) ** 2
        pull = 1 - 1 / z
        cx = centre[0] * pull + 0.2 * np.cos(2 * np.pi * phase) / np.sqrt(z)
        cy = centre[1] * pull + 0.2 * np.sin(2 * np.pi * phase) / np.sqrt(z)
        half = 1.1 / z
        out.append((cx - half, cy - half, 2 * half, 2 * half))
    return out


def fly(atlas, fbo, path) -> tuple[list[float], list[int]]:
    """Each frame from the camera change to its finished draw; the edges the selection drew in each."""
    cam = atlas.view.camera
    ms, edges = [], []
    for rect in path:
        t = time.perf_counter()
        cam.rect = rect
        took = timed_draw(atlas.canvas, fbo, start=t)
        atlas.note_frame(took)
        ms.append(took)
        edges.append(int(getattr(atlas.selection, "drawn", 0)))
    return ms, edges


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache", type=Path, required=True, help="an atlas with a layout (read only)")
    ap.add_argument("--frames", type=int, default=100)
    ap.add_argument("--size", default="1400x900")
    ap.add_argument("--egl", action="store_true", help="use VisPy's EGL backend (headless GPU)")
    a = ap.parse_args()
    w, h = (int(v) for v in a.size.split("x"))
    backend = use_backend(a.egl)
    from vispy.gloo import gl

    from hubatlas.core.store.snapshot import open_snapshot
    from hubatlas.viewer._vispy.canvas import AtlasCanvas
    from hubatlas.viewer.layers.atlas_model import AtlasModel
    from hubatlas.viewer.layers.atlas_state import Selection

    model = AtlasModel(open_snapshot(a.cache))
    atlas = AtlasCanvas(model, size=(w, h), show=False)
    fbo = make_fbo(w, h)
    atlas.settle()
    timed_draw(atlas.canvas, fbo)
    fam = int(np.argmax(model.family_sizes))
    members = model.family_of(int(np.flatnonzero(model.column("family") == fam)[0]))
    root = int(members[np.argmax(model.family_tree.below()[members])])
    centre = tuple(float(v) for v in np.median(model.xy[members[model.placed[members]]], axis=0))
    path = family_path(centre, a.frames)
    plain, _ = fly(atlas, fbo, path)
    t = time.perf_counter()
    lineage = model.lineage(root)
    atlas.state.update(selection=Selection(root, members, lineage))
    select_ms = (time.perf_counter() - t) * 1000
    atlas.settle()
    timed_draw(atlas.canvas, fbo)
    family, edges = fly(atlas, fbo, path)
    res = {
        "models": model.n,
        "size": [w, h],
        "gl_renderer": gl.glGetParameter(gl.GL_RENDERER),
        "backend": backend,
        "family_root": model.model_id(root),
        "family_models": len(members),
        "family_lineage_edges": len(lineage),
        "select_ms": round(select_ms, 1),
        **percentiles(plain, "plain"),
        **percentiles(family, "family"),
        "family_edges_drawn": {"min": min(edges), "median": int(np.median(edges)), "max": max(edges)},
    }
    atlas.close()
    print(f"plain map:       p50 {res['plain_p50_ms']} ms, p95 {res['plain_p95_ms']} ms")
    print(
        f"family selected: p50 {res['family_p50_ms']} ms, p95 {res['family_p95_ms']} ms "
        f"({res['family_root']}: {len(members):,} models, {len(lineage):,} lineage edges)"
    )
    emit("family_frames", res)


if __name__ == "__main__":
    main()
