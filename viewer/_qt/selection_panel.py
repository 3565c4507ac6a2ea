"""The Selection panel (issue 36): the region's summary (counts by task, licence, library and modality) and a
sortable table of *every* selected model — id, task, licence, library, downloads, created — over a lazy model
(``selection_model.SelectionModel``: 575,738 rows cost one array of nodes, only the rows on screen are read),
numbers with thousands separators, one line per row, the id elided in the middle and its column taking the
room (widths remembered, ``columns.FittedColumns``). Export writes every row, in the order shown."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from hubatlas.viewer._qt.columns import FittedColumns
from hubatlas.viewer._qt.selection_model import NODE, SelectionModel
from hubatlas.viewer.layers.selection_table import SelectionTable

NOTHING = "Nothing selected. Shift+drag a box or Ctrl+drag a lasso on the map."
SAMPLES = {1: "text-generation", 2: "apache-2.0", 3: "transformers", 4: "99,999,999", 5: "2024-07-11"}


class SelectionTableView(QTableView):
    """A table view that says how many rows it holds (as QTableWidget does)."""

    def rowCount(self) -> int:
        m = self.model()
        return 0 if m is None else m.rowCount()


class SelectionPanel(QWidget):
    """The region's summary and every selected model in a sortable table."""

    def __init__(self, on_row, parent=None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        self.header = QLabel(NOTHING)
        self.header.setTextFormat(Qt.PlainText)
        self.header.setWordWrap(True)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)  # plain text: values come from untrusted metadata
        self.text.setMaximumHeight(140)
        self.model = SelectionModel(self)
        self.table = SelectionTableView()
        self.table.setModel(self.model)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSortingEnabled(True)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.ElideMiddle)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.table.horizontalHeader().setSortIndicator(4, Qt.DescendingOrder)
        self.columns = FittedColumns(self.table, "selection", SAMPLES, optional=(5, 3, 2, 1))
        self.columns.fit()
        self.table.clicked.connect(lambda index: on_row(self.node_at(index.row())))
        row = QHBoxLayout()
        self.zoom_btn = QPushButton("Zoom to")
        self.export_btn = QPushButton("Export…")
        self.clear_btn = QPushButton("Clear")
        for b in (self.zoom_btn, self.export_btn, self.clear_btn):
            b.setEnabled(False)
            row.addWidget(b)
        lay.addWidget(self.header)
        lay.addWidget(self.text)
        lay.addWidget(self.table, 1)
        lay.addLayout(row)

    def node_at(self, row: int) -> int | None:
        if not 0 <= row < self.model.rowCount():
            return None
        return int(self.model.data(self.model.index(row, 0), NODE))

    def show_nodes(self, model, nodes) -> None:
        """Every one of ``nodes`` as a row (None or empty: no rows), in the order the header's sort shows."""
        if nodes is None or not len(nodes):
            self.model.set_table(None)
            return
        table = SelectionTable(model, nodes)
        h = self.table.horizontalHeader()
        table.sort(h.sortIndicatorSection(), descending=h.sortIndicatorOrder() == Qt.DescendingOrder)
        self.model.set_table(table)
