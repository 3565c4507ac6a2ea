"""Getting around a real window (pytest-qt, real GL under Xvfb): back and forward through views and
selections, the arrow keys pan only while the map has the keyboard, the right-click menu's actions, every
panel reopened from the View menu, and the link shown with a Copy button where no browser opens."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")
pytestmark = [pytest.mark.gl, pytest.mark.usefixtures("isolated_settings")]


def _rect(w):
    r = w.atlas.view.camera.rect
    return r.left, r.bottom, r.width, r.height


def test_back_and_forward_through_views_and_selections(make_window, qtbot):
    from PySide6.QtGui import QAction

    w = make_window()
    nav = w.nav
    start = _rect(w)
    w.go_to(w.model.model_id(0))  # fly to and select a model
    qtbot.waitUntil(lambda: not w.atlas.interacting, timeout=5000)
    nav.remember()
    flown, picked = _rect(w), w.atlas.selected
    assert picked == 0 and flown != start
    w.atlas.reset_view()
    w.select(None)
    qtbot.waitUntil(lambda: not w.atlas.interacting, timeout=5000)
    nav.remember()
    back, forward = (next(a for a in w.findChildren(QAction) if a.text() == t) for t in ("Back", "Forward"))
    assert back.shortcut().toString() == "Alt+Left" and forward.shortcut().toString() == "Alt+Right"
    back.trigger()  # (key events reach shortcuts only in an active window: Xvfb has no window manager)
    assert _rect(w) == pytest.approx(flown) and w.atlas.selected == picked
    nav.go_back()
    assert _rect(w) == pytest.approx(start) and w.atlas.selected is None
    assert not nav.go_back()  # nothing before the first view
    forward.trigger()
    assert _rect(w) == pytest.approx(flown) and w.atlas.selected == picked


def test_arrow_keys_pan_the_map_but_not_from_the_search_box(make_window, qtbot):
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QShortcut

    w = make_window()
    keys = {sc.key().toString(): sc for sc in w.atlas.canvas.native.findChildren(QShortcut)}
    assert {"Left", "Right", "Up", "Down"} <= set(keys)
    # only while the map has the keyboard: the search box and the panels keep their arrow keys
    assert all(sc.context() == Qt.WidgetShortcut for sc in keys.values())
    x0, y0, width, _ = _rect(w)
    keys["Right"].activated.emit()
    assert _rect(w)[0] == pytest.approx(x0 + 0.2 * width)
    keys["Up"].activated.emit()
    assert _rect(w)[1] == pytest.approx(y0 + 0.2 * width)
    keys["Left"].activated.emit()
    keys["Down"].activated.emit()
    assert _rect(w)[:2] == pytest.approx((x0, y0))
    before = _rect(w)
    w.search.setFocus()
    w.search.setText("abc")
    qtbot.keyClick(w.search, Qt.Key_Left)  # the text field moves its cursor; the map stays
    assert _rect(w) == before and w.search.cursorPosition() == 2


def test_right_click_menu_copies_shows_family_and_centres(make_window, qtbot):
    from PySide6.QtWidgets import QApplication

    w = make_window()
    node = 0
    menu = w.nav.context_menu(node, 10, 20)
    acts = {a.text(): a for a in menu.actions()}
    assert {"Copy id", "Open on huggingface.co", "Show family", "Centre here"} <= set(acts)
    acts["Copy id"].trigger()
    assert QApplication.clipboard().text() == w.model.model_id(node)
    w.family_dock.hide()
    acts["Show family"].trigger()
    assert w.atlas.selected == node and w.family_dock.isVisible()
    px, py = (s / 2 for s in w.atlas.canvas.size)
    cx, cy = w.atlas.scene_coords(px + 50, py)
    w.nav.context_menu(None, px + 50, py).actions()[-1].trigger()
    r = w.atlas.view.camera.rect
    assert (r.left + r.width / 2, r.bottom + r.height / 2) == pytest.approx((cx, cy), abs=1e-6)
    assert [a.text() for a in w.nav.context_menu(None, 1, 1).actions()] == ["Centre here"]  # empty map


def test_view_menu_reopens_every_panel(make_window):
    from PySide6.QtWidgets import QDockWidget

    w = make_window()
    view = next(a.menu() for a in w.menuBar().actions() if a.text() == "&View")
    panels = next(a.menu() for a in view.actions() if a.text() == "Panels")
    for dock in w.findChildren(QDockWidget):
        dock.hide()
        act = next(a for a in panels.actions() if a.text() == dock.windowTitle())
        act.trigger()
        assert dock.isVisible(), dock.windowTitle()
    assert any(a.text() == "Search" for a in panels.actions())


def test_open_on_the_hub_without_a_browser_shows_the_link_to_copy(make_window, monkeypatch):
    from PySide6.QtGui import QDesktopServices
    from PySide6.QtWidgets import QApplication

    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toString()) or False)
    w = make_window()
    mid = w.model.model_id(0)
    w.select(0)
    w.details.open_btn.click()
    dlg = w.details.fallback
    assert opened == [f"https://huggingface.co/{mid}"]
    assert dlg is not None and dlg.isVisible() and dlg.field.text() == opened[0]
    dlg.copy_btn.click()
    assert QApplication.clipboard().text() == opened[0]
    dlg.close()
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: True)  # a browser: no dialog
    w.details.open_btn.click()
    assert w.details.fallback is None


def test_legend_counts_follow_the_filters_and_nothing_left_offers_a_reset(make_window, qtbot):
    """Legend counts say how many of each class are shown; filters that leave nothing say so, with Reset;
    View › Zoom to shown fits the view to what is shown."""
    w = make_window()
    fb = w.shown
    w.state.color_by("pipeline_tag")
    qtbot.waitUntil(
        lambda: any("(2)" in w.legend.item(i).text() for i in range(w.legend.count())), timeout=3000
    )
    lic = w.filters.combos["license"]
    lic.check_only(lic.code_of("mit"))
    qtbot.waitUntil(lambda: sum(fb.counts.values()) == 3, timeout=3000)  # three MIT models
    texts = [w.legend.item(i).text() for i in range(w.legend.count())]
    assert any(t.startswith("text-generation") and "(1 of 2)" in t for t in texts), texts
    assert not fb.note.isVisible()
    w.filters.min_dl.setValue(10_000)  # no MIT model has that many downloads
    qtbot.waitUntil(lambda: w.atlas.visible_count == 0 and not fb.note.isHidden(), timeout=3000)
    assert "No models match" in fb.note_label.text()
    fb.reset_btn.click()
    assert w.atlas.visible_count == 5 and fb.note.isHidden()
    assert not w.state.filters.active
    lic.check_only(lic.code_of("apache"))
    qtbot.waitUntil(lambda: w.atlas.visible_count == 2, timeout=3000)
    assert fb.zoom_to_shown()
    r = w.atlas.view.camera.rect  # org/image-model (0.5, 0.5) and org/text-ft (-0.45, -0.35), with a margin
    assert r.left < -0.45 and r.left + r.width > 0.5 and r.bottom < -0.35 and r.bottom + r.height > 0.5
    assert r.width < 1.3


def test_continuous_legends_say_where_the_ramp_clips(make_window):
    """The ramp spans the 1st to 99th percentiles: the legend names the clipped ends and the real extremes
    (it read "0 → 2,441" while models had 62,456 downloads), for downloads and for dates alike."""
    w = make_window()
    w.state.color_by("downloads")
    ramp = w.legend.item(0).text()
    assert "(max 5,000)" in ramp and ramp.split("→")[1].strip().startswith("≥"), ramp
    w.state.color_by("created")
    ramp = w.legend.item(0).text()
    assert "(min 2022-05-01)" in ramp and "(max 2025-09-01)" in ramp, ramp
    assert w.filters.since_label.text().startswith(
        "2022-05-01"
    )  # the slider's first date is the legend's min


def test_the_edge_overlay_says_what_its_budget_leaves_out(tmp_path, make_window):
    import numpy as np
    from helpers import rec, write_json

    from hubatlas.core.ingest.files import import_paths
    from hubatlas.core.layout.pipeline import apply_to_snapshot
    from hubatlas.core.store.database import Store
    from hubatlas.core.store.snapshot import build, open_snapshot
    from hubatlas.viewer._vispy.overlays import EdgeOverlay
    from hubatlas.viewer.layers.atlas_model import AtlasModel

    recs = [rec("o/base")] + [rec(f"o/kid{i}", tags=["base_model:finetune:o/base"]) for i in range(30)]
    with Store(tmp_path / "e") as s:
        import_paths(s, [write_json(tmp_path / "e.json", recs)])
        build(s)
    snap = open_snapshot(tmp_path / "e")
    xy = np.random.default_rng(0).uniform(-0.9, 0.9, (len(snap), 2)).astype(np.float32)
    apply_to_snapshot(snap, xy, {"backend": "test"})
    snap = open_snapshot(tmp_path / "e")
    model = AtlasModel(snap)
    ov = EdgeOverlay(None, model.edges, model.relations, xy, np.arange(len(snap)), budget=10)
    ov.update(np.ones(len(snap), bool), (-1, -1, 1, 1))
    assert ov.drawn == 10 and ov.in_view == 30
    w = make_window()
    w.atlas.edge_overlay.in_view, w.atlas.edge_overlay.drawn = 64_601, 50_000
    w.edges_action.setChecked(True)
    w.state.update(show_all_edges=True)
    w.status.refresh()
    assert "50,000 of 64,601 edges in view" in w.status.text()


def test_the_light_theme_themes_the_whole_window(make_window):
    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QApplication

    w = make_window()
    w.state.update(theme="light")
    QApplication.processEvents()  # (widgets hear of a new application palette through posted events)
    bg = QApplication.palette().color(QPalette.Window)
    assert bg.lightness() > 230 and w.details.palette().color(QPalette.Window) == bg
    assert QApplication.palette().color(QPalette.WindowText).lightness() < 60
    w.state.update(theme="dark")
    QApplication.processEvents()
    assert QApplication.palette().color(QPalette.Window).lightness() < 40
    assert w.legend.palette().color(QPalette.Text).lightness() > 200


def test_open_atlas_and_recent_atlases(make_window, tmp_path, monkeypatch):
    from atlas_fixtures import make_known_atlas
    from PySide6.QtWidgets import QMessageBox

    from hubatlas.viewer._qt import atlases

    w = make_window()
    other = tmp_path / "other"
    make_known_atlas(other, ids=["org/text-model", "org/image-model"])
    warned = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: warned.append(a[1]))
    assert w.atlases.open(tmp_path / "nothing-here") is None and warned == ["Not an atlas"]
    win = w.atlases.open(other)
    assert win is not None and len(win.snap) == 2 and win.isVisible()
    assert atlases.recent()[0] == str(other.resolve())
    assert str(w.store.dir.resolve()) in atlases.recent()
    w.atlases.fill_recent()
    assert [a.text() for a in w.atlases.recent_menu.actions()][:2] == atlases.recent()[:2]
    assert w.atlases.open_action.shortcut().toString() == "Ctrl+O"
    win.close()


def test_trend_charts_use_the_maps_colours_and_the_dock_opens_readable(make_window):
    import io

    import numpy as np
    from PIL import Image

    from hubatlas.core.analysis import charts
    from hubatlas.viewer._qt.trends_panel import MIN_HEIGHT
    from hubatlas.viewer.layers.colors import MODALITY_COLORS, RELATION_COLORS

    w = make_window()
    assert w.trends.minimumHeight() == MIN_HEIGHT >= 250
    months = ["2024-01", "2024-02", "2024-03"]
    png = charts.monthly_lines(
        months,
        {"labels": ["Text", "finetune"], "counts": [[1, 5, 9], [9, 5, 1]]},
        "t",
        colors={"Text": MODALITY_COLORS["Text"], "finetune": RELATION_COLORS["finetune"]},
    )
    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    for rgb in (MODALITY_COLORS["Text"], RELATION_COLORS["finetune"]):
        assert (np.abs(img - np.array(rgb)).max(-1) < 12).sum() > 30, rgb  # the map's colours, drawn
