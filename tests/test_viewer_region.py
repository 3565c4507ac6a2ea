"""Box and lasso selection with a real mouse on a real window (pytest-qt, GL under Xvfb), the Selection
panel's summary and CSV export, and the minimap; plus the region arithmetic checked against brute force."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from hubatlas.viewer.layers.region import in_box, in_polygon

pytest.importorskip("pytestqt")


def _ray_cast(pt, poly):
    """Even-odd rule, point by point: the reference for in_polygon."""
    x, y = pt
    inside = False
    for (x1, y1), (x2, y2) in zip(poly, np.roll(poly, -1, axis=0), strict=False):
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside


def test_lasso_and_box_membership_match_brute_force():
    rng = np.random.default_rng(3)
    xy = rng.uniform(-1, 1, (4000, 2)).astype(np.float32)
    shown = rng.random(4000) > 0.2
    ang = np.sort(rng.uniform(0, 2 * np.pi, 40))
    rad = rng.uniform(0.3, 0.9, 40)
    poly = np.stack([rad * np.cos(ang), rad * np.sin(ang)], 1)  # a star-shaped, non-convex lasso
    got = in_polygon(xy, shown, poly)
    want = [i for i in range(len(xy)) if shown[i] and _ray_cast(xy[i], poly)]
    assert 200 < len(want) < 3000 and got.tolist() == want
    box = in_box(xy, shown, 0.4, -0.2, -0.3, 0.5)  # corners in any order
    assert box.tolist() == [
        i for i in range(len(xy)) if shown[i] and -0.3 <= xy[i, 0] <= 0.4 and -0.2 <= xy[i, 1] <= 0.5
    ]
    assert in_polygon(xy, shown, poly[:2]).size == 0


def _drag(w, qtbot, world_pts, modifier):
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest

    native = w.atlas.canvas.native
    size = []
    qtbot.waitUntil(lambda: size.append(tuple(w.atlas.canvas.size)) or size[-1:] == size[-2:-1], timeout=3000)
    px = [QPoint(*[round(v) for v in w.atlas.world_to_pixel(x, y)]) for x, y in world_pts]
    QTest.mousePress(native, Qt.LeftButton, modifier, px[0])
    for p in px[1:]:
        QTest.mouseMove(native, p)
        qtbot.wait(20)  # (queued moves would be merged into one, as Qt does for a real mouse)
    QTest.mouseRelease(native, Qt.LeftButton, modifier, px[-1])


def _ids(w, nodes):
    return sorted(w.model.model_id(int(i)) for i in nodes)


@pytest.mark.gl
@pytest.mark.usefixtures("isolated_settings")
def test_shift_drag_box_and_ctrl_drag_lasso_select_with_a_summary_and_csv(make_window, qtbot, tmp_path):
    from PySide6.QtCore import Qt

    w = make_window()
    r = w.region
    rect0 = tuple(w.atlas.view.camera.rect.pos) + tuple(w.atlas.view.camera.rect.size)
    _drag(
        w, qtbot, [(-0.7, -0.7), (-0.55, -0.3), (-0.3, -0.2)], Qt.ShiftModifier
    )  # a box over the text models
    assert _ids(w, r.nodes) == ["org/text-ft", "org/text-model"]
    # the camera did not pan while the box was drawn
    assert tuple(w.atlas.view.camera.rect.pos) + tuple(w.atlas.view.camera.rect.size) == pytest.approx(rect0)
    # the others fade (issue 25: no rings over the selected), and the panel lists them in its table
    assert r.dock.isVisible() and w.atlas.points.shared_program["u_fade"] > 0
    assert r.panel.table.rowCount() == 2
    text = r.panel.text.toPlainText()
    assert "2 models selected · 5,050 downloads in all" in text
    assert "by task:\n  text-generation  2" in text and "mit  1" in text and "apache-2.0  1" in text
    out = tmp_path / "sel.csv"
    assert r.export_csv(out) == 2
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert sorted(x["id"] for x in rows) == ["org/text-ft", "org/text-model"]
    assert {x["id"]: x["downloads"] for x in rows}["org/text-model"] == "5000"
    assert {x["id"]: x["created"] for x in rows}["org/text-ft"] == "2025-05-01"
    # a lasso around the two models on the right
    _drag(w, qtbot, [(0.3, 0.8), (0.8, 0.8), (0.8, -0.8), (0.3, -0.8)], Qt.ControlModifier)
    assert _ids(w, r.nodes) == ["org/audio-model", "org/image-model"]
    assert "automatic-speech-recognition  1" in r.panel.text.toPlainText()
    # Esc clears it
    next(a for a in w.findChildren(type(w.region.export_action)) if a.text() == "Clear selection").trigger()
    assert len(r.nodes) == 0 and w.atlas.points.shared_program["u_fade"] == 0


@pytest.mark.gl
@pytest.mark.usefixtures("isolated_settings")
def test_box_tool_makes_a_plain_drag_select_and_select_all_follows_the_filters(make_window, qtbot):
    from PySide6.QtCore import Qt

    w = make_window()
    r = w.region
    box = r.tool_actions["box"]
    assert box.shortcut().toString() == "B" and r.tool_actions["lasso"].shortcut().toString() == "O"
    box.trigger()
    assert r.tool == "box" and not w.atlas.view.camera.interactive
    _drag(w, qtbot, [(0.3, 0.3), (0.7, 0.7)], Qt.NoModifier)
    assert _ids(w, r.nodes) == ["org/image-model"]
    r.set_tool(None)
    assert w.atlas.view.camera.interactive
    # only what the filters show is selected
    cb = w.filters.combos["pipeline_tag"]
    cb.check_only(cb.code_of("text-generation"))
    everything = next(a for a in w.findChildren(type(box)) if a.text() == "Select all shown")
    assert everything.shortcut().toString() == "Ctrl+A"
    everything.trigger()
    assert _ids(w, r.nodes) == ["org/text-ft", "org/text-model"]
    r.select_box(-1, -1, 1, 1)
    assert len(r.nodes) == 2
    assert r.zoom_to()
    x0, y0, x1, y1 = w.atlas.view_rect()
    assert x0 <= -0.5 and x1 >= -0.45 and y0 <= -0.5 and y1 >= -0.35 and (x1 - x0) < 1.0


@pytest.mark.gl
@pytest.mark.usefixtures("isolated_settings")
def test_minimap_shows_the_whole_map_and_moves_the_view(make_window, qtbot):
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest

    from hubatlas.viewer._qt.minimap import SIZE, Minimap

    w = make_window()
    m = w.minimap
    assert m.isVisible() and m.parentWidget() is w.atlas.canvas.native
    img = m.grab().toImage()
    # a model's place is lit, an empty place is not

    def bright(x, y):
        return sum(img.pixelColor(*[int(v) for v in Minimap.to_pixel(x, y)]).getRgb()[:3])

    assert bright(-0.5, 0.5) > bright(0.0, -0.9) + 60
    w.atlas.zoom(0.25)
    box = m.view_box()
    assert box.width() < SIZE / 2
    QTest.mouseClick(m, Qt.LeftButton, Qt.NoModifier, QPoint(*[int(v) for v in Minimap.to_pixel(0.5, 0.5)]))
    x0, y0, x1, y1 = w.atlas.view_rect()
    assert (x0 + x1) / 2 == pytest.approx(0.5, abs=0.03) and (y0 + y1) / 2 == pytest.approx(0.5, abs=0.03)
    assert w.minimap_action.shortcut().toString() == "M"
    w.minimap_action.trigger()
    assert not m.isVisible()
    from hubatlas.viewer._qt.settings import settings

    assert settings().value("minimap", True, type=bool) is False


def test_csv_cells_that_a_spreadsheet_would_run_are_quoted():
    from hubatlas.viewer.layers.region import _cell

    assert _cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert _cell("+1") == "'+1" and _cell("@SUM(A1)") == "'@SUM(A1)" and _cell("-2") == "'-2"
    assert _cell("org/model-=1") == "org/model-=1" and _cell(None) == "" and _cell(5) == "5"


@pytest.mark.gl
@pytest.mark.usefixtures("isolated_settings")
def test_the_highlight_follows_the_theme(make_window, qtbot):
    w = make_window()
    w.region.select_box(-0.6, -0.6, -0.4, -0.4)  # the text model alone
    assert len(w.region.nodes) == 1

    def dot(x, y):
        img = w.atlas.render()
        px, py = (round(v) for v in w.atlas.world_to_pixel(x, y))
        return img[py - 1 : py + 2, px - 1 : px + 2, :3].reshape(-1, 3).astype(int).mean(0)

    # the selected model keeps its colour and every other model fades toward the background, in both themes
    for theme in ("dark", "light"):
        w.state.update(theme=theme)
        bg = np.array(w.atlas.theme.background[:3]) * 255
        assert np.abs(dot(-0.5, -0.5) - bg).max() > 60, theme  # the selected text model, vivid
        assert np.abs(dot(0.5, 0.5) - bg).max() < 45, theme  # the image model, faded
