"""What the filters leave on the map, said where people look: legend counts for the models shown ("1,204 of
5,310"), a "No models match" note with Reset in the status bar when nothing is left, and View › Zoom to shown.
Counts follow once the filters settle (the window's debounce), never per frame."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidgetItem, QPushButton, QWidget

from hubatlas.viewer._qt import menus
from hubatlas.viewer._qt.text import plain

MARGIN = 0.08  # around the shown models when zooming to them


class ShownFeedback:
    def __init__(self, window):
        self.w = window
        self.note = QWidget()
        row = QHBoxLayout(self.note)
        row.setContentsMargins(0, 0, 0, 0)
        self.note_label = QLabel("No models match the filters")
        self.note_label.setTextFormat(Qt.PlainText)
        self.reset_btn = QPushButton("Reset filters")
        self.reset_btn.clicked.connect(self.reset)
        row.addWidget(self.note_label)
        row.addWidget(self.reset_btn)
        window.statusBar().addWidget(self.note)
        self.note.hide()
        self.counts: dict[int, int] = {}

    def shown_mask(self) -> np.ndarray:
        """The models the state shows (filters and legend toggles), as a mask over all nodes."""
        atlas = self.w.atlas
        if not atlas.filtered:
            return np.ones(len(self.w.snap), dtype=bool)
        m = atlas.style.filter_mask(atlas.state.filters)
        m = np.ones(len(self.w.snap), dtype=bool) if m is None else m
        hidden = atlas.state.hidden_classes
        if hidden:
            m &= ~np.isin(atlas.colors.classes, list(hidden))
        return m

    def refresh(self) -> None:
        """Legend counts for what the filters keep, and the note when nothing is left."""
        atlas = self.w.atlas
        filters_on = atlas.state.filters.active
        fm = atlas.style.filter_mask(atlas.state.filters) if filters_on else None
        classes = atlas.colors.classes
        cls = (classes if fm is None else classes[fm]).astype(np.int64)
        kept = np.bincount(cls[cls >= 0], minlength=1)
        self.counts = {}
        legend = self.w.legend
        for i in range(legend.count()):
            item: QListWidgetItem = legend.item(i)
            key = item.data(Qt.UserRole)
            if key is None:
                continue
            entry = next((e for e in atlas.colors.legend if e.key == key), None)
            if entry is None:
                continue
            n = int(kept[key]) if 0 <= key < len(kept) else 0
            self.counts[key] = n
            legend.blockSignals(True)
            item.setText(f"{plain(entry.label, 60)}  ({n:,} of {entry.count:,})" if filters_on
                         else f"{plain(entry.label, 60)}  ({entry.count:,})")
            legend.blockSignals(False)
        self.note.setVisible(atlas.visible_count == 0)
        self.w.filters.update_counts(atlas.style, atlas.state.filters)  # the dropdowns' counts, too

    def edge_rows(self) -> list[tuple[str, tuple, int]]:
        """The edge overlay's colours with the number of edges of each (inferred ones paler)."""
        from hubatlas.viewer.layers.colors import RELATION_COLORS

        e = self.w.snap.edges
        if not e.num_rows:
            return []
        names = self.w.snap.manifest.get("relations", [])
        rel = e.column("relation").to_numpy().astype(np.int64)
        inferred = e.column("inferred").to_numpy(zero_copy_only=False).astype(bool)
        counts = np.bincount(rel[~inferred], minlength=len(names))
        rows = []
        for i in np.argsort(-counts, kind="stable"):
            if counts[i]:
                name = names[i] if i < len(names) else ""  # a code the manifest does not name: the overlay's grey
                rows.append((name or "other", RELATION_COLORS.get(name, (200, 200, 200)), int(counts[i])))
        if inferred.any():
            rows.append(("inferred (paler)", (215, 215, 215), int(inferred.sum())))
        return rows

    def follow_edges(self) -> None:
        self.w.legend.show_edges(self.edge_rows() if self.w.atlas.show_all_edges else [])

    def reset(self) -> None:
        """Every filter off and every legend class shown again."""
        self.w.filters.reset()
        self.w.state.update(hidden_classes=frozenset())
        self.w.legend.show_colors(self.w.atlas.colors)
        self.refresh()

    def zoom_to_shown(self) -> bool:
        m = self.shown_mask() & self.w.atlas.placed
        if not m.any():
            self.w.statusBar().showMessage("No models shown to zoom to", 4000)
            return False
        fit_view(self.w.atlas, self.w.atlas.xy[m])
        return True


def fit_view(atlas, xy: np.ndarray) -> None:
    """Fit the view to the points ``xy`` (n, 2), with a margin; a square at least 0.01 wide."""
    (x0, y0), (x1, y1) = xy.min(0), xy.max(0)
    side = max(float(x1 - x0), float(y1 - y0), 0.01) * (1 + 2 * MARGIN)
    cx, cy = float(x0 + x1) / 2, float(y0 + y1) / 2
    atlas.view.camera.rect = (cx - side / 2, cy - side / 2, side, side)


def install(window) -> ShownFeedback:
    fb = ShownFeedback(window)
    window._after_filters.timeout.connect(fb.refresh)
    window.legend.toggled.connect(lambda *_: fb.refresh())
    # after the window has refilled the legend for a new colour mode
    window.state.on_change(lambda names: QTimer.singleShot(0, fb.refresh)
                           if {"mode", "show_predicted", "predictions"} & names else None)
    window.state.on_change(lambda names: fb.follow_edges() if "show_all_edges" in names else None)
    view = menus.menu_named(window, "&View")
    a = QAction("Zoom to shown", window)
    a.setShortcut(QKeySequence("Z"))
    a.setStatusTip("Fit the view to the models the filters and legend show")
    a.triggered.connect(fb.zoom_to_shown)
    view.addAction(a)
    return fb
