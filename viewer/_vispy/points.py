"""A bare GL_POINTS visual for millions of points: 24 bytes a point (float32 x, y, RGBA), one upload,
zoom-dependent size, round antialiased sprites, alpha blending. Drawing a prefix (the level-of-detail
sample) or a subset (visible cells) switches an index buffer; the big vertex buffer is never re-uploaded."""
from __future__ import annotations

import numpy as np
from vispy import gloo
from vispy.scene.visuals import create_visual_node
from vispy.visuals import Visual

VERT = """
attribute vec2 a_position;
attribute vec4 a_color;
attribute float a_scale;
uniform float u_size;
uniform float u_use_scale;
varying vec4 v_color;
varying float v_size;
void main() {
    gl_Position = $transform(vec4(a_position, 0.0, 1.0));
    float s = u_size * mix(1.0, a_scale, u_use_scale);
    gl_PointSize = s;
    v_size = s;
    v_color = a_color;
}
"""

FRAG = """
varying vec4 v_color;
varying float v_size;
void main() {
    if (v_size > 2.5) {
        vec2 p = gl_PointCoord - vec2(0.5);
        float r = length(p) * v_size;
        float a = clamp(0.5 * v_size - r + 0.5, 0.0, 1.0);
        if (a <= 0.0) discard;
        gl_FragColor = vec4(v_color.rgb, v_color.a * a);
    } else {
        gl_FragColor = v_color;
    }
}
"""


def _unit(rgba: np.ndarray) -> np.ndarray:
    """RGBA uint8 -> float32 in [0, 1] (GL reads unnormalised bytes as 0..255)."""
    return np.ascontiguousarray(np.asarray(rgba, dtype=np.float32) / 255.0)


class PointsVisual(Visual):
    """Points with per-point colour; ``set_data`` once, then ``show_prefix``/``show_subset``/``show_all``."""

    def __init__(self):
        super().__init__(vcode=VERT, fcode=FRAG)
        self._draw_mode = "points"
        # "over" compositing for colour and for alpha, so renders onto a transparent background keep
        # correct coverage (alpha) for export
        self.set_gl_state("translucent", depth_test=False, blend=True,
                          blend_func=("src_alpha", "one_minus_src_alpha", "one", "one_minus_src_alpha"))
        self._pos = gloo.VertexBuffer(np.zeros((1, 2), np.float32))
        self._col = gloo.VertexBuffer(np.zeros((1, 4), np.float32))
        self.shared_program["a_position"] = self._pos
        self._scale = gloo.VertexBuffer(np.ones(1, np.float32))
        self.shared_program["a_color"] = self._col
        self.shared_program["a_scale"] = self._scale
        self.shared_program["u_size"] = 3.0
        self.shared_program["u_use_scale"] = 0.0
        self._n = 0
        self._index_buffer: gloo.IndexBuffer | None = None
        self._prefix_ib: gloo.IndexBuffer | None = None
        self._prefix_n = 0
        self.drawn = 0

    def set_data(self, pos: np.ndarray, rgba: np.ndarray, scale: np.ndarray | None = None) -> None:
        """Upload positions (n, 2) float32, colours (n, 4) uint8 and optional per-point size factors."""
        pos = np.ascontiguousarray(pos, dtype=np.float32)
        rgba = _unit(rgba)
        scale = np.ones(len(pos), np.float32) if scale is None else np.ascontiguousarray(scale, np.float32)
        if len(pos) == 0:
            pos, rgba, scale = np.zeros((1, 2), np.float32), np.zeros((1, 4), np.float32), np.ones(1, np.float32)
            self._n = 0
        else:
            self._n = len(pos)
        self._pos.set_data(pos)
        self._col.set_data(rgba)
        self._scale.set_data(scale)
        self.show_all()

    def set_colors(self, rgba: np.ndarray) -> None:
        if self._n:
            self._col.set_data(_unit(rgba))
        self.update()

    def use_scale(self, on: bool) -> None:
        """Multiply each point's size by its uploaded factor (e.g. by downloads) or not."""
        self.shared_program["u_use_scale"] = 1.0 if on else 0.0
        self.update()

    def set_size(self, px: float) -> None:
        self.shared_program["u_size"] = float(px)
        self.update()

    def show_all(self) -> None:
        self._index_buffer = None
        self.drawn = self._n
        self.visible = self._n > 0
        self.update()

    def show_prefix(self, k: int) -> None:
        """Draw only the first ``k`` points (an index buffer made once per k)."""
        k = int(min(k, self._n))
        if k >= self._n:
            return self.show_all()
        if self._prefix_ib is None or self._prefix_n != k:
            self._prefix_ib = gloo.IndexBuffer(np.arange(k, dtype=np.uint32))
            self._prefix_n = k
        self._index_buffer = self._prefix_ib
        self.drawn = k
        self.visible = k > 0
        self.update()

    def show_subset(self, idx: np.ndarray) -> None:
        """Draw only the given points (e.g. those in the visible cells)."""
        if len(idx) == 0:
            self.drawn = 0
            self.visible = False
            return
        self._index_buffer = gloo.IndexBuffer(np.ascontiguousarray(idx, dtype=np.uint32))
        self.drawn = len(idx)
        self.visible = True
        self.update()

    def _prepare_transforms(self, view):
        view.view_program.vert["transform"] = view.get_transform()

    def _prepare_draw(self, view):
        if self._n == 0:
            return False
        self._vshare.index_buffer = self._index_buffer
        return True

    def _compute_bounds(self, axis, view):
        return (-1.0, 1.0)


Points = create_visual_node(PointsVisual)
