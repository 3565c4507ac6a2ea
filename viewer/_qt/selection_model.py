"""The Selection panel's table as a lazy Qt model (issue 36): a QAbstractTableModel over
``layers.selection_table.SelectionTable``, so a selection of 575,738 models is one array of nodes, and only
the rows on screen are read; sorting by a header reorders that array. Cells are untrusted metadata shown as
plain text; numbers are right-aligned with thousands separators."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt

from hubatlas.viewer._qt.text import plain
from hubatlas.viewer.layers.selection_table import COLUMNS, NUMBERS, SelectionTable

NODE = Qt.UserRole
NO_PARENT = QModelIndex()


class SelectionModel(QAbstractTableModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.table: SelectionTable | None = None

    def set_table(self, table: SelectionTable | None) -> None:
        self.beginResetModel()
        self.table = table
        self.endResetModel()

    def nodes_in_order(self) -> np.ndarray:
        """Every row's node, in the order shown."""
        return np.zeros(0, np.int64) if self.table is None else self.table.order

    def rowCount(self, parent=NO_PARENT) -> int:
        return 0 if self.table is None or parent.isValid() else len(self.table)

    def columnCount(self, parent=NO_PARENT) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        if orientation == Qt.Horizontal and role == Qt.DisplayRole and 0 <= section < len(COLUMNS):
            return COLUMNS[section][1]
        return None

    def data(self, index, role=Qt.DisplayRole):
        t = self.table
        if t is None or not index.isValid():
            return None
        row, col = index.row(), index.column()
        if role == Qt.DisplayRole:
            return plain(t.text(row, col), 200)
        if role == Qt.ToolTipRole and col == 0:
            return plain(t.text(row, col), 300)
        if role == Qt.TextAlignmentRole and COLUMNS[col][0] in NUMBERS:
            return int(Qt.AlignRight | Qt.AlignVCenter)
        if role == NODE:
            return t.node(row)
        return None

    def sort(self, column: int, order=Qt.AscendingOrder) -> None:
        if self.table is None or not 0 <= column < len(COLUMNS):
            return
        self.layoutAboutToBeChanged.emit()
        self.table.sort(column, descending=order == Qt.DescendingOrder)
        self.layoutChanged.emit()
