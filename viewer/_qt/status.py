"""The status bar's permanent line — what it counts, said: nodes (models and the placeholders that stand for
parents missing from the data), nodes shown by the filters and legend, points drawn, edges in view, the frame
time while frames are drawn, the zoom — and what the window does when the map cannot be drawn: say so, retry
once in safe mode, then give up with a message."""

from __future__ import annotations

import time

from PySide6.QtWidgets import QLabel, QMessageBox

from hubatlas.viewer._qt.text import plain

FRAME_TIME_SHOWN_S = 1.0  # the status bar shows the frame time this long after the last frame


class MapStatus:
    def __init__(self, status_bar, model, state, canvas):
        self.bar, self.model, self.state, self.canvas = status_bar, model, state, canvas
        self.label = QLabel()
        status_bar.addPermanentWidget(self.label)
        self.problem: str | None = None  # why the map cannot be drawn, after the safe-mode retry failed
        self.box: QMessageBox | None = None
        placeholders = int(model.snap.column("placeholder").sum()) if model.n else 0
        self.nodes_text = (
            f"{model.n:,} nodes ({model.n - placeholders:,} models, {placeholders:,} placeholders)"
            if placeholders
            else f"{model.n:,} models"
        )
        self._unsubscribe = state.on_change(lambda _names: self.refresh())

    def refresh(self) -> None:
        """The permanent line: what is shown and drawn now."""
        if self.problem is not None:
            return
        a = self.canvas
        edges = ""
        if a.show_all_edges:  # the overlay draws the most prominent EDGE_BUDGET of those in view: say so
            capped = a.edges_in_view > a.edges_drawn
            cross = a.edge_overlay.cross_drawn
            edges = (
                f" · {a.edges_drawn:,} of {a.edges_in_view:,} edges in view (the most prominent; zoom in for the rest)"
                if capped
                else f" · {a.edges_drawn:,} edges"
            ) + (f" ({cross:,} between families)" if cross else "")
        # the frame time only while frames are drawn (moving, or just after): a figure left from the last
        # gesture would say nothing about now
        live = a.last_frame_ms is not None and time.perf_counter() - a.last_frame_at < FRAME_TIME_SHOWN_S
        frame = f" · {a.last_frame_ms:.0f} ms/frame" if live else ""
        self.label.setText(
            f"{self.nodes_text} · {a.visible_count:,} shown · {a.points.drawn:,} drawn{edges}"
            f"{frame} · zoom {a.zoom_level():.1f}×"
        )

    def text(self) -> str:
        return self.label.text()

    def draw_failed(self, why: str, parent) -> None:
        """A frame could not be drawn: say so, retry once in safe mode, then give up with a message."""
        if not self.canvas.safe_mode:
            self.bar.showMessage(
                f"The map could not be drawn ({plain(why, 200)}); retrying in safe mode (every point, no sampling)",
                20000,
            )
            self.canvas.recover()
            return
        if self.problem is None:
            self.problem = why
            self.label.setText(f"The map cannot be drawn: {plain(why, 200)}")
            self.box = QMessageBox(
                QMessageBox.Warning,
                "The map cannot be drawn",
                f"The map could not be drawn, even in safe mode:\n\n{plain(why, 500)}\n\n"
                "Update the graphics driver, or make pictures with `hubatlas export`, which renders without a "
                "window.",
                parent=parent,
            )
            self.box.setModal(False)
            self.box.open()

    def close_views(self) -> None:
        self._unsubscribe()
        if self.box is not None:
            self.box.close()
