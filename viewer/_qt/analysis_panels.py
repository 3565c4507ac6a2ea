"""The analysis docks: the selected model's family tree, and trend charts for the current filter."""
from __future__ import annotations

import threading

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QScrollArea,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hubatlas.core.analysis.families import FamilyTree
from hubatlas.viewer._qt.text import plain
from hubatlas.viewer.layers import limits

NODE = Qt.UserRole
PENDING = Qt.UserRole + 1


class FamilyPanel(QWidget):
    """The family of the selected model: a tree from its root(s) down to every descendant, expanded along the
    path to the model, with each row's children and the models below it. Rows load their children when
    expanded; clicking a row emits ``picked(node)``."""

    picked = Signal(int)

    def __init__(self, snap, parent=None):
        super().__init__(parent)
        e = snap.edges
        doc = ~e.column("proposed").to_numpy(zero_copy_only=False)  # documented lineage only
        self.ids = snap.nodes.column("id")
        self.tree_data = FamilyTree(len(snap), e.column("source").to_numpy()[doc],
                                    e.column("target").to_numpy()[doc], snap.column("depth"))
        self.family_of = snap.column("family")
        self._family_size: np.ndarray | None = None
        lay = QVBoxLayout(self)
        self.summary = QLabel("No model selected")
        self.summary.setTextFormat(Qt.PlainText)
        self.summary.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["model", "children", "below"])
        self.tree.setColumnWidth(0, 260)
        self.tree.itemExpanded.connect(self._fill)
        self.tree.itemClicked.connect(lambda item, _col: self._pick(item))
        lay.addWidget(self.summary)
        lay.addWidget(self.tree)
        self.node: int | None = None

    def _item(self, node: int) -> QTreeWidgetItem:
        kids = self.tree_data.children(node)
        item = QTreeWidgetItem([plain(self.ids[node].as_py(), 200), f"{len(kids):,}",
                                f"{int(self.tree_data.below()[node]):,}"])
        item.setData(0, NODE, int(node))
        if len(kids):
            item.setData(0, PENDING, True)
            item.setChildIndicatorPolicy(QTreeWidgetItem.ShowIndicator)
        return item

    def _fill(self, item: QTreeWidgetItem) -> None:
        if not item.data(0, PENDING):
            return
        item.setData(0, PENDING, False)
        kids = self.tree_data.children(int(item.data(0, NODE)))
        kids = kids[np.argsort(-self.tree_data.below()[kids], kind="stable")]  # biggest sub-families first
        for k in kids[:limits.CHILDREN_SHOWN].tolist():
            item.addChild(self._item(k))
        if len(kids) > limits.CHILDREN_SHOWN:
            more = QTreeWidgetItem([f"… {len(kids) - limits.CHILDREN_SHOWN:,} more (search to find them)", "", ""])
            item.addChild(more)

    def _pick(self, item: QTreeWidgetItem) -> None:
        node = item.data(0, NODE)
        if node is not None and int(node) != self.node:
            self.picked.emit(int(node))

    def show_node(self, node: int | None) -> None:
        """Rebuild the tree for ``node``'s family and reveal ``node`` in it."""
        self.node = node
        self.tree.clear()
        if node is None:
            self.summary.setText("No model selected")
            return
        roots = self.tree_data.roots_of(node)
        below = self.tree_data.below()
        self.mark(node)
        path = self._path_from_root(node)
        for r in sorted(roots, key=lambda r: -below[r])[:200]:
            item = self._item(r)
            self.tree.addTopLevelItem(item)
            if path and path[0] == r:
                self._reveal(item, path[1:])

    def mark(self, node: int) -> None:
        """The header for ``node`` as the selected model (also when it was picked in this tree, which is kept)."""
        self.node = node
        if self._family_size is None:
            self._family_size = np.bincount(self.family_of)
        roots = len(self.tree_data.roots_of(node))
        size = int(self._family_size[self.family_of[node]])
        below = int(self.tree_data.below()[node])
        self.summary.setText(f"{_count(roots, 'root')}, {_count(size, 'model')} in this family; "
                             f"{below:,} below the selected model")

    def _path_from_root(self, node: int) -> list[int]:
        """One chain of parents from a root down to ``node`` (cycle-safe)."""
        chain, seen = [node], {node}
        t = self.tree_data
        while True:
            ps = t.pars[t.pstart[chain[-1]]:t.pstart[chain[-1] + 1]]
            ps = [p for p in ps.tolist() if p not in seen]
            if not ps:
                return chain[::-1]
            chain.append(ps[0])
            seen.add(ps[0])

    def _reveal(self, item: QTreeWidgetItem, rest: list[int]) -> None:
        for nxt in rest:
            item.setExpanded(True)  # fills the children
            child = next((item.child(i) for i in range(item.childCount())
                          if item.child(i).data(0, NODE) == nxt), None)
            if child is None:
                return
            item = child
        self.tree.setCurrentItem(item)
        self.tree.scrollToItem(item)


CHARTS = {"by_modality": "Models per month by modality", "by_task": "Models per month by task",
          "relations": "New lineage edges by relation", "card_share": "Share of new models with a card",
          "card_length": "Mean card length"}


MIN_HEIGHT = 280


