"""A bare GL_POINTS visual for millions of points, styled on the GPU: each point is uploaded once (24 bytes:
x, y and four floats of packed codes, see layers.styling) and every state change is a uniform or a small
look-up texture: colour by any field or value, legend classes hidden (alpha 0 in the table), filters by
field, downloads and creation date ("as of"), size by downloads. Drawing a prefix (the level-of-detail sample)
or a subset (visible cells) switches an index buffer; the point buffer is never re-uploaded."""

from __future__ import annotations

import numpy as np
from vispy import gloo
from vispy.scene.visuals import create_visual_node
from vispy.visuals import Visual

from hubatlas.core.common.dates import BACKFILLED_DAY
from hubatlas.core.common.fields import CONTINUOUS, MODES
from hubatlas.viewer.layers.styling import SHADER_VALUE

LUT_WIDTH = 1024
FADE = 0.12  # the opacity left to models outside a region selection

VERT = """
attribute vec2 a_position;
attribute vec4 a_codes;      // modality*m.x + task, licence*m.y + library, relation*m.z + (day + 1), downloads
attribute float a_selected;  // 1: in the region selection (u_fade > 0: the others fade)
attribute float a_sparse;    // >= 1: how much bigger the point is drawn where the map is sparse
uniform vec3 u_mult;
uniform float u_mode;        // the mode's number (core.common.fields.MODE_NUMBER): which value colours
uniform sampler2D u_lut;     // colour of each code of the mode (alpha 0: hidden by the legend)
uniform vec2 u_lut_shape;    // (width, rows)
uniform vec2 u_range;        // continuous modes: value at the ramp's ends
uniform vec4 u_filter;       // 1: the field is filtered (its allowed codes in u_allowed); 0: any value
uniform sampler2D u_allowed; // per filtered field, rows of LUT_WIDTH: 1 where a documented code is kept
uniform float u_allowed_rows; // rows per field
uniform vec4 u_doc_base;     // codes from here on are predicted values ...
uniform vec4 u_doc_target;   // ... of models whose documented code is this
uniform vec2 u_downloads;    // min, max (0: no bound)
uniform vec4 u_days;         // since, as of, dated range on (0/1), keep undated (0/1)
uniform float u_fade;        // 0: no region selection; else the opacity left to models outside it
uniform float u_size;
uniform float u_sparse_weight;  // how much of a_sparse applies (1 at the overview, less zoomed in)
uniform float u_sparse_cap;  // pixels a sparse region's point grows to at most (never smaller than u_size)
uniform float u_use_scale;
uniform float u_log_dl_max;
varying vec4 v_color;
varying float v_size;

void split(float c, float m, out float a, out float b) {
    a = floor((c + 0.5) / m);
    b = c - a * m;
    if (b < 0.0) { a -= 1.0; b += m; } else if (b >= m) { a += 1.0; b -= m; }
}

float allowed(float field, float code) {
    float row = field * u_allowed_rows + floor(code / 1024.0);
    vec2 uv = vec2((mod(code, 1024.0) + 0.5) / 1024.0, (row + 0.5) / (4.0 * u_allowed_rows));
    return texture2DLod(u_allowed, uv, 0.0).r;
}

void hide() {
    gl_Position = vec4(2.0, 2.0, 2.0, 1.0);  // outside the clip volume: the point is dropped
    gl_PointSize = 0.0;
    v_color = vec4(0.0);
    v_size = 0.0;
}

void main() {
    vec4 c;
    float rel, day1;
    split(a_codes.x, u_mult.x, c.x, c.y);
    split(a_codes.y, u_mult.y, c.z, c.w);
    split(a_codes.z, u_mult.z, rel, day1);
    float day = day1 - 1.0;
    float dl = a_codes.w;
    vec4 doc = mix(c, u_doc_target, step(u_doc_base, c));
    if (u_filter.x > 0.5 && allowed(0.0, doc.x) < 0.5) { hide(); return; }
    if (u_filter.y > 0.5 && allowed(1.0, doc.y) < 0.5) { hide(); return; }
    if (u_filter.z > 0.5 && allowed(2.0, doc.z) < 0.5) { hide(); return; }
    if (u_filter.w > 0.5 && allowed(3.0, doc.w) < 0.5) { hide(); return; }
    if (u_downloads.x > 0.0 && !(dl >= u_downloads.x)) { hide(); return; }
    if (u_downloads.y > 0.0 && !(dl <= u_downloads.y)) { hide(); return; }
    if (u_days.z > 0.5) {
        // the Hub's back-filled day means "created before 2022-03": unknown to a view as of an earlier day
        bool unknown = day < 0.0 || (abs(day - BACKFILLED_DAY) < 0.5 && day > u_days.y);
        bool dated = !unknown && day >= u_days.x && day <= u_days.y;
        if (!(dated || (unknown && u_days.w > 0.5))) { hide(); return; }
    }
    float logdl = dl >= 0.0 ? log(dl + 1.0) / log(10.0) : -1.0;
    float code;
    float v = 0.0;  // a continuous mode's value
    bool ramp = false;
MODE_CODE
    if (ramp) {
        float t = u_range.y > u_range.x ? clamp((v - u_range.x) / (u_range.y - u_range.x), 0.0, 1.0) : 0.0;
        code = v < 0.0 ? 256.0 : floor(t * 255.0 + 0.5);
    }
    vec2 uv = vec2((mod(code, u_lut_shape.x) + 0.5) / u_lut_shape.x,
                   (floor(code / u_lut_shape.x) + 0.5) / u_lut_shape.y);
    vec4 color = texture2DLod(u_lut, uv, 0.0);
    if (color.a <= 0.0) { hide(); return; }
    if (u_fade > 0.0 && a_selected < 0.5) {
        color = vec4(mix(color.rgb, vec3(0.5), 0.6), color.a * u_fade);
    }
    gl_Position = $transform(vec4(a_position, 0.0, 1.0));
    float scale = 0.6 + 3.4 * max(logdl, 0.0) / u_log_dl_max;
    float s = u_size * mix(1.0, scale, u_use_scale);
    s = max(s, min(s * (1.0 + (a_sparse - 1.0) * u_sparse_weight), u_sparse_cap));
    gl_PointSize = s;
    v_size = s;
    v_color = color;
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


def mode_code_glsl() -> str:
    """The shader's choice of the value a colour mode colours by, written from the one table of modes
    (``core.common.fields.MODES``, numbered in order) and where the shader keeps each value
    (``layers.styling.SHADER_VALUE``): the mode numbers cannot drift from the Python side."""
    lines = []
    for number, mode in enumerate(MODES):
        value = SHADER_VALUE[mode]
        cond = "if" if number == 0 else "else if"
        body = f"{{ v = {value}; ramp = true; }}" if mode in CONTINUOUS else f"code = {value};"
        lines.append(f"    {cond} (u_mode < {number + 0.5}) {body}")
    lines.append("    else code = 0.0;")
    return "\n".join(lines)


class PointsVisual(Visual):
    """Points styled in the shader; ``set_data`` once, then tables and uniforms (``set_lut``, ``set_uniforms``)
    and ``show_prefix``/``show_subset``/``show_all``. ``uploads`` counts point-buffer uploads."""

    def __init__(self):
        vcode = VERT.replace("MODE_CODE", mode_code_glsl()).replace("BACKFILLED_DAY", f"{BACKFILLED_DAY:.1f}")
        super().__init__(vcode=vcode, fcode=FRAG)
        self._draw_mode = "points"
        # "over" compositing for colour and for alpha, so renders onto a transparent background keep
        # correct coverage (alpha) for export
        self.set_gl_state(
            "translucent",
            depth_test=False,
            blend=True,
            blend_func=("src_alpha", "one_minus_src_alpha", "one", "one_minus_src_alpha"),
        )
        self._pos = gloo.VertexBuffer(np.zeros((1, 2), np.float32))
        self._codes = gloo.VertexBuffer(np.zeros((1, 4), np.float32))
        self.shared_program["a_position"] = self._pos
        self.shared_program["a_codes"] = self._codes
        self._selected = gloo.VertexBuffer(np.zeros(1, np.float32))
        self.shared_program["a_selected"] = self._selected
        self._sparse = gloo.VertexBuffer(np.ones(1, np.float32))
        self.shared_program["a_sparse"] = self._sparse
        self._lut = gloo.Texture2D(
            np.zeros((1, LUT_WIDTH, 4), np.uint8), interpolation="nearest", wrapping="clamp_to_edge"
        )
        self.shared_program["u_lut"] = self._lut
        self._allowed = gloo.Texture2D(
            np.zeros((4, LUT_WIDTH, 4), np.uint8), interpolation="nearest", wrapping="clamp_to_edge"
        )
        self.shared_program["u_allowed"] = self._allowed
        defaults = {
            "u_mult": (1.0, 1.0, 65536.0),
            "u_mode": 0.0,
            "u_lut_shape": (LUT_WIDTH, 1.0),
            "u_range": (0.0, 1.0),
            "u_filter": (0.0,) * 4,
            "u_allowed_rows": 1.0,
            "u_doc_base": (1e9,) * 4,
            "u_doc_target": (0.0,) * 4,
            "u_downloads": (0.0, 0.0),
            "u_days": (0.0, 0.0, 0.0, 1.0),
            "u_size": 3.0,
            "u_fade": 0.0,
            "u_sparse_weight": 1.0,
            "u_sparse_cap": 4.5,
            "u_use_scale": 0.0,
            "u_log_dl_max": 1.0,
        }
        for k, v in defaults.items():
            self.shared_program[k] = v
        self._n = 0
        self._index_buffer: gloo.IndexBuffer | None = None
        self._prefix_ib: gloo.IndexBuffer | None = None
        self._prefix_n = 0
        self._subset_ib: gloo.IndexBuffer | None = None
        self._subset_key: object = None
        self._subset_n = 0
        self.drawn = 0
        self.uploads = 0  # point-buffer uploads (set_data, set_codes)
        self.lut_uploads = 0  # look-up table uploads
        self.selected_uploads = 0  # region-selection flag uploads (one float a point)

    def set_data(self, pos: np.ndarray, codes: np.ndarray, sparse: np.ndarray | None = None) -> None:
        """Upload positions (n, 2), packed codes (n, 4) and size factors (n; None: all 1), float32, in drawing
        order."""
        pos = np.ascontiguousarray(pos, dtype=np.float32)
        codes = np.ascontiguousarray(codes, dtype=np.float32)
        self._n = len(pos)
        if self._n == 0:
            pos, codes = np.zeros((1, 2), np.float32), np.zeros((1, 4), np.float32)
        self._pos.set_data(pos)
        self._codes.set_data(codes)
        self._selected.set_data(np.zeros(max(self._n, 1), np.float32))
        self._sparse.set_data(
            np.ones(max(self._n, 1), np.float32)
            if sparse is None or not self._n
            else np.ascontiguousarray(sparse, dtype=np.float32)
        )
        self.uploads += 1
        self._subset_key = None
        self.show_all()

    def set_codes(self, codes: np.ndarray) -> None:
        """Re-upload the packed codes only (predicted values attached: once per atlas)."""
        if self._n:
            self._codes.set_data(np.ascontiguousarray(codes, dtype=np.float32))
            self.uploads += 1
        self.update()

    def set_selected(self, flags: np.ndarray | None, fade: float = FADE) -> None:
        """Mark the points of a region selection (one float a point, in drawing order; None: no selection):
        the others fade to ``fade`` of their opacity, greyed."""
        if flags is None:
            self.set_uniforms(fade=0.0)
            return
        if self._n:
            self._selected.set_data(np.ascontiguousarray(flags, dtype=np.float32))
            self.selected_uploads += 1
        self.set_uniforms(fade=float(fade))

    def set_lut(self, rgba: np.ndarray) -> None:
        """The colour of every code of the current mode: (K, 4) uint8; alpha 0 hides the code's points."""
        k = max(len(rgba), 1)
        rows = -(-k // LUT_WIDTH)
        table = np.zeros((rows * LUT_WIDTH, 4), np.uint8)
        table[: len(rgba)] = rgba
        self._lut.set_data(table.reshape(rows, LUT_WIDTH, 4))
        self.shared_program["u_lut_shape"] = (float(LUT_WIDTH), float(rows))
        self.lut_uploads += 1
        self.update()

    def set_allowed(self, allowed: list[frozenset[int] | None], sizes: list[int]) -> None:
        """The filters' allowed documented codes of the four filter fields (None: any value): a small texture
        (a field's row is 1 where a code is kept) and which fields filter."""
        rows = max(1, max(-(-max(s, 1) // LUT_WIDTH) for s in sizes))
        table = np.zeros((4 * rows * LUT_WIDTH, 4), np.uint8)
        for f, codes in enumerate(allowed):
            for c in codes or ():
                if 0 <= c < rows * LUT_WIDTH:
                    table[f * rows * LUT_WIDTH + c] = 255
        self._allowed.set_data(table.reshape(4 * rows, LUT_WIDTH, 4))
        self.set_uniforms(filter=tuple(0.0 if c is None else 1.0 for c in allowed), allowed_rows=float(rows))

    def set_uniforms(self, **values) -> None:
        for k, v in values.items():
            self.shared_program[f"u_{k}"] = v
        self.update()

    def use_scale(self, on: bool) -> None:
        """Multiply each point's size by its downloads factor (0.6× for none, up to 4×) or not."""
        self.set_uniforms(use_scale=1.0 if on else 0.0)

    def set_size(self, px: float) -> None:
        self.set_uniforms(size=float(px))

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

    @property
    def subset_key(self) -> object:
        return self._subset_key

    def show_subset(self, idx: np.ndarray | None, key: object = None) -> None:
        """Draw only the given points (e.g. those in the visible cells). With a ``key`` (the cells), the same
        key reuses the last upload (``idx`` None); one index buffer is kept and refilled, never re-created."""
        if idx is None and (key is None or key != self._subset_key):
            raise ValueError("show_subset(None) needs the key of the last subset")
        if idx is not None:
            if len(idx) == 0:
                self._subset_key = None
                self.drawn = 0
                self.visible = False
                return
            data = np.ascontiguousarray(idx, dtype=np.uint32)
            if self._subset_ib is None:
                self._subset_ib = gloo.IndexBuffer(data)
            else:
                self._subset_ib.set_data(data)
            self._subset_key = key
            self._subset_n = len(data)
        self._index_buffer = self._subset_ib
        self.drawn = self._subset_n
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
