"""What the filters leave on the map, said where people look: legend counts for the models shown ("1,204 of
5,310"), the filters' counts, a "No models match" note with Reset in the status bar when nothing is left, the
edge colours while lineage is drawn, and View › Zoom to shown (the 1st-99th percentile box of the shown
models, so a few far-out models do not leave the rest in a corner). Counts follow once the changes settle."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidgetItem, QPushButton, QWidget

from hubatlas.viewer._qt import menus
from hubatlas.viewer._qt.legend import entry_text
from hubatlas.viewer._qt.settled import Settled
from hubatlas.viewer.layers.styling import Filters

MARGIN = 0.08  # around the shown models when zooming to them


class ShownFeedback:
    def __init__(self, window, model, state, canvas, legend, filters_panel):
        self.model, self.state, self.canvas = model, state, canvas
        self.legend, self.filters_panel, self.bar = legend, filters_panel, window.statusBar()
        self.note = QWidget()
        row = QHBoxLayout(self.note)
        row.setContentsMargins(0, 0, 0, 0)
        self.note_label = QLabel("No models match the filters")
        self.note_label.setTextFormat(Qt.PlainText)
        self.reset_btn = QPushButton("Reset filters")
        self.reset_btn.clicked.connect(self.reset)
        row.addWidget(self.note_label)
        row.addWidget(self.reset_btn)
        self.bar.addWidget(self.note)
        self.note.hide()
        self.counts: dict[int, int] = {}
        self.settled = Settled(
            state, {"filters", "hidden_classes", "mode", "show_predicted"}, self.refresh, parent=window
        )
        self._unsubscribe = state.on_change(self._follow)
        menus.action(
            window,
            menus.menu_named(window, "&View"),
            "Zoom to shown",
            self.zoom_to_shown,
            "Z",
            tip="Fit the view to the models the filters and legend show",
        )

    def _follow(self, changed: set[str]) -> None:
        if changed & {"mode", "show_predicted"}:
            self.refresh()  # the legend was rebuilt: its counts at once
        if changed & {"show_all_edges", "selection"}:
            self.follow_edges()

    def shown_mask(self) -> np.ndarray:
        """The models the state shows (filters and legend toggles), as a mask over all nodes."""
        return self.model.shown_mask(self.state)

    def refresh(self) -> None:
        """Legend counts for what the filters keep, and the note when nothing is left."""
        filters_on = self.state.filters.active
        fm = self.model.style.filter_mask(self.state.filters) if filters_on else None
        colors = self.canvas.colors
        classes = colors.classes
        cls = (classes if fm is None else classes[fm]).astype(np.int64)
        kept = np.bincount(cls[cls >= 0], minlength=1)
        self.counts = {}
        legend = self.legend
        by_key = {e.key: e for e in colors.legend}
        legend.blockSignals(True)
        for i in range(legend.count()):
            item: QListWidgetItem = legend.item(i)
            key = item.data(Qt.UserRole)
            entry = by_key.get(key) if key is not None else None
            if entry is None:
                continue
            n = int(kept[key]) if 0 <= key < len(kept) else 0
            self.counts[key] = n
            item.setText(entry_text(entry, n if filters_on else None))
        legend.blockSignals(False)
        self.note.setVisible(self.canvas.visible_count == 0)
        self.filters_panel.update_counts()  # the checklists' counts, too

    def edge_rows(self, inferred_too: bool = True) -> list[tuple[str, tuple, int]]:
        """The edge overlay's colours with the number of edges of each (inferred ones paler)."""
        from hubatlas.viewer.layers.colors import RELATION_COLORS

        e = self.model.edges
        if not len(e):
            return []
        names = self.model.relations
        rel = e.relation.astype(np.int64)
        counts = np.bincount(rel[~e.inferred], minlength=len(names))
        rows = []
        for i in np.argsort(-counts, kind="stable"):
            if counts[i]:
                name = (
                    names[i] if i < len(names) else ""
                )  # a code the manifest does not name: the overlay's grey
                rows.append((name or "other", RELATION_COLORS.get(name, (200, 200, 200)), int(counts[i])))
        if inferred_too and e.inferred.any():
            rows.append(("inferred (paler)", (215, 215, 215), int(e.inferred.sum())))
        return rows

    def follow_edges(self) -> None:
        """The edge colours under the legend while lineage is drawn: the overlay's, or the selected model's."""
        if self.state.show_all_edges:
            self.legend.show_edges(self.edge_rows())
        elif self.state.selection.lineage:
            self.legend.show_edges(lineage_rows(self.state.selection.lineage))
        else:
            self.legend.show_edges([])

    def reset(self) -> None:
        """Every filter off and every legend class shown again: one state change."""
        self.filters_panel.toggle_play(False)
        self.state.update(filters=Filters.none(), hidden_classes=frozenset())
        self.refresh()

    def zoom_to_shown(self) -> bool:
        m = self.shown_mask() & self.model.placed
        if not m.any():
            self.bar.showMessage("No models shown to zoom to", 4000)
            return False
        fit_view(self.canvas, self.model.xy[m], robust=True)
        return True

    def close_views(self) -> None:
        self.settled.close()
        self._unsubscribe()


def lineage_rows(lineage: list[tuple[int, int, str]]) -> list[tuple[str, tuple, int]]:
    """(relation, colour, edges) of a selected model's lineage, most first: documented relations in their
    colour, relations typed by inference ("finetune (inferred)") in the same hue paler, as the map draws them."""
    from collections import Counter

    from hubatlas.viewer.layers.lineage_lod import relation_rgb

    c = Counter(rel or "unknown" for _, _, rel in lineage)
    return [(rel, relation_rgb(rel), n) for rel, n in c.most_common()]


ROBUST_FROM = 200  # from this many points on, the view frames their 1st to 99th percentiles
ROBUST_PCT = (1.0, 99.0)


def fit_view(canvas, xy: np.ndarray, robust: bool = False) -> None:
    """Fit the view to the points ``xy`` (n, 2), with a margin; a square at least 0.01 wide. ``robust``: frame
    the 1st-99th percentile box of many points, so a few outliers far out do not leave the rest in a corner."""
    if robust and len(xy) >= ROBUST_FROM:
        lo, hi = np.percentile(xy, ROBUST_PCT, axis=0)
        (x0, y0), (x1, y1) = lo, hi
    else:
        (x0, y0), (x1, y1) = xy.min(0), xy.max(0)
    side = max(float(x1 - x0), float(y1 - y0), 0.01) * (1 + 2 * MARGIN)
    cx, cy = float(x0 + x1) / 2, float(y0 + y1) / 2
    canvas.view.camera.rect = (cx - side / 2, cy - side / 2, side, side)
