"""The hubatlas main window: the map, legend, details, filters, family, trends and selection panels, search and
colour-by toolbar, menus, status bar and settings. One ``AtlasState`` is what the window shows: every widget
changes it through its methods and every view follows it (``state.on_change``); the window only wires the
views to the state, the atlas (``AtlasModel``) and each other."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QCursor, QIcon
from PySide6.QtWidgets import QMainWindow, QMessageBox, QScrollArea, QToolTip

from hubatlas.viewer._qt import (
    atlases,
    help_texts,
    memory,
    menus,
    minimap,
    navigation,
    state_settings,
    window_menus,
    window_theme,
)
from hubatlas.viewer._qt.details import DetailsPanel
from hubatlas.viewer._qt.family_panel import FamilyPanel
from hubatlas.viewer._qt.filters_panel import FiltersPanel
from hubatlas.viewer._qt.legend import LegendPanel
from hubatlas.viewer._qt.region_select import RegionSelect
from hubatlas.viewer._qt.settings import settings
from hubatlas.viewer._qt.shown import ShownFeedback
from hubatlas.viewer._qt.status import MapStatus
from hubatlas.viewer._qt.text import plain
from hubatlas.viewer._qt.toolbar import MapToolBar
from hubatlas.viewer._qt.trends_panel import TrendsPanel
from hubatlas.viewer._vispy.canvas import AtlasCanvas
from hubatlas.viewer.layers.about import about_text
from hubatlas.viewer.layers.atlas_model import AtlasModel
from hubatlas.viewer.layers.atlas_state import Selection
from hubatlas.viewer.layers.describe import hover_lines

MAP_SHARE = 0.5  # the map keeps at least this share of the window's width (panels shrink or tab together)


class MainWindow(QMainWindow):
    """One atlas in one window. ``model``: the open atlas (read-only store, laid-out snapshot)."""

    def __init__(self, model: AtlasModel, *, label: str = "", icon: QIcon | None = None):
        super().__init__()
        self.model = model
        self.store, self.snap, self.ids = model.store, model.snap, model.ids
        self.state = state_settings.state_from_settings(model.predictions is not None)
        self.atlas = AtlasCanvas(model, state=self.state, app="pyside6", parent=self)
        self.setCentralWidget(self.atlas.canvas.native)
        self.atlas.canvas.native.setFocusPolicy(Qt.StrongFocus)  # the map takes the keyboard (a click, Enter)
        self.atlas.canvas.native.setMinimumSize(200, 160)
        kind = "synthetic" if model.synthetic else label
        placeholders = int(model.column("placeholder").sum()) if model.n else 0
        # Qt adds the application's display name ("hubatlas") to the title itself
        self.setWindowTitle(f"{model.n - placeholders:,} models" + (f" [{kind}]" if kind else ""))
        if icon is not None:
            self.setWindowIcon(icon)
        self.views = []
        self._build_panels()
        self.toolbar = MapToolBar(self, model, self.state, self.go_to, self.focus_map)
        self.search = self.toolbar.search
        window_menus.build(self)
        self.shown = ShownFeedback(self, model, self.state, self.atlas, self.legend, self.filters)
        self.atlases = atlases.install(self)
        self.region = RegionSelect(
            self, model, self.state, self.atlas, self.details_dock, self.fly_to_and_select
        )
        self.minimap, self.minimap_action = minimap.install(self, self.atlas, self.state)
        self.nav = navigation.install(
            self, navigation.Navigation(self, self.atlas, model, self.state, self.select, self.show_family)
        )
        self.status = MapStatus(self.statusBar(), model, self.state, self.atlas)
        self.views += [self.toolbar, self.shown, self.region, self.minimap, self.status]
        self.views.append(_Unsubscriber(state_settings.persist(self.state)))
        self.views.append(_Unsubscriber(self.state.on_change(self._follow)))
        window_theme.apply(self.state.theme)  # the whole window follows the map's theme
        geo = settings().value("geometry")
        if geo is not None:
            self.restoreGeometry(geo)
        else:
            self.resize(1400, 900)
        c = self.atlas.canvas
        c.events.mouse_move.connect(self._on_move)
        c.events.mouse_press.connect(self._on_press)
        c.events.mouse_release.connect(self._on_release)
        self._press_pos = None
        self._timer = QTimer(self)
        self._timer.setInterval(60)
        self._timer.timeout.connect(self._tick)
        self._timer.start()
        self.status.refresh()

    def _build_panels(self) -> None:
        m, st = self.model, self.state
        self.legend = LegendPanel(st, self.atlas)
        self.details = DetailsPanel(m, st)
        self.filters = FiltersPanel(m, st)
        self.family = FamilyPanel(m, st)
        self.family.picked.connect(self._family_picked)
        self.trends = TrendsPanel(m, st)
        scroll = QScrollArea()  # the filters shrink with the window instead of pushing the map aside
        scroll.setWidget(self.filters)
        scroll.setWidgetResizable(True)
        self.legend_dock = menus.dock(self, self.legend.title, self.legend, Qt.RightDockWidgetArea)
        self.legend.dock = self.legend_dock
        self.details_dock = menus.dock(self, "Details", self.details, Qt.RightDockWidgetArea)
        self.filters_dock = menus.dock(self, "Filters", scroll, Qt.LeftDockWidgetArea)
        self.family_dock = menus.dock(self, "Family", self.family, Qt.LeftDockWidgetArea)
        self.trends_dock = menus.dock(self, "Trends", self.trends, Qt.BottomDockWidgetArea)
        self.trends_dock.hide()  # charts are computed when the panel is first shown
        self.views += [self.legend, self.details, self.filters, self.family, self.trends]

    # -- following the state -------------------------------------------------------------------------------------
    def _follow(self, changed: set[str]) -> None:
        if "theme" in changed:
            window_theme.apply(self.state.theme)

    @property
    def draw_problem(self) -> str | None:
        return self.status.problem

    # -- actions -------------------------------------------------------------------------------------------------
    def focus_map(self) -> None:
        """Keyboard focus to the map (so +, -, Home and the arrow keys act on it)."""
        if self.search.completer() is not None:
            self.search.completer().popup().hide()
        self.atlas.canvas.native.setFocus()

    def escape(self) -> None:
        """Esc: from the search box back to the map; on the map, leave the region tool or clear selections."""
        if self.focusWidget() is self.search:
            self.focus_map()
            return
        self.select(None)
        self.region.leave_tool_or_clear()

    def copy_selected_id(self) -> str | None:
        from PySide6.QtWidgets import QApplication

        node = self.state.selection.node
        if node is None:
            self.statusBar().showMessage("Nothing selected to copy", 3000)
            return None
        mid = self.model.model_id(node)
        QApplication.clipboard().setText(mid)
        self.statusBar().showMessage(f"Copied {plain(mid, 200)}", 3000)
        return mid

    def index_of(self, model_id: str) -> int | None:
        return self.model.index_of(model_id)

    def go_to(self, text: str) -> bool:
        """Fly to and select a model by id (or the best search hit)."""
        text = text.strip()
        if not text:
            return False
        node = self.model.find(text)
        if node is None:
            self.statusBar().showMessage(f"No model matches {plain(text, 80)!r}", 5000)
            return False
        if not self.model.placed[node]:
            self.statusBar().showMessage("That model has no position yet: run `hubatlas layout`", 5000)
            return False
        self.atlas.fly_to(node)
        self.select(node)
        return True

    def fly_to_and_select(self, node: int) -> None:
        """Centre on a model (at least 8× zoomed) and select it: a row picked in a panel."""
        if self.model.placed[node]:
            self.atlas.fly_to(node, zoom=max(self.atlas.zoom_level(), 8.0))
        self.select(node)

    def select(self, node: int | None) -> None:
        """Select a model (None: nothing): its family and lineage are outlined; the panels follow."""
        if node is None:
            self.state.update(selection=Selection())
            return
        self.state.update(selection=Selection(node, self.model.family_of(node), self.model.lineage(node)))
        self.statusBar().showMessage(plain(self.model.model_id(node), 200), 5000)

    def show_family(self, node: int) -> None:
        self.select(node)
        menus.raise_dock(self.family_dock)

    def _family_picked(self, node: int) -> None:
        self.fly_to_and_select(node)

    # -- mouse -------------------------------------------------------------------------------------------------
    def _on_move(self, event) -> None:
        if event.is_dragging:
            return
        t = time.perf_counter()
        node = self.atlas.pick(*event.pos[:2])
        self.last_hover_ms = (time.perf_counter() - t) * 1000
        if node is None:
            QToolTip.hideText()
            return
        QToolTip.showText(QCursor.pos(), "\n".join(hover_lines(self.model, node)), self.atlas.canvas.native)

    def _on_press(self, event) -> None:
        self._press_pos = tuple(event.pos[:2])

    def _on_release(self, event) -> None:
        if self._press_pos is None or event.button != 1:
            return
        moved = np.hypot(event.pos[0] - self._press_pos[0], event.pos[1] - self._press_pos[1])
        self._press_pos = None
        if moved < 4:
            self.select(self.atlas.pick(*event.pos[:2]))

    def _tick(self) -> None:
        if self.atlas.draw_error is not None:
            self.status.draw_failed(self.atlas.draw_error, self)
        if self.atlas.maybe_settle():
            self.status.refresh()
            memory.release()  # the map rests: what the change freed goes back to the system
        elif self.atlas.interacting:
            self.status.refresh()

    # -- the map keeps its share of the window -------------------------------------------------------------------
    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.fit_panels()

    def fit_panels(self) -> None:
        """On a small (logical) screen the panels shrink, then tab together, so the map keeps at least half of
        the window's width."""
        width = self.width()
        side = int(width * (1 - MAP_SHARE) / 2)
        for d in (self.legend_dock, self.details_dock, self.filters_dock, self.family_dock):
            d.setMaximumWidth(max(side, 120))
        if self.atlas.canvas.native.width() < MAP_SHARE * width:
            for a, b in ((self.legend_dock, self.details_dock), (self.filters_dock, self.family_dock)):
                if not self.tabifiedDockWidgets(a) and a.isVisible() and b.isVisible():
                    self.tabifyDockWidget(a, b)

    # -- export (File menu) ----------------------------------------------------------------------------------
    def export_dialog(self) -> None:
        from hubatlas.viewer._qt.export_dialog import ExportDialog

        ExportDialog(self).exec()

    def quick_export(self) -> None:
        from hubatlas.viewer._qt.export_dialog import quick_export

        path = quick_export(self)
        self.statusBar().showMessage(f"Saved {path}", 8000)

    # -- help ------------------------------------------------------------------------------------------------
    SHORTCUTS = help_texts.SHORTCUTS

    def shortcuts_html(self) -> str:
        return help_texts.shortcuts_html()

    def show_shortcuts(self) -> None:
        box = QMessageBox(QMessageBox.Information, "Keyboard shortcuts", self.shortcuts_html(), parent=self)
        box.setTextFormat(Qt.RichText)
        box.exec()

    def about_text(self) -> str:
        """The About box: version, this atlas, its layout, and how GPU layout is enabled."""
        return about_text(self.model.manifest)

    def show_about(self) -> None:
        QMessageBox.about(self, "About hubatlas", self.about_text())

    def closeEvent(self, event) -> None:
        s = settings()
        s.setValue("geometry", self.saveGeometry())
        if self.store is not None:
            s.setValue("last_atlas", str(Path(self.store.dir)))
        self._timer.stop()
        for v in self.views:
            v.close_views()
        self.views = []
        super().closeEvent(event)


class _Unsubscriber:
    def __init__(self, undo):
        self.undo = undo

    def close_views(self) -> None:
        self.undo()
