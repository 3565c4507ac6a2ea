"""The same points and the same camera path, measured in one run, for hubatlas and the tools a user would
otherwise pick to look at millions of points:

- hubatlas: its canvas as the app uses it (adaptive level of detail) and with every point every frame;
- vispy_markers: VisPy's own Markers visual (what hubatlas builds on) with the same positions and colours;
- bare_gl_points: a minimal GL_POINTS shader with per-point colour (a floor: no styling, no filtering);
- datashader: re-aggregating the points for every frame and shading the image (CPU);
- matplotlib: a scatter redrawn with the Agg backend for every frame (CPU).

    python -m bench.peers [--models 2000000] [--cache DIR] [--frames 60] [--slow-frames 8] [--egl]

A frame is timed from its start to its finished image (glFinish for the GL tools; the finished array for the
CPU ones). Peers that take over ``--slow-ms`` a frame are measured on ``--slow-frames`` frames of the same
path. A peer that cannot be imported is reported as skipped with the reason; peers are benchmark-only extras
(`pip install 'hubatlas[bench]'`), never runtime dependencies. Last line: JSON with ``peers``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from bench._gl import camera_path, ensure_atlas, make_fbo, percentiles, timed_draw, use_backend
from bench._util import emit
from hubatlas.viewer.layers.atlas_model import AtlasModel


def frames_for(first_ms: float, path: list, a) -> list:
    if first_ms <= a.slow_ms or len(path) <= a.slow_frames:
        return path
    idx = np.linspace(0, len(path) - 1, a.slow_frames).round().astype(int)
    return [path[i] for i in idx]


RENDERER: dict = {}


def gl_peer(canvas, camera, path, a, after=None) -> dict:
    from vispy.gloo import gl

    canvas.set_current()
    RENDERER.setdefault("gl_renderer", gl.glGetParameter(gl.GL_RENDERER))
    fbo = make_fbo(a.w, a.h)  # each canvas has its own GL context
    timed_draw(canvas, fbo)  # warm-up: shaders compiled, buffers uploaded
    camera.rect = path[0]
    if after:
        after()
    first = timed_draw(canvas, fbo)
    ms = []
    for rect in frames_for(first, path, a):
        camera.rect = rect
        t = time.perf_counter()
        if after:
            after()
        ms.append(timed_draw(canvas, fbo, start=t))
    return {**percentiles(ms, "interaction")}


def run_hubatlas(snap, path, a, all_points: bool) -> dict:
    from hubatlas.viewer._vispy.canvas import AtlasCanvas

    atlas = AtlasCanvas(
        AtlasModel(snap), size=(a.w, a.h), show=False, interaction_points=10**12 if all_points else None
    )
    try:
        drawn = []

        def feed():
            drawn.append(atlas.points.drawn)

        r = gl_peer(atlas.canvas, atlas.view.camera, path, a, after=feed)
        return {**r, "points_drawn_median": int(np.median(drawn))}
    finally:
        atlas.close()


def styled_points(snap):
    """Positions and modality colours of the placed nodes, as every peer gets them."""
    from hubatlas.viewer.layers.styling import AtlasStyle

    xy = np.stack([snap.column("x"), snap.column("y")], 1).astype(np.float32)
    ok = np.isfinite(xy).all(1)
    colors = AtlasStyle(snap).colors("modality", False, (0, 0, 0, 1))
    return xy[ok], colors.rgba[ok]


def run_markers(xy, rgba, path, a, size) -> dict:
    from vispy import scene

    c = scene.SceneCanvas(size=(a.w, a.h), show=False)
    v = c.central_widget.add_view()
    v.camera = scene.PanZoomCamera(aspect=1)
    m = scene.visuals.Markers(parent=v.scene)
    m.set_data(xy, face_color=rgba / 255.0, edge_width=0, size=size)
    try:
        return gl_peer(c, v.camera, path, a)
    finally:
        c.close()


BARE_VERT = """
attribute vec2 a_position;
attribute vec4 a_color;
uniform float u_size;
varying vec4 v_color;
void main() { gl_Position = $transform(vec4(a_position, 0.0, 1.0)); gl_PointSize = u_size; v_color = a_color; }
"""
BARE_FRAG = "varying vec4 v_color; void main() { gl_FragColor = v_color; }"


def run_bare(xy, rgba, path, a, size) -> dict:
    from vispy import gloo, scene
    from vispy.scene.visuals import create_visual_node
    from vispy.visuals import Visual

    class BarePointsVisual(Visual):
        def __init__(self):
            super().__init__(vcode=BARE_VERT, fcode=BARE_FRAG)
            self._draw_mode = "points"
            self.set_gl_state("translucent", depth_test=False)
            self.shared_program["a_position"] = gloo.VertexBuffer(xy)
            self.shared_program["a_color"] = gloo.VertexBuffer((rgba / 255.0).astype(np.float32))
            self.shared_program["u_size"] = float(size)

        def _prepare_transforms(self, view):
            view.view_program.vert["transform"] = view.get_transform()

    c = scene.SceneCanvas(size=(a.w, a.h), show=False)
    v = c.central_widget.add_view()
    v.camera = scene.PanZoomCamera(aspect=1)
    create_visual_node(BarePointsVisual)(parent=v.scene)
    try:
        return gl_peer(c, v.camera, path, a)
    finally:
        c.close()


def cpu_peer(frame, path, a) -> dict:
    """Time ``frame(rect)`` (an image made on the CPU) along the path (fewer frames for a slow peer)."""
    t = time.perf_counter()
    frame(path[0])
    first = (time.perf_counter() - t) * 1000
    ms = []
    for rect in frames_for(first, path, a):
        t = time.perf_counter()
        frame(rect)
        ms.append((time.perf_counter() - t) * 1000)
    return percentiles(ms, "interaction")


def widen(rect, w, h):
    x0, y0, rw, rh = rect
    if rw / rh < w / h:
        x0, rw = x0 - (rh * w / h - rw) / 2, rh * w / h
    return x0, x0 + rw, y0, y0 + rh


def run_datashader(xy, rgba, path, a) -> dict:
    import datashader as ds
    import datashader.transfer_functions as tf
    import pandas as pd

    df = pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1]})

    def frame(rect):
        x0, x1, y0, y1 = widen(rect, a.w, a.h)
        cvs = ds.Canvas(plot_width=a.w, plot_height=a.h, x_range=(x0, x1), y_range=(y0, y1))
        return tf.shade(cvs.points(df, "x", "y"), how="log").data

    frame(path[0])  # numba compiles on the first frame
    return cpu_peer(frame, path, a)


def run_matplotlib(xy, rgba, path, a, size) -> dict:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(a.w / 100, a.h / 100), dpi=100)
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_axes([0, 0, 1, 1])
    ax.set_axis_off()
    ax.scatter(xy[:, 0], xy[:, 1], s=size**2 / 4, c=rgba / 255.0, linewidths=0)

    def frame(rect):
        x0, x1, y0, y1 = widen(rect, a.w, a.h)
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        canvas.draw()
        return np.asarray(canvas.buffer_rgba())

    return cpu_peer(frame, path, a)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", type=int, default=2_000_000)
    ap.add_argument("--cache", type=Path, help="an existing atlas with a layout (else one is made)")
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--slow-frames", type=int, default=8)
    ap.add_argument("--slow-ms", type=float, default=300.0)
    ap.add_argument("--size", default="1600x1000")
    ap.add_argument("--egl", action="store_true", help="use VisPy's EGL backend (headless GPU)")
    ap.add_argument("--only", help="comma-separated peers to run (default: all)")
    a = ap.parse_args()
    a.w, a.h = (int(v) for v in a.size.split("x"))
    cache, made = ensure_atlas(a.models, a.cache)
    try:
        backend = use_backend(a.egl)
        from hubatlas.core.store.snapshot import open_snapshot
        from hubatlas.viewer._vispy.canvas import base_point_size

        snap = open_snapshot(cache)
        xy, rgba = styled_points(snap)
        path = camera_path(xy, a.frames)
        size = base_point_size(len(snap)) * 2  # about the app's size over the path's zoom range
        runs = {
            "hubatlas": lambda: run_hubatlas(snap, path, a, all_points=False),
            "hubatlas_all_points": lambda: run_hubatlas(snap, path, a, all_points=True),
            "vispy_markers": lambda: run_markers(xy, rgba, path, a, size),
            "bare_gl_points": lambda: run_bare(xy, rgba, path, a, size),
            "datashader": lambda: run_datashader(xy, rgba, path, a),
            "matplotlib": lambda: run_matplotlib(xy, rgba, path, a, size),
        }
        wanted = a.only.split(",") if a.only else list(runs)
        peers = {}
        for name in wanted:
            print(f"{name} ...", file=sys.stderr, flush=True)
            try:
                peers[name] = runs[name]()
            except ImportError as e:
                peers[name] = {"skipped": f"not installed: {e}"}
            print(f"{name}: {peers[name]}", file=sys.stderr, flush=True)
        base = peers.get("hubatlas", {}).get("interaction_p95_ms")
        for r in peers.values():
            if base and "interaction_p95_ms" in r:
                r["p95_vs_hubatlas"] = round(r["interaction_p95_ms"] / base, 2)
        res = {
            "models": len(snap),
            "size": [a.w, a.h],
            "backend": backend,
            **RENDERER,
            "frames": a.frames,
            "peers": peers,
        }
    finally:
        if made:
            shutil.rmtree(cache.parent, ignore_errors=True)
    emit("peers", res)


if __name__ == "__main__":
    main()
