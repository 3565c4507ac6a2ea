"""Box and lasso selection on the map, as in napari, Gephi and Embedding Atlas: Shift+drag draws a box,
Ctrl+drag a lasso (or B / O make a plain drag do so until Esc); the models shown inside are selected,
highlighted, summarised in the Selection panel (counts by task, licence, library and modality; total
downloads) and can be exported as CSV. Select › Select all shown (Ctrl+A) takes everything the filters show."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from vispy.util import keys

from hubatlas.viewer._qt import menus
from hubatlas.viewer._qt.shown import fit_view
from hubatlas.viewer._qt.text import plain
from hubatlas.viewer._vispy.overlays import RegionOverlay
from hubatlas.viewer.layers.region import in_box, in_polygon, summarise, write_csv

MIN_DRAG_PX = 4  # a shorter drag is a click (it selects one model)


class SelectionPanel(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        self.header = QLabel("Nothing selected. Shift+drag a box or Ctrl+drag a lasso on the map.")
        self.header.setTextFormat(Qt.PlainText)
        self.header.setWordWrap(True)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)  # plain text: values come from untrusted metadata
        row = QHBoxLayout()
        self.zoom_btn = QPushButton("Zoom to")
        self.export_btn = QPushButton("Export CSV…")
        self.clear_btn = QPushButton("Clear")
        for b in (self.zoom_btn, self.export_btn, self.clear_btn):
            b.setEnabled(False)
            row.addWidget(b)
        lay.addWidget(self.header)
        lay.addWidget(self.text)
        lay.addLayout(row)


class RegionSelect:
    def __init__(self, window):
        self.w = window
        atlas = window.atlas
        self.overlay = RegionOverlay(atlas.view.scene, atlas.xy, atlas.order)
        self.tool: str | None = None       # "box" or "lasso": what a plain drag draws (None: it pans)
        self.kind: str | None = None       # the shape being drawn now
        self.path: list[tuple[float, float]] = []
        self._press_px = (0.0, 0.0)
        self.nodes = np.zeros(0, dtype=np.int64)
        self.outline: np.ndarray | None = None
        self.panel = SelectionPanel()
        self.panel.zoom_btn.clicked.connect(self.zoom_to)
        self.panel.export_btn.clicked.connect(self.export_dialog)
        self.panel.clear_btn.clicked.connect(self.clear)
        self.dock = window._dock("Selection", self.panel, Qt.RightDockWidgetArea)
        self.dock.hide()
        window.state.on_change(lambda names: self._restyle() if "theme" in names else None)
        c = atlas.canvas
        c.events.mouse_press.connect(self._press)
        c.events.mouse_move.connect(self._move)
        c.events.mouse_release.connect(self._release)
        self._menu()

    # -- menu ----------------------------------------------------------------------------------------------------
    def _menu(self) -> None:
        w = self.w
        menu = menus.add_before_help(w, "&Select")
        group = QActionGroup(w)
        group.setExclusionPolicy(QActionGroup.ExclusionPolicy.ExclusiveOptional)
        self.tool_actions = {}
        for tool, text, key, tip in (("box", "Box select", "B", "A drag draws a box (or Shift+drag at any time)"),
                                     ("lasso", "Lasso select", "O", "A drag draws a lasso (or Ctrl+drag at any time)")):
            a = w._action(menu, text, lambda on, t=tool: self.set_tool(t if on else None), key, checkable=True,
                          tip=tip)
            group.addAction(a)
            self.tool_actions[tool] = a
        menu.addSeparator()
        w._action(menu, "Select all shown", self.select_shown, QKeySequence.SelectAll,
                  tip="Select every model the filters and legend show")
        self.export_action = w._action(menu, "Export selected ids as CSV…", self.export_dialog, "Ctrl+Shift+S",
                                       tip="Save the selected models (id, task, library, licence, downloads…)")
        w._action(menu, "Clear region selection", self.clear)
        menu.addSeparator()
        menu.addAction(self.dock.toggleViewAction())
        panels = menus.menu_named(w, "Panels", menus.menu_named(w, "&View"))
        if panels is not None:  # View › Panels reopens every panel, this one too
            panels.insertAction(panels.actions()[0] if panels.actions() else None, self.dock.toggleViewAction())
        # Esc also leaves the tool and clears the region
        esc = next(a for a in w.findChildren(QAction) if a.text() == "Clear selection")
        esc.triggered.connect(lambda: self.set_tool(None) if self.tool else self.clear())

    def set_tool(self, tool: str | None) -> None:
        self.tool = tool
        for name, a in self.tool_actions.items():
            a.setChecked(name == tool)
        self.w.atlas.view.camera.interactive = tool is None  # with a tool, a plain drag selects, not pans
        if tool:
            self.w.statusBar().showMessage(f"{tool.title()} select: drag on the map (Esc to pan again)", 5000)

    # -- the mouse -----------------------------------------------------------------------------------------------
    def _shape_for(self, event) -> str | None:
        mods = event.modifiers or ()
        if keys.SHIFT in mods:
            return "box"
        if keys.CONTROL in mods or keys.META in mods:
            return "lasso"
        return self.tool

    def _press(self, event) -> None:
        if event.button != 1:
            return
        self.kind = self._shape_for(event)
        if self.kind is None:
            return
        self._press_px = tuple(event.pos[:2])
        self.path = [self.w.atlas.scene_coords(*event.pos[:2])]
        self.w.atlas.view.camera.interactive = False  # the drag draws, it does not pan (even if Shift is let go)

    def _move(self, event) -> None:
        if self.kind is None or not event.is_dragging:
            return
        p = self.w.atlas.scene_coords(*event.pos[:2])
        if self.kind == "box":
            self.path = [self.path[0], p]
        else:
            self.path.append(p)
        self.overlay.show_outline(self._shape(), self._outline_color())
        self.w.atlas.canvas.update()

    def _release(self, event) -> None:
        kind, self.kind = self.kind, None
        if kind is None or event.button != 1:
            return
        self.w.atlas.view.camera.interactive = self.tool is None
        moved = np.hypot(event.pos[0] - self._press_px[0], event.pos[1] - self._press_px[1])
        if moved < MIN_DRAG_PX:  # a click: the window selects the model under it
            self.overlay.show_outline(self.outline, self._outline_color())
            return
        p = self.w.atlas.scene_coords(*event.pos[:2])
        self.path = [self.path[0], p] if kind == "box" else self.path + [p]
        if kind == "box":
            (x0, y0), (x1, y1) = self.path
            self.select_box(x0, y0, x1, y1)
        else:
            self.select_polygon(np.array(self.path))

    def _shape(self) -> np.ndarray | None:
        if len(self.path) < 2:
            return None
        if self.kind == "box" or (self.kind is None and len(self.path) == 2):
            (x0, y0), (x1, y1) = self.path[0], self.path[-1]
            return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float64)
        return np.array(self.path, np.float64)

    def _outline_color(self):
        return (0.1, 0.1, 0.1, 0.9) if self.w.atlas.theme.name == "light" else (1.0, 0.85, 0.2, 0.95)

    def _dot_color(self):
        """The highlight of the selected models: amber on the dark map, a deep red on the light one."""
        return (0.8, 0.1, 0.1, 0.85) if self.w.atlas.theme.name == "light" else (1.0, 0.85, 0.2, 0.85)

    def _restyle(self) -> None:
        """The outline and highlight in the new theme's colours."""
        self.overlay.show_outline(self.outline, self._outline_color())
        self.overlay.show_nodes(self.nodes if len(self.nodes) else None, self._dot_color())

    # -- selecting -----------------------------------------------------------------------------------------------
    def _shown(self) -> np.ndarray:
        return self.w.shown.shown_mask() & self.w.atlas.placed

    def select_box(self, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
        """Select the shown models inside the box (world coordinates)."""
        nodes = in_box(self.w.atlas.xy, self._shown(), x0, y0, x1, y1)
        self.set_nodes(nodes, np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float64), "box")
        return nodes

    def select_polygon(self, polygon: np.ndarray) -> np.ndarray:
        """Select the shown models inside the lasso (its vertices in world coordinates)."""
        nodes = in_polygon(self.w.atlas.xy, self._shown(), polygon)
        self.set_nodes(nodes, np.asarray(polygon, np.float64), "lasso")
        return nodes

    def select_shown(self) -> np.ndarray:
        nodes = np.flatnonzero(self._shown())
        self.set_nodes(nodes, None, "all shown")
        return nodes

    def set_nodes(self, nodes: np.ndarray, outline: np.ndarray | None, how: str) -> None:
        self.nodes = np.asarray(nodes, dtype=np.int64)
        self.outline = outline
        self.overlay.show_outline(outline, self._outline_color())
        self.overlay.show_nodes(self.nodes, self._dot_color())
        self.w.atlas.canvas.update()
        p = self.panel
        if not len(self.nodes):
            p.header.setText(f"No models shown inside the {how}.")
            p.text.setPlainText("")
        else:
            s = summarise(self.w.snap, self.nodes)
            drawn = self.overlay.drawn
            p.header.setText(f"{s.count:,} models ({how})" + ("" if drawn == s.count else
                             f"; the {drawn:,} most prominent are highlighted"))
            p.text.setPlainText("\n".join(plain(line, 300) for line in s.lines()))
        for b in (p.zoom_btn, p.export_btn, p.clear_btn):
            b.setEnabled(bool(len(self.nodes)))
        p.clear_btn.setEnabled(True)
        self.dock.show()
        self.w.statusBar().showMessage(f"{len(self.nodes):,} models selected ({how})", 5000)

    def clear(self) -> None:
        self.nodes = np.zeros(0, dtype=np.int64)
        self.outline = None
        self.overlay.show_outline(None)
        self.overlay.show_nodes(None)
        self.panel.header.setText("Nothing selected. Shift+drag a box or Ctrl+drag a lasso on the map.")
        self.panel.text.setPlainText("")
        for b in (self.panel.zoom_btn, self.panel.export_btn, self.panel.clear_btn):
            b.setEnabled(False)
        self.w.atlas.canvas.update()

    def zoom_to(self) -> bool:
        if not len(self.nodes):
            return False
        fit_view(self.w.atlas, self.w.atlas.xy[self.nodes])
        return True

    # -- export --------------------------------------------------------------------------------------------------
    def export_csv(self, path) -> int:
        return write_csv(path, self.w.snap, self.nodes)

    def export_dialog(self) -> None:
        if not len(self.nodes):
            self.w.statusBar().showMessage("Select models first: Shift+drag a box or Ctrl+drag a lasso", 5000)
            return
        path, _ = QFileDialog.getSaveFileName(self.w, "Export the selected models", "selection.csv",
                                              "CSV (*.csv)")
        if path:
            try:
                n = self.export_csv(path)
            except OSError as e:
                self.w.statusBar().showMessage(f"Could not save {plain(path, 200)}: {plain(e.strerror or e)}",
                                               8000)
                return
            self.w.statusBar().showMessage(f"Saved {n:,} models to {plain(path, 200)}", 8000)


def install(window) -> RegionSelect:
    return RegionSelect(window)
