"""The state model and GPU-side styling: AtlasState without Qt or GL; filters, legend toggles, colour modes
and the "as of" replay applied in the shader (read back from real renders) with the point buffer uploaded
once; exports identical whatever the tile size; points at the view's edges drawn when zoomed in."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from atlas_fixtures import make_random_atlas

from hubatlas.core.common.filters import Filters
from hubatlas.viewer.layers.atlas_model import AtlasModel
from hubatlas.viewer.layers.atlas_state import AtlasState


def test_atlas_state_updates_notify_what_changed():
    st = AtlasState()
    heard = []
    st.on_change(heard.append)
    assert st.update(mode="license") == {"mode"}
    assert st.update(mode="license") == set() and heard == [{"mode"}]  # no change, no event
    f = Filters(dict(Filters.none().values, license=3), as_of_day=100)
    st.update(filters=f, hidden_classes=frozenset({1}))
    assert heard[-1] == {"filters", "hidden_classes"}
    st.update(filters=Filters(dict(Filters.none().values, license=3), as_of_day=100))  # equal: no event
    assert len(heard) == 2
    c = st.copy()
    c.update(mode="created")
    assert st.mode == "license" and len(heard) == 2  # a copy neither shares fields nor listeners
    with pytest.raises(AttributeError):
        st.update(colour="red")


def test_model_tier_imports_without_qt_or_vispy():
    code = textwrap.dedent("""
        import sys, importlib.abc
        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split('.')[0] in ('PySide6', 'vispy', 'OpenGL', 'shiboken6'):
                    raise ModuleNotFoundError(name)
        sys.meta_path.insert(0, Block())
        import pkgutil, importlib, hubatlas.viewer.layers as L
        for m in pkgutil.iter_modules(L.__path__):
            importlib.import_module('hubatlas.viewer.layers.' + m.name)
        print('MODEL-OK')
    """)
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "MODEL-OK" in p.stdout, p.stderr


def test_filter_rules_on_the_cpu(tmp_path):
    from hubatlas.viewer.layers.styling import AtlasStyle

    snap = make_random_atlas(tmp_path / "c", n=500)
    style = AtlasStyle(snap)
    day = snap.column("created_day")
    dl = snap.column("downloads")
    codes, labels = snap.codes("license")
    f = Filters(
        dict(Filters.none().values, license=labels.index("mit")),
        min_downloads=1000,
        as_of_day=int(np.median(day)),
    )
    want = (codes == labels.index("mit")) & (dl >= 1000) & (day >= 0) & (day <= int(np.median(day)))
    assert np.array_equal(style.filter_mask(f), want) and 0 < want.sum() < 500
    assert style.filter_mask(Filters.none()) is None
    some = np.arange(0, 500, 7)
    assert np.array_equal(style.filter_mask(f, some), want[some])


# -- real renders ----------------------------------------------------------------------------------------------
gl = pytest.mark.gl


@pytest.fixture(scope="module")
def dense(tmp_path_factory):
    return make_random_atlas(tmp_path_factory.mktemp("dense") / "c", n=3000)


def _canvas(snap, size=(400, 400)):
    if not (os.environ.get("DISPLAY") or os.environ.get("QT_QPA_PLATFORM") == "offscreen"):
        pytest.skip("needs a display (the test command starts Xvfb)")
    from hubatlas.viewer._vispy.canvas import AtlasCanvas

    a = AtlasCanvas(AtlasModel(snap), size=size)
    a.settle()
    return a


def _lit(a, img):
    bg = np.array(a.theme.background[:3]) * 255
    return np.abs(img[..., :3].astype(int) - bg).max(-1) > 24


def _apart(a, nodes, others, px=4.0):
    """The nodes with none of ``others`` within ``px`` pixels (their own pixel tells whether they are drawn)."""
    from scipy.spatial import cKDTree

    x0, _, x1, _ = a.view_rect()
    r = px * (x1 - x0) / a.canvas.size[0]
    d, _ = cKDTree(a.xy[others]).query(a.xy[nodes], k=1)
    return nodes[d > r]


def _pixels_of(a, img, nodes):
    """Whether each node's centre pixel is lit."""
    lit = _lit(a, img)
    h, w = lit.shape
    out = []
    for i in nodes:
        px, py = a.world_to_pixel(*a.xy[i])
        x, y = round(px), round(py)
        out.append(0 <= x < w and 0 <= y < h and bool(lit[y, x]))
    return np.array(out)