class TrendsPanel(QWidget):
    """Trend charts (the report's) for the models the current filter keeps. ``load_data`` supplies the
    analysis columns on first use, in a background thread (about 6 s at 2M models), so it must open its
    own store connection."""

    loaded = Signal(object)

    def __init__(self, load_data, parent=None):
        super().__init__(parent)
        self._load_data = load_data
        self._loading = False
        self.loaded.connect(self._on_loaded)
        self.data = None
        self.mask: np.ndarray | None = None
        self.trends: dict | None = None
        lay = QVBoxLayout(self)
        self.choice = QComboBox()
        for key, title in CHARTS.items():
            self.choice.addItem(title, key)
        self.choice.currentIndexChanged.connect(lambda _: self._draw())
        self.info = QLabel("")
        self.info.setTextFormat(Qt.PlainText)
        self.image = QLabel("Open this panel to chart trends for the current filter")
        self.image.setAlignment(Qt.AlignCenter)
        self.image.setMouseTracking(True)  # values on hover (eventFilter)
        self.image.installEventFilter(self)
        self.geometry: dict = {}
        self.shown_values: tuple[list[str], list[tuple[str, list]], str] | None = None  # months, series, unit
        scroll = QScrollArea()
        scroll.setWidget(self.image)
        scroll.setWidgetResizable(True)
        lay.addWidget(self.choice)
        lay.addWidget(self.info)
        lay.addWidget(scroll)
        self.setMinimumHeight(MIN_HEIGHT)  # the dock opens tall enough to read a chart
        self.png: bytes | None = None

    def set_mask(self, mask: np.ndarray | None) -> None:
        self.mask = mask
        self.trends = None
        if self.isVisible():
            self.refresh()

    def refresh(self) -> None:
        from hubatlas.core.analysis.trends import trends

        if self.data is None:
            if not self._loading:
                self._loading = True
                self.image.setText("Reading trend data…")
                threading.Thread(target=self._load_in_background, daemon=True).start()
            return
        self.trends = trends(self.data, self.mask)
        self._draw()

    def _load_in_background(self) -> None:
        try:
            result = self._load_data()
        except Exception as e:  # shown in the panel, never a crash of the window
            result = e
        try:
            self.loaded.emit(result)  # queued to the GUI thread
        except RuntimeError:  # the panel was closed meanwhile
            pass

    def _on_loaded(self, result) -> None:
        self._loading = False
        if isinstance(result, Exception):
            self.image.setText(f"Cannot read trend data: {plain(str(result), 300)}")
            return
        self.data = result
        self.refresh()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self.trends is None:
            self.refresh()

    def _draw(self) -> None:
        from hubatlas.core.analysis import charts

        t = self.trends
        if t is None:
            return
        key = self.choice.currentData()
        months = t.get("months", [])
        self.info.setText(f"{t['nodes']:,} models in the current filter" +
                          (f", {months[0]} to {months[-1]}" if months else ""))
        self.png = None
        self.geometry = {}
        self.shown_values = None
        if months and key in ("by_modality", "by_task", "relations"):
            from hubatlas.viewer.layers.colors import MODALITY_COLORS, RELATION_COLORS

            same_as_map = {"by_modality": MODALITY_COLORS, "relations": RELATION_COLORS}.get(key)
            self.png = charts.monthly_lines(months, t[key], CHARTS[key], stacked=key == "by_modality",
                                            colors=same_as_map, geometry=self.geometry)
            self.shown_values = (months, list(zip(t[key]["labels"], t[key]["counts"])), "models")
        elif months and t.get("cards") and key in ("card_share", "card_length"):
            vals = t["cards"]["share_with_card" if key == "card_share" else "mean_length"]
            unit = "share" if key == "card_share" else "characters"
            self.png = charts.values_over_months(months, vals, CHARTS[key], unit, geometry=self.geometry)
            self.shown_values = (months, [(CHARTS[key], vals)], unit)
        if self.png is None:
            self.image.setPixmap(QPixmap())
            self.image.setText("No data for this chart (no creation dates, or the atlas records no model cards)")
            return
        pm = QPixmap()
        pm.loadFromData(self.png, "PNG")
        self.image.setPixmap(pm)


    # -- values on hover ----------------------------------------------------------------------------------------
    def month_at(self, x: float) -> int | None:
        """The month under x (pixels in the image label), or None off the chart's months."""
        g, pm = self.geometry, self.image.pixmap()
        if not g or self.shown_values is None or pm is None or pm.isNull():
            return None
        months = self.shown_values[0]
        x_img = x - (self.image.width() - pm.width()) / 2  # the picture is centred in the label
        span = g["last_px"] - g["first_px"]
        f = 0.0 if span <= 0 else (x_img - g["first_px"]) / span * (len(months) - 1)
        i = int(round(f))
        return i if 0 <= i < len(months) and abs(f - i) <= 0.5 else None

    def values_text(self, i: int) -> str:
        """The values of every series at month ``i``, largest first (plain text)."""
        months, series, unit = self.shown_values
        rows = [(lab, vals[i]) for lab, vals in series if vals[i] is not None]
        rows.sort(key=lambda r: -float(r[1]))
        fmt = {"share": lambda v: f"{float(v):.0%}", "characters": lambda v: f"{float(v):,.0f} characters"}.get(
            unit, lambda v: f"{int(v):,}")
        return "\n".join([months[i]] + [f"{plain(str(lab), 60)}: {fmt(v)}" for lab, v in rows[:12]])

    def eventFilter(self, obj, event) -> bool:
        from PySide6.QtCore import QEvent
        from PySide6.QtGui import QCursor
        from PySide6.QtWidgets import QToolTip

        if obj is self.image and event.type() == QEvent.MouseMove:
            i = self.month_at(event.position().x())
            if i is None:
                QToolTip.hideText()
            else:
                QToolTip.showText(QCursor.pos(), self.values_text(i), self.image)
        return False


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")
