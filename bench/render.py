"""Render benchmark: open a synthetic atlas, drive a scripted continuous pan and zoom, time each frame's draw
to completion (glFinish, no pixel read-back), then a full-detail frame at rest, hover picking, and state
changes: the time from a change (colour mode, legend toggle, filter, "as of" tick) to its finished frame.

    python -m bench.render [--models 2000000] [--cache DIR] [--frames 120] [--changes 40] [--size 1600x1000]

Needs a GL context: Xvfb + Mesa here (the test command starts one; or run under `xvfb-run`), or VisPy's
`egl` backend on a GPU machine (`--egl`). Last line: JSON (also bench/results/render.json).
Targets: Mesa on this 2-core machine: first frame <= 3 s, interaction p95 <= 50 ms, state change p95 <= 60 ms,
full detail at rest <= 1.5 s, RSS <= 2.5 GB; NVIDIA GPU with all points every frame: p95 <= 6 ms (H100),
state change p95 <= 8 ms.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import time
from pathlib import Path

import numpy as np

from bench._gl import camera_path, ensure_atlas, make_fbo, percentiles, timed_draw, use_backend
from bench._util import emit
from hubatlas.viewer.layers.atlas_model import AtlasModel


def state_changes(atlas, fbo, rounds: int) -> dict:
    """``rounds`` changes of each kind, each timed from the call that makes it to its finished frame."""
    from hubatlas.core.common.filters import Filters

    snap = atlas.model.snap
    modes = ["modality", "pipeline_tag", "license", "library_name", "relation", "created", "downloads"]
    codes, labels = snap.codes("pipeline_tag")
    top = [int(i) for i in np.argsort(-np.bincount(codes[codes >= 0], minlength=len(labels)))[:8]]
    day = snap.column("created_day")
    d0, d1 = int(day[day >= 0].min()), int(day[day >= 0].max())
    kinds = {
        "colour_mode": lambda i: atlas.state.color_by(modes[(i + 1) % len(modes)]),
        "legend_toggle": lambda i: atlas.state.show_class(0, i % 2 == 1),
        "filter": lambda i: atlas.state.update(
            filters=Filters(dict(Filters.none().values, pipeline_tag=top[i % len(top)]))
        ),
        "as_of_tick": lambda i: atlas.state.update(
            filters=Filters(Filters.none().values, as_of_day=d0 + (i + 1) * max((d1 - d0) // rounds, 1))
        ),
    }
    out, every = {}, []
    for kind, change in kinds.items():
        atlas.state.update(filters=Filters.none())
        atlas.state.color_by("modality")
        atlas.settle()
        timed_draw(atlas.canvas, fbo)
        ms = []
        for i in range(rounds):
            t = time.perf_counter()
            change(i)
            ms.append(timed_draw(atlas.canvas, fbo, start=t))
        out[kind] = percentiles(ms, "ms")
        every += ms
    atlas.state.update(filters=Filters.none())
    atlas.state.color_by("modality")
    atlas.settle()
    return {
        **percentiles(every, "state_change"),
        "state_change_by_kind": out,
        "state_change_points_drawn": atlas.points.drawn,
    }


def hover_picks(atlas, w: int, h: int) -> list[float]:
    """Milliseconds of 300 random hover picks at the overview and 300 at 20x."""
    rng = np.random.default_rng(0)
    picks = []
    for zoom in (1.0, 20.0):
        if zoom > 1:
            atlas.fly_to(int(atlas.order[int(rng.integers(0, len(atlas.order)))]), zoom=zoom)
        else:
            atlas.reset_view()
        atlas.settle()
        for _ in range(300):
            t = time.perf_counter()
            atlas.pick(float(rng.uniform(0, w)), float(rng.uniform(0, h)))
            picks.append((time.perf_counter() - t) * 1000)
    return picks


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", type=int, default=2_000_000)
    ap.add_argument("--cache", type=Path, help="an existing atlas with a layout (else one is made)")
    ap.add_argument("--frames", type=int, default=120)
    ap.add_argument("--changes", type=int, default=40, help="state changes of each kind (default 40)")
    ap.add_argument("--size", default="1600x1000")
    ap.add_argument("--egl", action="store_true", help="use VisPy's EGL backend (headless GPU)")
    ap.add_argument("--all-points", action="store_true", help="draw every point in every frame (no LOD)")
    a = ap.parse_args()
    w, h = (int(v) for v in a.size.split("x"))
    cache, made = ensure_atlas(a.models, a.cache)
    try:
        backend = use_backend(a.egl)
        from vispy.gloo import gl

        from hubatlas.core.store.snapshot import open_snapshot
        from hubatlas.viewer._vispy.canvas import AtlasCanvas

        t0 = time.perf_counter()
        snap = open_snapshot(cache)
        atlas = AtlasCanvas(
            AtlasModel(snap), size=(w, h), show=False, interaction_points=10**12 if a.all_points else None
        )
        fbo = make_fbo(w, h)
        atlas.settle()
        timed_draw(atlas.canvas, fbo)
        first = time.perf_counter() - t0
        renderer, version = gl.glGetParameter(gl.GL_RENDERER), gl.glGetParameter(gl.GL_VERSION)
        times, drawn = [], []
        cam = atlas.view.camera
        for rect in camera_path(atlas.xy[atlas.placed], a.frames):
            cam.rect = rect  # a camera change = interaction
            ms = timed_draw(atlas.canvas, fbo)
            atlas.note_frame(ms)  # as the app's draw handler does on the frames it times
            times.append(ms)
            drawn.append(atlas.points.drawn)
        atlas.reset_view()
        atlas.settle()
        rest = [timed_draw(atlas.canvas, fbo) for _ in range(3)]
        full_points = atlas.points.drawn
        changes = state_changes(atlas, fbo, a.changes)
        picks = hover_picks(atlas, w, h)
        res = {
            "models": len(snap),
            "size": [w, h],
            "gl_renderer": renderer,
            "gl_version": version,
            "backend": backend,
            "all_points": a.all_points,
            "open_to_first_frame_s": round(first, 2),
            "interaction_frames": len(times),
            **percentiles(times, "interaction"),
            "points_drawn_per_frame": {
                "min": int(min(drawn)),
                "median": int(np.median(drawn)),
                "max": int(max(drawn)),
            },
            "adaptive_sample": atlas.interaction_points,
            "ms_per_point": atlas.ms_per_point,
            "full_detail_at_rest_ms": round(float(np.median(rest)), 1),
            "full_detail_points": full_points,
            **changes,
            **percentiles(picks, "hover_pick"),
            "point_buffer_uploads": atlas.points.uploads,
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
        atlas.close()
    finally:
        if made:
            shutil.rmtree(cache.parent, ignore_errors=True)
    emit("render-all-points" if a.all_points else "render", res)


if __name__ == "__main__":
    main()