@gl
def test_state_changes_restyle_in_the_shader_without_reupload(dense):
    a = _canvas(dense)
    try:
        uploads = a.points.uploads
        base = a.render()
        n_lit = _lit(a, base).sum()
        # colour switch: the same points, other colours
        a.state.color_by("license")
        lic = a.render()
        assert np.abs(lic.astype(int) - base.astype(int)).max() > 40
        assert abs(int(_lit(a, lic).sum()) - int(n_lit)) < 0.02 * n_lit
        # legend toggle: hide the biggest licence class
        big = max((e for e in a.colors.legend if e.key >= 0), key=lambda e: e.count)
        a.state.show_class(big.key, False)
        hid = a.render()
        assert _lit(a, hid).sum() < 0.9 * n_lit
        members = _apart(
            a, np.flatnonzero(a.colors.classes == big.key), np.flatnonzero(a.colors.classes != big.key)
        )
        assert len(members) >= 5 and not _pixels_of(a, hid, members).any()
        a.state.show_class(big.key, True)
        # filter by task, then the "as of" replay
        codes, labels = dense.codes("pipeline_tag")
        a.state.update(
            filters=Filters(dict(Filters.none().values, pipeline_tag=labels.index("image-classification")))
        )
        only = a.render()
        assert a.visible_count == int((codes == labels.index("image-classification")).sum())
        assert 0.1 * n_lit < _lit(a, only).sum() < 0.5 * n_lit
        day = dense.column("created_day")
        cut = int(np.percentile(day[day >= 0], 30))
        a.state.update(filters=Filters(Filters.none().values, as_of_day=cut))
        early = a.render()
        assert a.visible_count == int(((day >= 0) & (day <= cut)).sum() + (day < 0).sum())
        shown = day <= cut  # undated models stay
        young, old = _apart(a, np.flatnonzero(~shown), np.flatnonzero(shown)), np.flatnonzero(shown)[:60]
        assert len(young) >= 5 and not _pixels_of(a, early, young).any()
        assert _pixels_of(a, early, old).mean() > 0.9
        # continuous mode and size by downloads, also uniforms and tables only
        a.state.color_by("created")
        a.state.update(size_by_downloads=True)
        a.render()
        assert a.points.uploads == uploads, "a state change re-uploaded the point buffer"
        assert a.points.lut_uploads >= 4
    finally:
        a.close()


@gl
def test_export_is_the_same_whatever_the_tile_size(dense, tmp_path):
    from PIL import Image

    from hubatlas.viewer._vispy.export import ExportOptions, export_image

    a = _canvas(dense, (300, 200))
    try:
        imgs = {}
        for tile in (None, 512, 256):
            p = export_image(
                a,
                tmp_path / f"t{tile}.png",
                ExportOptions(width=1000, height=700, legend=False, attribution=False),
                tile=tile or 4096,
            )
            imgs[tile] = np.asarray(Image.open(p).convert("RGBA")).astype(int)
        lit = {t: int(_lit(a, im).sum()) for t, im in imgs.items()}
        assert lit[None] > 5000
        for t in (512, 256):
            assert abs(lit[t] - lit[None]) <= 0.01 * lit[None], lit
            # a tile's camera moves the float32 transform's rounding: sub-pixel positions may differ in the
            # last bit, which changes an antialiased edge by one level of 255 at most; anything more differs
            diff = np.abs(imgs[t] - imgs[None]).max(-1)
            differ = (diff > 1).mean()
            assert differ <= 0.0001, f"{differ:.5%} of pixels differ with {t}-px tiles"
            assert (diff > 0).mean() < 0.001
    finally:
        a.close()


@gl
def test_points_at_the_edges_of_a_zoomed_view_are_drawn(dense):
    """Zoomed in about 40×, the canvas shows more than the camera's square rect (its aspect is kept): points
    in that margin, at the left and right edges, were once culled."""
    a = _canvas(dense, (800, 400))
    try:
        placed = np.flatnonzero(a.placed)
        hist, xe, ye = np.histogram2d(a.xy[placed, 0], a.xy[placed, 1], bins=40, range=[[-1, 1], [-1, 1]])
        ix, iy = np.unravel_index(int(hist.argmax()), hist.shape)  # the densest region
        dense = (xe[ix] + xe[ix + 1]) / 2, (ye[iy] + ye[iy + 1]) / 2
        node = int(placed[np.argmin(((a.xy[placed] - dense) ** 2).sum(1))])
        centre = a.xy[node]
        a.fly_to(node, zoom=40)
        a.settle()
        img = a.render()
        x0, y0, x1, y1 = a.view_rect()
        r = a.view.camera.rect
        assert x1 - x0 > 1.5 * r.width  # the view is wider than the camera's rect
        inside = (a.xy[:, 0] > x0) & (a.xy[:, 0] < x1) & (a.xy[:, 1] > y0) & (a.xy[:, 1] < y1)
        margin = inside & ((a.xy[:, 0] < r.left) | (a.xy[:, 0] > r.right))
        nodes = np.flatnonzero(margin)
        assert len(nodes) >= 3, (centre, len(nodes))
        assert _pixels_of(a, img, nodes).mean() > 0.8
    finally:
        a.close()
