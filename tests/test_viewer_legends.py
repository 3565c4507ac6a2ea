"""What the legend and the dropdowns say in a real window: the edge colours (with counts) while the lineage
overlay is on, and each filter dropdown's counts for what the other filters keep."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")
pytestmark = [pytest.mark.gl, pytest.mark.usefixtures("isolated_settings")]


def _rows(w):
    return [w.legend.item(i).text() for i in range(w.legend.count())]


def test_edge_colour_legend_follows_the_overlay(make_window, qtbot):
    from hubatlas.viewer._qt.legend import EDGE_ROW

    w = make_window()
    assert not any("Lineage edges" in r for r in _rows(w))
    w.edges_action.trigger()
    rows = _rows(w)
    assert "Lineage edges" in rows and "finetune  (1)" in rows  # the known atlas: one documented finetune
    item = next(
        w.legend.item(i) for i in range(w.legend.count()) if w.legend.item(i).text() == "finetune  (1)"
    )
    assert item.data(EDGE_ROW) and not item.flags() & item.flags().ItemIsUserCheckable
    # the swatch is the overlay's colour for the relation
    from hubatlas.viewer.layers.colors import RELATION_COLORS

    img = item.icon().pixmap(14, 14).toImage()
    assert img.pixelColor(7, 7).getRgb()[:3] == RELATION_COLORS["finetune"]
    w.state.color_by("license")  # a new colour mode keeps the edge rows
    assert "finetune  (1)" in _rows(w)
    w.edges_action.trigger()
    assert not any("finetune" in r for r in _rows(w))


def test_dropdown_counts_are_for_what_the_other_filters_keep(make_window, qtbot):
    w = make_window()
    task = w.filters.combos["pipeline_tag"]
    lic = w.filters.combos["license"]

    def texts(cb):
        return cb.texts()

    assert "mit (3)" in texts(lic)
    task.check_only(task.code_of("text-generation"))
    qtbot.waitUntil(lambda: "mit (1 of 3)" in texts(lic), timeout=3000)
    assert "apache-2.0 (1 of 2)" in texts(lic)
    # a dropdown's own choice does not narrow its own counts
    assert "image-classification (1)" in texts(task)
    w.shown.reset()
    qtbot.waitUntil(lambda: "mit (3)" in texts(lic), timeout=3000)
