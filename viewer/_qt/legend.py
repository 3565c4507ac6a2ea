"""The legend panel: what the map is coloured by (the dock's title says it), each class with its count and
colour; unchecking a class hides its models. It follows the state (a new colour mode, predicted colours or
theme rebuilds it; hidden classes are reflected) and changes it only through ``AtlasState.show_class``. While
lineage is drawn (the overlay, or a selected model's family), the edge colours are listed under the classes."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QListWidget, QListWidgetItem

from hubatlas.core.common.fields import MODES
from hubatlas.viewer._qt.text import plain

EDGE_ROW = Qt.UserRole + 1  # legend rows of the edge colours (not classes: they hide nothing)


def swatch(rgb) -> QIcon:
    pm = QPixmap(14, 14)
    pm.fill(QColor(*rgb))
    return QIcon(pm)


def _line_swatch(rgb) -> QIcon:
    pm = QPixmap(14, 14)
    pm.fill(QColor(0, 0, 0, 0))
    p = QPainter(pm)
    p.fillRect(0, 5, 14, 4, QColor(*rgb))
    p.end()
    return QIcon(pm)


def _ramp_icon(ramp) -> QIcon:
    pm = QPixmap(64, 14)
    pm.fill(QColor(0, 0, 0, 0))
    p = QPainter(pm)
    for x in range(64):
        p.setPen(QColor(*[int(v) for v in ramp[int(x * 255 / 63)]]))
        p.drawLine(x, 0, x, 13)
    p.end()
    return QIcon(pm)


def legend_title(mode: str, predicted: bool) -> str:
    """The dock's title: short enough for the dock at 1400×900 (the predicted-values line says the rest)."""
    return f"Legend: {MODES.get(mode, mode)}" + (" + predicted" if predicted else "")


def entry_text(e, shown: int | None = None) -> str:
    """A class's line: its label and how many models wear it (of them, how many by a prediction);
    ``shown``: how many of them the filters keep."""
    count = f"{e.count:,}" if shown is None else f"{shown:,} of {e.count:,}"
    extra = f"; {e.predicted:,} predicted" if getattr(e, "predicted", 0) else ""
    return f"{plain(e.label, 60)}  ({count}{extra})"


class LegendPanel(QListWidget):
    """Legend entries with counts; unchecking an entry hides its models (``state.show_class``)."""

    def __init__(self, state, canvas, parent=None):
        super().__init__(parent)
        self.state, self.canvas = state, canvas
        # a long line ("Reinforcement learning  (51,011; 16,888 predicted)") wraps in the narrow dock at
        # 1400×900 instead of running under a sideways scroll bar
        self.setWordWrap(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.itemChanged.connect(self._changed)
        self._loading = False
        self.edge_rows: list[tuple[str, tuple, int]] = []
        self.dock = None  # the dock whose title says what the legend colours by (set by the window)
        self.show_colors(canvas.colors)
        self._unsubscribe = state.on_change(self._follow)

    def _follow(self, changed: set[str]) -> None:
        if changed & {"mode", "show_predicted", "theme"}:
            self.show_colors(self.canvas.colors)
        elif "hidden_classes" in changed:
            self._reflect_hidden()

    @property
    def title(self) -> str:
        return legend_title(
            self.state.mode, self.state.show_predicted and self.canvas.model.predictions is not None
        )

    def show_colors(self, colors) -> None:
        self._loading = True
        self.clear()
        if colors.continuous:
            lo, hi = colors.continuous
            item = QListWidgetItem(_ramp_icon(colors.ramp), f"{plain(lo)}  →  {plain(hi)}")
            item.setFlags(Qt.ItemIsEnabled)
            self.addItem(item)
        for e in colors.legend:
            if e.key < 0:  # an informational line (e.g. how many values are predicted), not a class
                item = QListWidgetItem(plain(e.label, 80))
                item.setFlags(Qt.ItemIsEnabled)
                self.addItem(item)
                continue
            item = QListWidgetItem(swatch(e.color), entry_text(e))
            item.setData(Qt.UserRole, e.key)
            item.setFlags(Qt.ItemIsEnabled | Qt.ItemIsUserCheckable)
            item.setCheckState(Qt.Unchecked if e.key in self.state.hidden_classes else Qt.Checked)
            self.addItem(item)
        self._loading = False
        self.show_edges(self.edge_rows)
        if self.dock is not None:
            self.dock.setWindowTitle(self.title)

    def _reflect_hidden(self) -> None:
        self._loading = True
        for i in range(self.count()):
            item = self.item(i)
            key = item.data(Qt.UserRole)
            if key is not None:
                item.setCheckState(Qt.Unchecked if int(key) in self.state.hidden_classes else Qt.Checked)
        self._loading = False

    def show_edges(self, rows: list[tuple[str, tuple, int]]) -> None:
        """The edge colours under the classes while lineage is drawn: (label, rgb, edges) rows."""
        self.edge_rows = list(rows)
        for i in reversed(range(self.count())):
            if self.item(i).data(EDGE_ROW):
                self.takeItem(i)
        if rows:
            head = QListWidgetItem("Lineage edges")
            head.setFlags(Qt.ItemIsEnabled)
            head.setData(EDGE_ROW, True)
            self.addItem(head)
        for label, rgb, n in rows:
            item = QListWidgetItem(_line_swatch(rgb), f"{plain(label, 60)}  ({n:,})")
            item.setFlags(Qt.ItemIsEnabled)
            item.setData(EDGE_ROW, True)
            self.addItem(item)

    def _changed(self, item: QListWidgetItem) -> None:
        if self._loading or item.data(Qt.UserRole) is None:
            return
        self.state.show_class(int(item.data(Qt.UserRole)), item.checkState() == Qt.Checked)

    def close_views(self) -> None:
        self._unsubscribe()
