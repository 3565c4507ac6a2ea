"""Labels and density drawn for real (Xvfb/Mesa in CI): in the canvas the window shows and in exported PNGs,
checked on pixels; labels toggle off; none overlap on screen."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import run_cli

from hubatlas.core.store.snapshot import open_snapshot
from hubatlas.viewer.layers.atlas_model import AtlasModel
from hubatlas.viewer.layers.labels import overlapping

pytestmark = pytest.mark.gl


@pytest.fixture(scope="module")
def demo(demo_laid_out):
    """The demo's store laid out from scratch (conftest: computed once a session, this module's own copy)."""
    return demo_laid_out[0]


def read(path):
    from PIL import Image

    return np.asarray(Image.open(path).convert("RGBA")).astype(int)


def text_like(img, rect, text_rgb, tol=60):
    """How many pixels in ``rect`` (x0, y0, x1, y1) are close to the text colour."""
    x0, y0, x1, y1 = rect
    patch = img[y0:y1, x0:x1, :3]
    return int((np.abs(patch - np.array(text_rgb)).max(-1) < tol).sum())


def test_canvas_draws_labels_without_overlap_and_hides_them(demo):
    from hubatlas.viewer._vispy.canvas import make_canvas

    atlas = make_canvas(AtlasModel(open_snapshot(demo)), (900, 600))
    try:
        on = atlas.render().astype(int)
        placed = list(atlas.labels_drawn)
        assert len(placed) >= 3 and overlapping(placed) == []
        text = tuple(int(c * 255) for c in atlas.theme.text[:3])
        for p in placed[:3]:
            assert text_like(on, p.rect, text) >= 5, p  # glyph pixels inside each label's box
        atlas.state.update(labels=False)
        off = atlas.render().astype(int)
        assert atlas.labels_drawn == []
        r = placed[0].rect
        assert text_like(off, r, text) < text_like(on, r, text)
        atlas.state.update(labels=True)
        atlas.zoom(1 / 6.0, (0.0, 0.0))
        atlas.render()
        assert overlapping(atlas.labels_drawn) == []
    finally:
        atlas.close()


def test_density_layer_shades_dense_areas_on_both_themes(demo):
    from hubatlas.viewer._vispy.canvas import make_canvas

    for theme in ("dark", "light"):
        atlas = make_canvas(AtlasModel(open_snapshot(demo)), (600, 400), theme=theme)
        try:
            atlas.state.update(labels=False)
            plain = atlas.render().astype(int)
            atlas.state.update(density=True)
            shaded = atlas.render().astype(int)
        finally:
            atlas.close()
        bg = np.array([int(c * 255) for c in atlas.theme.background[:3]])
        changed = np.abs(shaded - plain)[..., :3].max(-1) > 3
        empty_before = np.abs(plain[..., :3] - bg).max(-1) <= 3
        assert (changed & empty_before).sum() > 500, theme  # terrain between the points
        assert changed.mean() < 0.6  # not a wash over the whole image


def test_exported_png_has_labels_and_density_when_asked(demo, tmp_path):
    base = ["--width", "1000", "--height", "640", "--no-legend", "--no-attribution"]
    plain, labelled, dense = tmp_path / "plain.png", tmp_path / "labels.png", tmp_path / "dense.png"
    run_cli("export", "--out", str(plain), "--no-labels", *base, cache=demo)
    run_cli("export", "--out", str(labelled), *base, cache=demo)
    run_cli("export", "--out", str(dense), "--no-labels", "--density", *base, cache=demo)
    a, b, c = read(plain), read(labelled), read(dense)
    diff_labels = np.abs(b - a)[..., :3].max(-1) > 40
    assert diff_labels.sum() > 300
    # where the first overview label is placed, the labelled image has light text pixels
    from hubatlas.core.layout.labels import read_labels
    from hubatlas.viewer.layers.labels import LabelSet

    labels = LabelSet(read_labels(open_snapshot(demo)))
    placed = labels.choose((-1.1 * 1000 / 640, -1.1, 1.1 * 1000 / 640, 1.1), (1000, 640), 1.0)
    assert placed and text_like(b, placed[0].rect, (230, 230, 230)) > text_like(
        a, placed[0].rect, (230, 230, 230)
    )
    diff_density = np.abs(c - a)[..., :3].max(-1) > 3
    assert diff_density.sum() > 1000
    # --labels is on by default and drawn clear of the legend box
    legend = tmp_path / "legend.png"
    run_cli("export", "--out", str(legend), "--width", "1000", "--height", "640", cache=demo)
    assert read(legend).shape == (640, 1000, 4)
