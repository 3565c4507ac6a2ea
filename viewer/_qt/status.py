"""The status bar's permanent line (models, shown, drawn, edges in view, frame time while frames are drawn,
zoom) and what the window does when the map cannot be drawn: say so, retry once in safe mode, then give up
with a message."""
from __future__ import annotations

import time

from PySide6.QtWidgets import QMessageBox

from hubatlas.viewer._qt.text import plain

FRAME_TIME_SHOWN_S = 1.0  # the status bar shows the frame time this long after the last frame


def draw_failed(window, why: str) -> None:
    """A frame could not be drawn: say so, retry once in safe mode, then give up with a message."""
    if not window.atlas.safe_mode:
        window.statusBar().showMessage(f"The map could not be drawn ({plain(why, 200)}); retrying in safe mode "
                                       "(every point, no sampling)", 20000)
        window.atlas.recover()
        return
    if window.draw_problem is None:
        window.draw_problem = why
        window.status.setText(f"The map cannot be drawn: {plain(why, 200)}")
        box = QMessageBox(QMessageBox.Warning, "The map cannot be drawn",
                          f"The map could not be drawn, even in safe mode:\n\n{plain(why, 500)}\n\n"
                          "Update the graphics driver, or make pictures with `hubatlas export`, which renders "
                          "without a window.", parent=window)
        box.setModal(False)
        box.open()
        window._problem_box = box


def refresh(window) -> None:
    """The permanent line: what is shown and drawn now."""
    if window.draw_problem is not None:
        return
    a = window.atlas
    edges = ""
    if a.show_all_edges:  # the overlay draws the most prominent EDGE_BUDGET of those in view: say so
        capped = a.edges_in_view > a.edges_drawn
        edges = (f" · {a.edges_drawn:,} of {a.edges_in_view:,} edges in view (the most prominent; zoom in "
                 "for the rest)" if capped else f" · {a.edges_drawn:,} edges")
    # the frame time only while frames are drawn (moving, or just after): a figure left from the last
    # gesture would say nothing about now
    live = a.last_frame_ms is not None and time.perf_counter() - a.last_frame_at < FRAME_TIME_SHOWN_S
    frame = f" · {a.last_frame_ms:.0f} ms/frame" if live else ""
    window.status.setText(f"{a.n:,} models · {a.visible_count:,} shown · {a.points.drawn:,} drawn{edges}"
                          f"{frame} · zoom {a.zoom_level():.1f}×")

