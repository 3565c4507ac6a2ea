"""The hubatlas main window: the map, legend, details, filters, search, menus, status bar and settings."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QStringListModel, Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QCursor, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QCompleter,
    QDockWidget,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QToolBar,
    QToolTip,
)

from hubatlas.core.store.database import Store
from hubatlas.core.store.snapshot import Snapshot
from hubatlas.viewer._qt import atlases, help_texts, minimap, navigation, region_select, shown, status, window_theme
from hubatlas.viewer._qt.analysis_panels import FamilyPanel, TrendsPanel
from hubatlas.viewer._qt.panels import DetailsPanel, FiltersPanel, LegendPanel
from hubatlas.viewer._qt.settings import settings
from hubatlas.viewer._qt.text import plain
from hubatlas.viewer._vispy.canvas import AtlasCanvas
from hubatlas.viewer.layers.atlas_model import AtlasModel
from hubatlas.viewer.layers.atlas_state import Selection
from hubatlas.viewer.layers.colors import MODES

MODE_KEYS = {m: str(i + 1) for i, m in enumerate(MODES)}


class MainWindow(QMainWindow):
    """One atlas in one window. ``store`` is opened read-only; ``snap`` must have a layout."""

    def __init__(self, store: Store, snap: Snapshot, *, label: str = "", icon: QIcon | None = None):
        super().__init__()
        self.draw_problem: str | None = None  # why the map cannot be drawn, after the safe-mode retry failed
        self.model = AtlasModel(store, snap)
        self.store = store
        self.snap = snap
        self.ids = self.model.ids
        s = settings()
        theme = str(s.value("theme", "dark"))
        self.atlas = AtlasCanvas(snap, theme=theme, app="pyside6", parent=self)
        self.state = self.atlas.state  # the window's widgets edit the state; the canvas follows it
        self.state.update(labels=s.value("labels", True, type=bool), density=s.value("density", False, type=bool))
        self.setCentralWidget(self.atlas.canvas.native)
        self.atlas.canvas.native.setFocusPolicy(Qt.StrongFocus)  # the map takes the keyboard (a click, Enter)
        kind = "synthetic" if snap.manifest.get("synthetic") else label
        # Qt adds the application's display name ("hubatlas") to the title itself
        self.setWindowTitle(f"{len(snap):,} models" + (f" [{kind}]" if kind else ""))
        if icon is not None:
            self.setWindowIcon(icon)
        self.legend = LegendPanel()
        self.legend.toggled.connect(self._legend_toggled)
        self.details = DetailsPanel()
        self.filters = FiltersPanel(snap)
        self.filters.changed.connect(self._filters_changed)
        self._after_filters = QTimer(self)
        self._after_filters.setSingleShot(True)
        self._after_filters.setInterval(250)
        self._after_filters.timeout.connect(self._filters_settled)
        self._dock("Legend", self.legend, Qt.RightDockWidgetArea)
        self._dock("Details", self.details, Qt.RightDockWidgetArea)
        self._dock("Filters", self.filters, Qt.LeftDockWidgetArea)
        self.predictions = self.model.predictions
        self.family = FamilyPanel(snap)
        self.family.picked.connect(self._family_picked)
        self.family_dock = self._dock("Family", self.family, Qt.LeftDockWidgetArea)
        self.trends = TrendsPanel(self.model.analysis_data)
        self.trends_dock = self._dock("Trends", self.trends, Qt.BottomDockWidgetArea)
        self.trends_dock.hide()  # charts are computed when the panel is first shown
        self._build_search()
        self._build_menus()
        self.nav = navigation.install(self)  # Go menu, arrow keys, right-click menu, View › Panels
        self.shown = shown.install(self)  # legend counts for what is shown, "no models match", zoom to shown
        self.atlases = atlases.install(self)  # File › Open atlas…, Recent atlases
        self.region, self.minimap = region_select.install(self), minimap.install(self)  # Select menu, minimap (M)
        window_theme.apply(theme)  # the whole window follows the map's theme
        self.status = QLabel()
        self.statusBar().addPermanentWidget(self.status)
        self.set_color_mode(str(s.value("color_mode", "modality")) if s.value("color_mode") in MODES else "modality")
        geo = s.value("geometry")
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
        if self.predictions is not None and settings().value("show_predicted", False, type=bool):
            self.set_show_predicted(True)  # the last choice, where this atlas has predictions
        self._update_status()

    # -- layout of the window ----------------------------------------------------------------------------------
    def _dock(self, title: str, widget, area) -> QDockWidget:
        d = QDockWidget(title, self)
        d.setObjectName(title)
        d.setWidget(widget)
        self.addDockWidget(area, d)
        return d

    def _build_search(self) -> None:
        tb = QToolBar("Search", self)
        tb.setObjectName("search")
        self.addToolBar(tb)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search models and authors (Ctrl+F), Enter to fly there")
        self.search.setClearButtonEnabled(True)
        self._completions = QStringListModel(self)
        comp = QCompleter(self._completions, self)
        comp.setCaseSensitivity(Qt.CaseInsensitive)
        comp.setFilterMode(Qt.MatchContains)
        comp.activated.connect(self.go_to)
        self.search.setCompleter(comp)
        self.search.textEdited.connect(self._type_ahead)
        self.search.returnPressed.connect(self._search_entered)
        tb.addWidget(self.search)

    def _action(self, menu, text, slot, shortcut=None, checkable=False, tip=None) -> QAction:
        a = QAction(text, self)
        if shortcut:
            a.setShortcuts([QKeySequence(k) for k in (shortcut if isinstance(shortcut, list) else [shortcut])])
        a.setCheckable(checkable)
        if tip:
            a.setStatusTip(tip)
        a.triggered.connect(slot)
        menu.addAction(a)
        return a

    def _build_menus(self) -> None:
        mb = self.menuBar()
        f = mb.addMenu("&File")
        self._action(f, "Export image…", self.export_dialog, "Ctrl+E", tip="Save a picture of the map")
        self._action(f, "Quick export (2×)", self.quick_export, "Ctrl+Shift+E",
                     tip="Save the current view at twice the window size next to the last export")
        f.addSeparator()
        self._action(f, "Quit", self.close, QKeySequence.Quit)
        v = mb.addMenu("&View")
        self._action(v, "Find…", lambda: (self.search.setFocus(), self.search.selectAll()), QKeySequence.Find)
        self._action(v, "Zoom in", lambda: self.atlas.zoom(0.7), ["+", "=", "Ctrl++"])
        self._action(v, "Zoom out", lambda: self.atlas.zoom(1 / 0.7), ["-", "Ctrl+-"])
        self._action(v, "Reset view", self.atlas.reset_view, ["Home", "Ctrl+0"])
        v.addSeparator()
        cm = v.addMenu("Colour by")
        group = QActionGroup(self)
        self.mode_actions = {}
        for mode, label in MODES.items():
            a = self._action(cm, label, lambda _=False, m=mode: self.set_color_mode(m), MODE_KEYS[mode],
                             checkable=True)
            group.addAction(a)
            self.mode_actions[mode] = a
        self.size_action = self._action(v, "Size by downloads", self._size_toggled, "S", checkable=True)
        self.edges_action = self._action(v, "Lineage edges in view", self._edges_toggled, "E", checkable=True,
                                         tip="Draw the lineage edges in view, coloured by relation (inferred "
                                             "edges paler)")
        for name, text, key, tip in (("labels", "Labels", "L", "Name regions, families and (zoomed in) models"),
                                     ("density", "Density shading", "D", "Shade where models are dense")):
            a = self._action(v, text, lambda on, f=name: self._toggle(f, on), key, checkable=True, tip=tip)
            a.setChecked(bool(getattr(self.state, name)))
        self.predicted_action = self._action(
            v, "Colour predicted values", self.set_show_predicted, "P", checkable=True,
            tip="Colour models without a documented value by their predicted one, paler (`hubatlas predict`)")
        self.predicted_action.setEnabled(self.predictions is not None)
        v.addAction(self.family_dock.toggleViewAction())
        t = self.trends_dock.toggleViewAction()
        t.setShortcut(QKeySequence("T"))
        v.addAction(t)
        tm = v.addMenu("Theme")
        tg = QActionGroup(self)
        for name in ("dark", "light"):
            a = self._action(tm, name.title(), lambda _=False, t=name: self.set_theme(t), checkable=True)
            a.setChecked(self.atlas.theme.name == name)
            tg.addAction(a)
        self._action(v, "Play history", lambda: self.filters.toggle_play(), "Space",
                     tip="Replay the Hub's growth month by month (the 'As of' filter)")
        self._action(v, "Clear selection", self._escape, "Esc",
                     tip="Clear the selection (in the search box: back to the map)")
        self._action(v, "Copy model id", self.copy_selected_id, QKeySequence.Copy,
                     tip="Copy the selected model's id to the clipboard")
        h = mb.addMenu("&Help")
        self._action(h, "Keyboard shortcuts", self._shortcuts, "F1")
        self._action(h, "About hubatlas", self._about)

    # -- behaviour ---------------------------------------------------------------------------------------------
    def set_color_mode(self, mode: str) -> None:
        self.state.update(mode=mode, hidden_classes=frozenset())
        colors = self.atlas.colors
        self.legend.show_colors(colors)
        action = getattr(self, "mode_actions", {}).get(mode)  # menus are built after the first call
        if action is not None:
            action.setChecked(True)
        settings().setValue("color_mode", mode)
        self._update_status()

    def set_theme(self, name: str) -> None:
        self.state.update(theme=name)
        window_theme.apply(name)
        settings().setValue("theme", name)

    def _toggle(self, name: str, on: bool) -> None:
        self.state.update(**{name: bool(on)})
        settings().setValue(name, bool(on))

    def _size_toggled(self, on: bool) -> None:
        self.state.update(size_by_downloads=on)

    def _edges_toggled(self, on: bool) -> None:
        self.state.update(show_all_edges=on)
        self._update_status()

    def _legend_toggled(self, key: int, visible: bool) -> None:
        hidden = set(self.state.hidden_classes)
        (hidden.discard if visible else hidden.add)(key)
        self.state.update(hidden_classes=frozenset(hidden))
        self._update_status()

    def _filters_changed(self) -> None:
        """Applied at once on the GPU; the Trends panel and the counts follow once the changes pause (a
        replay or a dragged slider changes the filters many times a second)."""
        self.state.update(filters=self.filters.filters())
        self._after_filters.start()

    def _filters_settled(self) -> None:
        self.trends.set_mask(self.atlas.style.filter_mask(self.atlas.state.filters))
        self._update_status()

    def set_show_predicted(self, on: bool) -> None:
        if on and self.predictions is None:
            self.statusBar().showMessage("No predictions for this atlas: run `hubatlas predict`", 6000)
            return
        self.state.update(predictions=self.predictions, show_predicted=on, hidden_classes=frozenset())
        self.legend.show_colors(self.atlas.colors)
        self.predicted_action.setChecked(on)
        settings().setValue("show_predicted", on)
        self._update_status()

    def _family_picked(self, node: int) -> None:
        if self.atlas.placed[node]:
            self.atlas.fly_to(node, zoom=max(self.atlas.zoom_level(), 8.0))
        self.select(node, refresh_family=False)

    def predicted_for(self, node: int) -> dict:
        return self.model.predicted_for(node)

    def focus_map(self) -> None:
        """Keyboard focus to the map (so +, -, Home and the arrow keys act on it)."""
        if self.search.completer() is not None:
            self.search.completer().popup().hide()
        self.atlas.canvas.native.setFocus()

    def _search_entered(self) -> None:
        self.go_to(self.search.text())
        self.focus_map()

    def _escape(self) -> None:
        if self.focusWidget() is self.search:
            self.focus_map()
        else:
            self.select(None)

    def copy_selected_id(self) -> str | None:
        from PySide6.QtWidgets import QApplication

        node = self.atlas.selected
        if node is None:
            self.statusBar().showMessage("Nothing selected to copy", 3000)
            return None
        mid = self.model.model_id(node)
        QApplication.clipboard().setText(mid)
        self.statusBar().showMessage(f"Copied {plain(mid, 200)}", 3000)
        return mid

    def _type_ahead(self, text: str) -> None:
        if len(text.strip()) < 2:
            return
        hits = self.model.search(text, 20)
        self._completions.setStringList([h["id"] for h in hits])

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
        if not self.atlas.placed[node]:
            self.statusBar().showMessage("That model has no position yet: run `hubatlas layout`", 5000)
            return False
        self.atlas.fly_to(node)
        self.select(node)
        return True

    def select(self, node: int | None, refresh_family: bool = True) -> None:
        if node is None:
            self.state.update(selection=Selection())
            self.details.show_record(None)
            self.family.show_node(None)
            return
        mid = self.model.model_id(node)
        self.state.update(selection=Selection(node, self.model.family_of(node), self.model.lineage(node)))
        self.details.show_record(self.model.record(node), self.model.predicted_for(node))
        if refresh_family:
            self.family.show_node(node)
        else:
            self.family.mark(node)
        self.statusBar().showMessage(plain(mid, 200), 5000)

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
        mid = self.ids[node].as_py()
        task = self.snap.nodes.column("pipeline_tag")[node].as_py() or "-"
        dl = self.snap.nodes.column("downloads")[node].as_py()
        QToolTip.showText(QCursor.pos(), f"{plain(mid, 200)}\n{plain(task)}\n{dl if dl is not None else '-'} downloads",
                          self.atlas.canvas.native)

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
            self._draw_failed(self.atlas.draw_error)
        if self.atlas.maybe_settle() or self.atlas.interacting:
            self._update_status()

    def _draw_failed(self, why: str) -> None:
        status.draw_failed(self, why)

    def _update_status(self) -> None:
        status.refresh(self)

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

    def _shortcuts(self) -> None:
        box = QMessageBox(QMessageBox.Information, "Keyboard shortcuts", self.shortcuts_html(), parent=self)
        box.setTextFormat(Qt.RichText)
        box.exec()

    def about_text(self) -> str:
        """The About box: version, this atlas, its layout, and how GPU layout is enabled."""
        return help_texts.about_text(self.snap.manifest)

    def _about(self) -> None:
        QMessageBox.about(self, "About hubatlas", self.about_text())

    def closeEvent(self, event) -> None:  # noqa: N802
        s = settings()
        s.setValue("geometry", self.saveGeometry())
        s.setValue("last_atlas", str(Path(self.store.dir)))
        self._timer.stop()
        super().closeEvent(event)
