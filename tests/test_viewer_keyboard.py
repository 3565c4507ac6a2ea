"""The window as a keyboard user meets it (pytest-qt, real GL under Xvfb): history playback, the title, focus
after a search, copying the selected id, the shortcuts table."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")
pytestmark = [pytest.mark.gl, pytest.mark.usefixtures("isolated_settings")]


def test_history_playback_replays_month_by_month(make_window, qtbot):
    """Play animates "as of" from the first month a tick at a time, counting the models so far, through
    the shader (no point-buffer upload), and stops at the end; Space toggles it."""
    w = make_window()
    f = w.filters
    uploads = w.atlas.points.uploads
    f.toggle_play(True)
    assert f.as_of.value() == f.day_lo and f.play.isChecked()
    assert w.atlas.visible_count == 1  # the first model only (2022-05)
    assert f.as_of_label.text().endswith("· 1 model shown")  # what every filter shows (issue 25)
    qtbot.waitUntil(lambda: w.atlas.visible_count == 3, timeout=10_000)  # 2024-05: three models so far
    qtbot.waitUntil(lambda: not f.play.isChecked(), timeout=30_000)  # stops at the last model's month
    assert f.as_of.value() == f.day_hi and w.atlas.visible_count == 5
    assert f.as_of_label.text().endswith("· 5 models shown")
    assert w.atlas.points.uploads == uploads
    from PySide6.QtGui import QAction

    act = next(a for a in w.findChildren(QAction) if a.text() == "Play history")
    assert act.shortcut().toString() == "Space"
    act.trigger()
    assert f.play.isChecked()
    f.toggle_play(False)
    assert not f._play_timer.isActive()


def test_title_names_the_app_once_and_about_names_the_layout(make_window):
    w = make_window()
    # the app sets its display name ("hubatlas"), which Qt appends to every window title itself
    assert "hubatlas" not in w.windowTitle() and w.windowTitle() == "5 models [test]"
    assert "Layout: test" in w.about_text()  # the fixture's layout, described by its backend


def test_search_hands_focus_back_to_the_map_and_copy_takes_the_id(make_window, qtbot):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    w = make_window()
    w.search.setFocus()
    assert (
        w.focusWidget() is w.search
    )  # (the window's focus widget: Xvfb has no window manager to activate it)
    qtbot.keyClicks(w.search, "org/image-model")
    qtbot.keyClick(w.search, Qt.Key_Return)
    assert w.atlas.selected == w.index_of("org/image-model")
    assert w.focusWidget() is w.atlas.canvas.native  # Enter hands the keyboard back to the map
    w.copy_selected_id()
    assert QApplication.clipboard().text() == "org/image-model"
    w.search.setFocus()
    w.escape()  # Esc in the search box: back to the map, the selection stays
    assert w.focusWidget() is w.atlas.canvas.native and w.atlas.selected == w.index_of("org/image-model")
    w.escape()  # Esc on the map clears the selection
    assert w.atlas.selected is None and w.copy_selected_id() is None


def test_f1_lists_every_shortcut_in_a_table(make_window):
    w = make_window()
    html = w.shortcuts_html()
    assert html.startswith("<table") and html.count("<tr>") == len(w.SHORTCUTS) >= 15
    from PySide6.QtGui import QAction

    keys = {a.shortcut().toString() for a in w.findChildren(QAction) if not a.shortcut().isEmpty()}
    for k in (
        "Space",
        "Esc",
        "Ctrl+C",
        "F1",
        "Ctrl+E",
        "S",
        "E",
        "P",
        "T",
        "B",
        "O",
        "M",
        "Ctrl+A",
        "Ctrl+Shift+S",
    ):
        assert k in keys and k in html.replace("&nbsp;", " ")


def test_labels_and_density_keys_toggle_the_layers_and_persist(make_window, qtbot, tmp_path):
    from PySide6.QtGui import QAction

    from hubatlas.viewer._qt.settings import settings

    w = make_window()
    acts = {a.text(): a for a in w.findChildren(QAction)}
    labels, density = acts["Labels"], acts["Density shading"]
    assert labels.shortcut().toString() == "L" and density.shortcut().toString() == "D"
    assert w.state.labels and labels.isChecked() and not w.state.density and not density.isChecked()
    labels.trigger()
    density.trigger()
    assert not w.state.labels and w.state.density
    w.atlas.render()
    assert w.atlas.labels_drawn == [] and w.atlas.density.image.visible
    assert settings().value("labels", type=bool) is False and settings().value("density", type=bool) is True
    w.close()
    again = make_window(tmp_path / "again")  # the choice is kept for the next session
    assert not again.state.labels and again.state.density
