"""One state, one way to change it (issue 26): every field of ``AtlasState`` is changed through the state alone,
and every view follows it — the canvas's tables and uniforms, the legend and its title, the filters' widgets,
the toolbar and menus, the status bar, the minimap, the details and family panels, the selection panel and the
persisted settings. Closing the window undoes every subscription."""

from __future__ import annotations

import numpy as np
import pytest
from atlas_fixtures import KNOWN

pytest.importorskip("pytestqt")
pytestmark = [pytest.mark.gl, pytest.mark.usefixtures("isolated_settings")]


def _u(w, name):
    return w.atlas.points.shared_program[name]


def test_every_field_changed_through_the_state_reaches_every_view(make_window, qtbot):
    from PySide6.QtCore import Qt

    from hubatlas.core.common.fields import MODE_NUMBER
    from hubatlas.core.common.filters import Filters
    from hubatlas.viewer._qt.settings import settings
    from hubatlas.viewer.layers.atlas_state import Region

    w = make_window()
    st = w.state
    # mode: canvas, legend (title too), toolbar, menu, minimap, settings
    st.color_by("license")
    assert float(_u(w, "u_mode")) == MODE_NUMBER["license"]
    assert w.legend_dock.windowTitle() == "Legend: Licence"
    assert any(w.legend.item(i).text().startswith("mit") for i in range(w.legend.count()))
    assert w.toolbar.color_by.currentData() == "license" and w.mode_actions["license"].isChecked()
    w.minimap.grab()  # paints it
    assert w.minimap.picture_key == ("dark", id(w.atlas.colors))
    assert settings().value("color_mode") == "license"
    # hidden classes: legend check marks, the canvas's table, the counts
    mit = next(e for e in w.atlas.colors.legend if e.label == "mit")
    st.show_class(mit.key, False)
    item = next(
        w.legend.item(i) for i in range(w.legend.count()) if w.legend.item(i).data(Qt.UserRole) == mit.key
    )
    assert item.checkState() == Qt.Unchecked and w.atlas.visible_count == 2
    assert "2 shown" in w.status.text()
    st.update(hidden_classes=frozenset())
    assert item.checkState() == Qt.Checked and w.atlas.visible_count == 5
    # filters: the checklists and date sliders show them; counts follow once they settle
    codes = w.filters.combos["license"]
    f = Filters(dict(Filters.none().values, license=codes.code_of("mit")), min_downloads=5)
    st.update(filters=f)
    assert codes.checked() == frozenset({codes.code_of("mit")}) and w.filters.min_dl.value() == 5
    assert w.atlas.visible_count == 2  # mit with ≥ 5 downloads: org/text-model, org/newest
    qtbot.waitUntil(lambda: "2 models shown" in w.filters.as_of_label.text(), timeout=3000)
    qtbot.waitUntil(
        lambda: any("(2 of 3)" in w.legend.item(i).text() for i in range(w.legend.count())), timeout=3000
    )
    st.update(filters=Filters.none())  # a reset is one state change: the widgets follow
    assert codes.checked() is None and w.filters.min_dl.value() == 0
    # theme, sizes, edges, labels, density: canvas, menus, settings
    st.update(theme="light", size_by_downloads=True, show_all_edges=True, labels=False, density=True)
    assert tuple(w.atlas.canvas.bgcolor.rgba) == pytest.approx(w.atlas.theme.background)
    assert w.theme_actions["light"].isChecked() and settings().value("theme") == "light"
    assert float(_u(w, "u_use_scale")) == 1.0 and w.size_action.isChecked()
    assert w.edges_action.isChecked() and any(
        "Lineage edges" in w.legend.item(i).text() for i in range(w.legend.count())
    )
    assert w.toggle_actions["labels"].isChecked() is False and w.toggle_actions["density"].isChecked()
    w.atlas.render()
    assert not w.atlas.labels_drawn and w.atlas.density.image.visible
    # selection: details, family, the canvas's highlight
    ft = w.index_of("org/text-ft")
    w.select(ft)
    assert "org/text-ft" in w.details.title.text() and "2 models in this family" in w.family.summary.text()
    assert w.atlas.selection.markers.visible
    # a region: the others fade, the panel lists it
    st.update(region=Region(np.array([ft]), None, "test"))
    assert float(_u(w, "u_fade")) > 0 and w.region.panel.table.rowCount() == 1
    st.update(region=Region())
    assert float(_u(w, "u_fade")) == 0 and w.region.panel.table.rowCount() == 0


def test_closing_the_window_undoes_every_subscription(make_window):
    w = make_window()
    st = w.state
    assert len(st._listeners) > 10  # canvas, legend, panels, toolbar, menus, status, minimap, settings, ...
    w.close()
    w.atlas.close()
    assert st._listeners == []
    st.color_by("license")  # nothing listens: no closed widget is touched


def test_the_shader_numbers_its_modes_from_the_fields_table():
    from hubatlas.core.common.fields import MODE_NUMBER, MODES
    from hubatlas.viewer._vispy.points import mode_code_glsl
    from hubatlas.viewer.layers.styling import SHADER_VALUE

    glsl = mode_code_glsl()
    for mode, number in MODE_NUMBER.items():
        assert f"u_mode < {number + 0.5}" in glsl and SHADER_VALUE[mode] in glsl
    assert list(MODES) == list(MODE_NUMBER)
    assert set(KNOWN)  # the fixture atlas used above
