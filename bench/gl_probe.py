"""What limits drawing millions of points on a GPU: the same frame timed with the point count, blending,
point size, spread (overdraw) and shader varied (VisPy, EGL or the default backend). Last line: JSON."""

from __future__ import annotations

import json
import sys
import time

import numpy as np

from bench._gl import make_fbo, timed_draw, use_backend

VERT = """
attribute vec2 a_position;
uniform float u_size;
void main() { gl_Position = $transform(vec4(a_position, 0.0, 1.0)); gl_PointSize = u_size; }
"""
FRAG = "void main() { gl_FragColor = vec4(0.3, 0.6, 0.9, 0.4); }"


def morton(xy):
    q = np.clip(((xy + 1) * 512).astype(np.uint32), 0, 1023)
    key = np.zeros(len(xy), np.uint32)
    for b in range(10):
        key |= ((q[:, 0] >> b) & 1) << (2 * b) | ((q[:, 1] >> b) & 1) << (2 * b + 1)
    return key


def chunk_sorted(xy, chunk):
    key = morton(xy)
    out = np.empty_like(xy)
    for i in range(0, len(xy), chunk):
        k = key[i : i + chunk]
        out[i : i + chunk] = xy[i : i + chunk][np.argsort(k, kind="stable")]
    return out


def main() -> None:
    egl = "--egl" in sys.argv
    backend = use_backend(egl)
    from vispy import gloo, scene
    from vispy.gloo import gl
    from vispy.scene.visuals import create_visual_node
    from vispy.visuals import Visual

    rng = np.random.default_rng(0)
    import os

    n = int(os.environ.get("PROBE_POINTS", 2_000_000))
    centres = rng.uniform(-0.8, 0.8, (40, 2))
    blobs = (centres[rng.integers(0, 40, n)] + rng.normal(0, 0.05, (n, 2))).astype(np.float32)
    uniform = rng.uniform(-1, 1, (n, 2)).astype(np.float32)

    class ProbePointsVisual(Visual):
        def __init__(self, xy, size, blend):
            super().__init__(vcode=VERT, fcode=FRAG)
            self._draw_mode = "points"
            if blend == "separate":
                self.set_gl_state(
                    "translucent",
                    depth_test=False,
                    blend=True,
                    blend_func=("src_alpha", "one_minus_src_alpha", "one", "one_minus_src_alpha"),
                )
            else:
                self.set_gl_state("translucent" if blend else "opaque", depth_test=False, blend=blend)
            self.shared_program["a_position"] = gloo.VertexBuffer(xy)
            self.shared_program["u_size"] = float(size)

        def _prepare_transforms(self, view):
            view.view_program.vert["transform"] = view.get_transform()

    Probe = create_visual_node(ProbePointsVisual)
    out = {"backend": backend}
    variants = {
        "random_order": (blobs, 1, True),
        "random_order_separate_alpha": (blobs, 1, "separate"),
        "chunks8k": (chunk_sorted(blobs, 8192), 1, True),
        "chunks16k": (chunk_sorted(blobs, 16384), 1, True),
        "chunks32k": (chunk_sorted(blobs, 32768), 1, True),
        "chunks64k": (chunk_sorted(blobs, 65536), 1, True),
        "chunks16k_separate_alpha": (chunk_sorted(blobs, 16384), 1, "separate"),
        "chunks16k_1.07px": (chunk_sorted(blobs, 16384), 1.07, True),
        "noblend": (blobs, 1, False),
        "uniform_spread": (uniform, 1, True),
        "morton_whole": (blobs[np.argsort(morton(blobs))], 1, True),
        "random_order_3px": (blobs, 3, True),
    }
    for name, (xy, size, blend) in variants.items():
        c = scene.SceneCanvas(size=(1600, 1000), show=False)
        v = c.central_widget.add_view()
        v.camera = scene.PanZoomCamera(aspect=1)
        v.camera.rect = (-1.1, -1.1, 2.2, 2.2)
        Probe(xy, size, blend, parent=v.scene)
        c.set_current()
        out.setdefault("gl_renderer", gl.glGetParameter(gl.GL_RENDERER))
        fbo = make_fbo(1600, 1000)
        timed_draw(c, fbo)
        ms = sorted(timed_draw(c, fbo) for _ in range(20))
        out[name] = {"p50_ms": round(ms[10], 2), "p95_ms": round(ms[18], 2)}
        print(name, out[name], file=sys.stderr, flush=True)
        c.close()
    sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    t = time.perf_counter()
    main()
    print(f"{time.perf_counter() - t:.1f} s", file=sys.stderr)
