"""Render benchmark: open a synthetic atlas, drive a scripted continuous pan and zoom, time each frame's draw
to completion (glFinish, no pixel read-back), then a full-detail frame at rest.

    python bench/render.py [--models 2000000] [--cache DIR] [--frames 120] [--size 1600x1000]

Needs a GL context: Xvfb + Mesa here (the test command starts one; or run under `xvfb-run`), or VisPy's
`egl` backend on a GPU machine (`--egl`). Last line: JSON (also bench/results/render.json).
Targets (issue 6): Mesa on this 2-core machine: first frame <= 3 s, interaction p95 <= 50 ms, full detail at
rest <= 1.5 s, RSS <= 2.5 GB; NVIDIA GPU: p95 <= 8 ms with all points drawn every frame.
"""
from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _util import emit  # noqa: E402


def ensure_atlas(models: int, cache: Path | None) -> Path:
    if cache and (cache / "snapshot" / "manifest.json").exists():
        return cache
    cache = cache or Path(tempfile.mkdtemp(prefix="hubatlas-render-bench-")) / "atlas"
    hub = [sys.executable, "-m", "hubatlas.viewer.cli", "--cache", str(cache)]
    print(f"synth {models:,} + layout ...", file=sys.stderr)
    subprocess.run(hub + ["synth", "--models", str(models)], check=True, capture_output=True)
    subprocess.run(hub + ["layout", "-q"], check=True, capture_output=True)
    return cache


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", type=int, default=2_000_000)
    ap.add_argument("--cache", type=Path, help="an existing atlas with a layout (else one is made)")
    ap.add_argument("--frames", type=int, default=120)
    ap.add_argument("--size", default="1600x1000")
    ap.add_argument("--egl", action="store_true", help="use VisPy's EGL backend (headless GPU)")
    ap.add_argument("--all-points", action="store_true", help="draw every point in every frame (no LOD)")
    a = ap.parse_args()
    w, h = (int(v) for v in a.size.split("x"))
    made = a.cache is None
    cache = ensure_atlas(a.models, a.cache)
    try:
        import vispy

        if a.egl:
            vispy.use(app="egl")
        from vispy import gloo
        from vispy.gloo import gl

        from hubatlas.core.store.snapshot import open_snapshot
        from hubatlas.viewer._vispy.canvas import AtlasCanvas

        def frame(atlas, fbo) -> float:
            c = atlas.canvas
            t = time.perf_counter()
            c.set_current()
            c.push_fbo(fbo, (0, 0), c.size)
            try:
                c._draw_scene()
                gl.glFinish()
            finally:
                c.pop_fbo()
            ms = (time.perf_counter() - t) * 1000
            atlas.note_frame(ms)  # as the app's draw handler does
            return ms

        t0 = time.perf_counter()
        snap = open_snapshot(cache)
        atlas = AtlasCanvas(snap, size=(w, h), show=False,
                            interaction_points=10**12 if a.all_points else None)
        fbo = gloo.FrameBuffer(color=gloo.RenderBuffer((h, w)), depth=gloo.RenderBuffer((h, w)))
        atlas.settle()
        frame(atlas, fbo)
        first = time.perf_counter() - t0
        renderer = gl.glGetParameter(gl.GL_RENDERER)
        version = gl.glGetParameter(gl.GL_VERSION)
        # scripted gesture: zoom in toward the densest region of this layout while circling it, then back out
        # (a fixed path would spend its zoomed-in frames over empty space on some layouts)
        placed = atlas.xy[atlas.placed]
        hist, xe, ye = np.histogram2d(placed[:, 0], placed[:, 1], bins=32, range=[[-1, 1], [-1, 1]])
        ix, iy = np.unravel_index(int(hist.argmax()), hist.shape)
        dx, dy = (xe[ix] + xe[ix + 1]) / 2, (ye[iy] + ye[iy + 1]) / 2
        times, drawn = [], []
        cam = atlas.view.camera
        for i in range(a.frames):
            phase = i / max(a.frames - 1, 1)
            z = 1 + 30 * np.sin(np.pi * phase) ** 2
            pull = 1 - 1 / z  # from the map's centre toward the dense region as the zoom grows
            cx = dx * pull + 0.3 * np.cos(2 * np.pi * phase) / np.sqrt(z)
            cy = dy * pull + 0.3 * np.sin(2 * np.pi * phase) / np.sqrt(z)
            half = 1.1 / z
            cam.rect = (cx - half, cy - half, 2 * half, 2 * half)  # a camera change = interaction
            times.append(frame(atlas, fbo))
            drawn.append(atlas.points.drawn)
        atlas.reset_view()
        atlas.settle()
        rest = [frame(atlas, fbo) for _ in range(3)]
        # hover: picking under random cursor positions, whole map and zoomed in
        rng = np.random.default_rng(0)
        picks = []
        for zoom in (1.0, 20.0):
            atlas.fly_to(int(rng.integers(0, len(snap))), zoom=zoom) if zoom > 1 else atlas.reset_view()
            atlas.settle()
            for _ in range(300):
                t = time.perf_counter()
                atlas.pick(float(rng.uniform(0, w)), float(rng.uniform(0, h)))
                picks.append((time.perf_counter() - t) * 1000)
        picks.sort()
        atlas.reset_view()
        atlas.settle()
        times.sort()
        res = {
            "models": len(snap), "size": [w, h], "gl_renderer": renderer, "gl_version": version,
            "backend": "egl" if a.egl else vispy.app.use_app().backend_name,
            "open_to_first_frame_s": round(first, 2),
            "interaction_frames": len(times), "interaction_p50_ms": round(times[len(times) // 2], 1),
            "interaction_p95_ms": round(times[int(0.95 * len(times)) - 1], 1),
            "interaction_max_ms": round(times[-1], 1),
            "points_drawn_per_frame": {"min": int(min(drawn)), "median": int(np.median(drawn)), "max": int(max(drawn))},
            "adaptive_sample": atlas.interaction_points, "ms_per_point": atlas.ms_per_point,
            "full_detail_at_rest_ms": round(float(np.median(rest)), 1),
            "full_detail_points": atlas.points.drawn,
            "hover_pick_p50_ms": round(picks[len(picks) // 2], 2),
            "hover_pick_p95_ms": round(picks[int(0.95 * len(picks)) - 1], 2),
            "hover_pick_max_ms": round(picks[-1], 2),
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
        atlas.close()
    finally:
        if made:
            shutil.rmtree(cache.parent, ignore_errors=True)
    emit("render", res)


if __name__ == "__main__":
    main()
