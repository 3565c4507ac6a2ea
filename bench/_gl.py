"""Shared by the render benchmarks: a synthetic atlas with a layout, frames drawn to completion into an
offscreen framebuffer, and the scripted camera path (zoom into the densest region while circling it)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def ensure_atlas(models: int, cache: Path | None) -> tuple[Path, bool]:
    """(cache with a laid-out atlas, whether it was made here and is to be removed)."""
    if cache and (cache / "snapshot" / "manifest.json").exists():
        return cache, False
    cache = cache or Path(tempfile.mkdtemp(prefix="hubatlas-render-bench-")) / "atlas"
    hub = [sys.executable, "-m", "hubatlas.viewer.cli", "--cache", str(cache)]
    print(f"synth {models:,} + layout ...", file=sys.stderr)
    subprocess.run([*hub, "synth", "--models", str(models)], check=True, capture_output=True)
    subprocess.run([*hub, "layout", "-q"], check=True, capture_output=True)
    return cache, True


def use_backend(egl: bool) -> str:
    import vispy
    import vispy.app

    if egl:
        vispy.use(app="egl")
    return "egl" if egl else vispy.app.use_app().backend_name


def timed_draw(canvas, fbo, start: float | None = None) -> float:
    """Draw ``canvas`` (a VisPy SceneCanvas) into ``fbo`` to completion (glFinish); ms since ``start`` (default:
    the draw's own start)."""
    from vispy.gloo import gl

    t = time.perf_counter() if start is None else start
    canvas.set_current()
    canvas.push_fbo(fbo, (0, 0), canvas.size)
    try:
        canvas._draw_scene()
        gl.glFinish()
    finally:
        canvas.pop_fbo()
    return (time.perf_counter() - t) * 1000


def make_fbo(w: int, h: int):
    from vispy import gloo

    return gloo.FrameBuffer(color=gloo.RenderBuffer((h, w)), depth=gloo.RenderBuffer((h, w)))


def camera_path(xy: np.ndarray, frames: int) -> list[tuple[float, float, float, float]]:
    """Camera rectangles: zoom in toward the densest region of the layout while circling it, then back out (a
    fixed path would spend its zoomed-in frames over empty space on some layouts)."""
    hist, xe, ye = np.histogram2d(xy[:, 0], xy[:, 1], bins=32, range=[[-1, 1], [-1, 1]])
    ix, iy = np.unravel_index(int(hist.argmax()), hist.shape)
    dx, dy = (xe[ix] + xe[ix + 1]) / 2, (ye[iy] + ye[iy + 1]) / 2
    out = []
    for i in range(frames):
        phase = i / max(frames - 1, 1)
        z = 1 + 30 * np.sin(np.pi * phase) ** 2
        pull = 1 - 1 / z
        cx = dx * pull + 0.3 * np.cos(2 * np.pi * phase) / np.sqrt(z)
        cy = dy * pull + 0.3 * np.sin(2 * np.pi * phase) / np.sqrt(z)
        half = 1.1 / z
        out.append((cx - half, cy - half, 2 * half, 2 * half))
    return out


def percentiles(ms: list[float], prefix: str) -> dict:
    s = sorted(ms)
    return {
        f"{prefix}_p50_ms": round(s[len(s) // 2], 2),
        f"{prefix}_p95_ms": round(s[max(int(0.95 * len(s)) - 1, 0)], 2),
        f"{prefix}_max_ms": round(s[-1], 2),
        f"{prefix}_n": len(s),
    }
