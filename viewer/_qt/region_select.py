"""Box and lasso selection on the map, as in napari, Gephi and Embedding Atlas: Shift+drag draws a box,
Ctrl+drag a lasso (or B / O make a plain drag do so until Esc); the models shown inside are selected (the
state's ``region``: every other model fades), summarised in the Selection panel (selection_panel: counts by
task, licence, library and modality; a sortable table of every selected model, a row click flies there) and
can be saved as CSV, JSON Lines or Parquet (every row, in the table's order). Select › Select all shown
(Ctrl+A) takes everything the filters show."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QActionGroup, QKeySequence
from PySide6.QtWidgets import QFileDialog
from vispy.util import keys

from hubatlas.viewer._qt import menus
from hubatlas.viewer._qt.selection_panel import NOTHING, SelectionPanel
from hubatlas.viewer._qt.shown import fit_view
from hubatlas.viewer._qt.text import plain
from hubatlas.viewer._vispy.overlays import RegionOverlay
from hubatlas.viewer.layers.atlas_state import Region
from hubatlas.viewer.layers.region import in_box, in_polygon, summarise, write_selection

MIN_DRAG_PX = 4  # a shorter drag is a click (it selects one model)


class RegionSelect:
    def __init__(self, window, model, state, canvas, beside_dock, fly_to):
        self.w, self.model, self.state, self.canvas = window, model, state, canvas
        self.bar = window.statusBar()
        self._fly_to = fly_to
        self.overlay = RegionOverlay(canvas.view.scene)
        self.tool: str | None = None  # "box" or "lasso": what a plain drag draws (None: it pans)
        self.kind: str | None = None  # the shape being drawn now
        self.path: list[tuple[float, float]] = []
        self._press_px = (0.0, 0.0)
        self.panel = SelectionPanel(self._row_clicked)
        self.panel.zoom_btn.clicked.connect(self.zoom_to)
        self.panel.export_btn.clicked.connect(self.export_dialog)
        self.panel.clear_btn.clicked.connect(self.clear)
        # a tab beside the details: showing it never resizes the map
        self.dock = menus.dock(window, "Selection", self.panel, Qt.RightDockWidgetArea, beside=beside_dock)
        self.dock.hide()
        self._unsubscribe = state.on_change(self._follow)
        c = canvas.canvas
        c.events.mouse_press.connect(self._press)
        c.events.mouse_move.connect(self._move)
        c.events.mouse_release.connect(self._release)
        self._menu()

    @property
    def nodes(self) -> np.ndarray:
        n = self.state.region.nodes
        return np.zeros(0, dtype=np.int64) if n is None else n

    @property
    def outline(self) -> np.ndarray | None:
        return self.state.region.outline

    # -- menu ----------------------------------------------------------------------------------------------------
    def _menu(self) -> None:
        w = self.w
        menu = menus.add_before_help(w, "&Select")
        group = QActionGroup(w)
        group.setExclusionPolicy(QActionGroup.ExclusionPolicy.ExclusiveOptional)
        self.tool_actions = {}
        for tool, text, key, tip in (
            ("box", "Box select", "B", "A drag draws a box (or Shift+drag at any time)"),
            ("lasso", "Lasso select", "O", "A drag draws a lasso (or Ctrl+drag at any time)"),
        ):
            a = menus.action(
                w,
                menu,
                text,
                lambda on, t=tool: self.set_tool(t if on else None),
                key,
                checkable=True,
                tip=tip,
            )
            group.addAction(a)
            self.tool_actions[tool] = a
        menu.addSeparator()
        menus.action(
            w,
            menu,
            "Select all shown",
            self.select_shown,
            QKeySequence.SelectAll,
            tip="Select every model the filters and legend show",
        )
        self.export_action = menus.action(
            w,
            menu,
            "Export selected models…",
            self.export_dialog,
            "Ctrl+Shift+S",
            tip="Save the selected models as CSV, JSON Lines or Parquet",
        )
        menus.action(w, menu, "Clear region selection", self.clear)
        menu.addSeparator()
        menu.addAction(self.dock.toggleViewAction())

    def leave_tool_or_clear(self) -> None:
        """Esc: leave the tool, else clear the region."""
        if self.tool:
            self.set_tool(None)
        else:
            self.clear()

    def set_tool(self, tool: str | None) -> None:
        self.tool = tool
        for name, a in self.tool_actions.items():
            a.setChecked(name == tool)
        self.canvas.view.camera.interactive = tool is None  # with a tool, a plain drag selects, not pans
        if tool:
            self.bar.showMessage(f"{tool.title()} select: drag on the map (Esc to pan again)", 5000)

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
        self.path = [self.canvas.scene_coords(*event.pos[:2])]
        self.canvas.view.camera.interactive = (
            False  # the drag draws, it does not pan (even if Shift is let go)
        )

    def _move(self, event) -> None:
        if self.kind is None or not event.is_dragging:
            return
        p = self.canvas.scene_coords(*event.pos[:2])
        self.path = [self.path[0], p] if self.kind == "box" else [*self.path, p]
        self.overlay.show_outline(self._shape(), self._outline_color())
        self.canvas.canvas.update()

    def _release(self, event) -> None:
        kind, self.kind = self.kind, None
        if kind is None or event.button != 1:
            return
        self.canvas.view.camera.interactive = self.tool is None
        moved = np.hypot(event.pos[0] - self._press_px[0], event.pos[1] - self._press_px[1])
        if moved < MIN_DRAG_PX:  # a click: the window selects the model under it
            self.overlay.show_outline(self.outline, self._outline_color())
            return
        p = self.canvas.scene_coords(*event.pos[:2])
        self.path = [self.path[0], p] if kind == "box" else [*self.path, p]
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
        return (0.1, 0.1, 0.1, 0.9) if self.state.theme == "light" else (1.0, 0.85, 0.2, 0.95)

    # -- selecting -----------------------------------------------------------------------------------------------
    def _shown(self) -> np.ndarray:
        return self.model.shown_mask(self.state)

    def select_box(self, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
        """Select the shown models inside the box (world coordinates)."""
        nodes = in_box(self.model.xy, self._shown(), x0, y0, x1, y1)
        self.set_nodes(nodes, np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float64), "box")
        return nodes

    def select_polygon(self, polygon: np.ndarray) -> np.ndarray:
        """Select the shown models inside the lasso (its vertices in world coordinates)."""
        nodes = in_polygon(self.model.xy, self._shown(), polygon)
        self.set_nodes(nodes, np.asarray(polygon, np.float64), "lasso")
        return nodes

    def select_shown(self) -> np.ndarray:
        nodes = np.flatnonzero(self._shown())
        self.set_nodes(nodes, None, "all shown")
        return nodes

    def set_nodes(self, nodes: np.ndarray, outline: np.ndarray | None, how: str) -> None:
        self.state.update(region=Region(np.asarray(nodes, dtype=np.int64), outline, how))

    def clear(self) -> None:
        self.state.update(region=Region())

    def _follow(self, changed: set[str]) -> None:
        if "region" in changed:
            self._show(self.state.region)
        elif "theme" in changed:
            self.overlay.show_outline(self.outline, self._outline_color())

    def _show(self, region: Region) -> None:
        """The panel, the outline and the status line for the state's region."""
        p = self.panel
        self.overlay.show_outline(region.outline, self._outline_color())
        self.canvas.canvas.update()
        if region.nodes is None:
            p.header.setText(NOTHING)
            p.text.setPlainText("")
            p.show_nodes(self.model, None)
            for b in (p.zoom_btn, p.export_btn, p.clear_btn):
                b.setEnabled(False)
            return
        n = len(region.nodes)
        if not n:
            p.header.setText(f"No models shown inside the {region.how}.")
            p.text.setPlainText("")
        else:
            s = summarise(self.model.snap, region.nodes)
            p.header.setText(f"{n:,} models ({region.how}), every one listed below")
            p.text.setPlainText("\n".join(plain(line, 300) for line in s.lines()))
        p.show_nodes(self.model, region.nodes)
        for b in (p.zoom_btn, p.export_btn, p.clear_btn):
            b.setEnabled(bool(n))
        p.clear_btn.setEnabled(True)
        menus.raise_dock(self.dock)
        self.bar.showMessage(f"{n:,} models selected ({region.how})", 5000)

    def _row_clicked(self, node: int | None) -> None:
        if node is not None:
            self._fly_to(node)

    def zoom_to(self) -> bool:
        if not len(self.nodes):
            return False
        fit_view(self.canvas, self.model.xy[self.nodes])
        return True

    # -- export --------------------------------------------------------------------------------------------------
    def rows_in_order(self) -> np.ndarray:
        """Every selected model, in the order the table shows them (what an export writes)."""
        shown = self.panel.model.nodes_in_order()
        return shown if len(shown) == len(self.nodes) else self.nodes

    def export_csv(self, path) -> int:
        return write_selection(path, self.model.snap, self.rows_in_order())

    def export_dialog(self) -> None:
        if not len(self.nodes):
            self.bar.showMessage("Select models first: Shift+drag a box or Ctrl+drag a lasso", 5000)
            return
        path, _ = QFileDialog.getSaveFileName(
            self.w,
            "Export the selected models",
            "selection.csv",
            "CSV (*.csv);;JSON Lines (*.jsonl);;Parquet (*.parquet)",
        )
        if path:
            try:
                n = write_selection(path, self.model.snap, self.rows_in_order())
            except (OSError, ValueError) as e:
                why = e.strerror if isinstance(e, OSError) and e.strerror else e
                self.bar.showMessage(f"Could not save {plain(path, 200)}: {plain(why)}", 8000)
                return
            self.bar.showMessage(f"Saved {n:,} models to {plain(path, 200)}", 8000)

    def close_views(self) -> None:
        self._unsubscribe()
