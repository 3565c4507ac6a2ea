"""The Family panel: the selected model's family as a tree from its root(s) down to every descendant. Each
model's children are grouped by relation ("quantized (200)", collapsible), most downloaded first, with
columns for the relation, downloads, creation date, children and models below; names are elided in the
middle, the full id in the tooltip; every column can be dragged, the model column takes the room left and the
widths are remembered (``columns.FittedColumns``). Rows load when expanded; clicking a model selects it on the
map."""

from __future__ import annotations

import itertools

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from hubatlas.viewer._qt.columns import FittedColumns
from hubatlas.viewer._qt.text import plain
from hubatlas.viewer.layers import limits
from hubatlas.viewer.layers.family import FamilyView, Row

NODE = Qt.UserRole
PENDING = Qt.UserRole + 1
GROUP = Qt.UserRole + 2  # a relation group row: the parent's node
COLUMNS = ("model", "relation", "downloads", "created", "children", "below")
ROOTS_SHOWN = 200
SAMPLES = {1: "finetune (inferred)", 2: "99,999,999", 3: "2024-07-11", 4: "99,999", 5: "999,999"}


class FamilyPanel(QWidget):
    picked = Signal(int)

    def __init__(self, model, state, parent=None):
        super().__init__(parent)
        self.model, self.state = model, state
        self._view: FamilyView | None = None  # built on first use: not needed to open the window
        lay = QVBoxLayout(self)
        self.title = QLabel("")  # the selected model's id, whole where the panel is wide enough
        self.title.setTextFormat(Qt.PlainText)
        bold = self.title.font()  # a font, not a style sheet: the text keeps the theme's colour
        bold.setBold(True)
        self.title.setFont(bold)
        self.summary = QLabel("No model selected")
        self.summary.setTextFormat(Qt.PlainText)
        self.summary.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setTextElideMode(Qt.ElideMiddle)
        self.tree.setUniformRowHeights(True)
        self.tree.setIndentation(10)  # deep families keep room for the id
        # every column can be dragged; the numbers at their needed width, the model id takes the rest
        self.columns = FittedColumns(self.tree, "family", SAMPLES, optional=(1, 5, 4, 3))
        self.columns.fit()
        self.tree.itemExpanded.connect(self._fill)
        self.tree.itemClicked.connect(lambda item, _col: self._pick(item))
        lay.addWidget(self.title)
        lay.addWidget(self.summary)
        lay.addWidget(self.tree)
        self.node: int | None = None
        self._unsubscribe = state.on_change(self._follow)

    @property
    def view(self) -> FamilyView:
        if self._view is None:
            self._view = FamilyView(self.model)
        return self._view

    def _follow(self, changed: set[str]) -> None:
        if "selection" not in changed:
            return
        node = self.state.selection.node
        if node is None:
            self.show_node(None)
        elif self._in_tree(node):
            self.mark(node)  # picked in this tree: the tree is kept
        else:
            self.show_node(node)

    def _in_tree(self, node: int) -> bool:
        cur = self.tree.currentItem()
        return self.node is not None and cur is not None and cur.data(0, NODE) == node

    # -- rows ----------------------------------------------------------------------------------------------------
    def _item(self, r: Row) -> QTreeWidgetItem:
        dl = "-" if r.downloads is None else f"{r.downloads:,}"
        item = QTreeWidgetItem(
            [plain(r.id, 200), plain(r.relation), dl, r.created, f"{r.children:,}", f"{r.below:,}"]
        )
        item.setToolTip(0, plain(r.id, 300))
        item.setData(0, NODE, int(r.node))
        for c in (2, 4, 5):
            item.setTextAlignment(c, Qt.AlignRight | Qt.AlignVCenter)
        if r.children:
            item.setData(0, PENDING, True)
            item.setChildIndicatorPolicy(QTreeWidgetItem.ShowIndicator)
        return item

    def _fill(self, item: QTreeWidgetItem) -> None:
        if not item.data(0, PENDING):
            return
        item.setData(0, PENDING, False)
        if item.data(0, GROUP) is not None:  # a relation group: its children
            parent, relation = int(item.data(0, GROUP)), item.data(1, Qt.UserRole)
            kids = dict(self.view.groups(parent)).get(relation, [])
            for k in kids[: limits.CHILDREN_SHOWN]:
                item.addChild(self._item(self.view.row(k, relation)))
            if len(kids) > limits.CHILDREN_SHOWN:
                more = len(kids) - limits.CHILDREN_SHOWN
                item.addChild(
                    QTreeWidgetItem([f"… {more:,} more (the least downloaded; search to find them)"])
                )
            return
        node = int(item.data(0, NODE))
        for relation, kids in self.view.groups(node):
            g = QTreeWidgetItem([f"{plain(relation)} ({len(kids):,})"])
            g.setData(0, GROUP, node)
            g.setData(1, Qt.UserRole, relation)
            g.setData(0, PENDING, True)
            g.setChildIndicatorPolicy(QTreeWidgetItem.ShowIndicator)
            g.setFirstColumnSpanned(False)
            item.addChild(g)

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
            self.title.setToolTip("")
            self._elide_title()
            return
        self.mark(node)
        path = self.view.path_from_root(node)
        for r in self.view.roots(node)[:ROOTS_SHOWN]:
            item = self._item(self.view.row(r))
            self.tree.addTopLevelItem(item)
            if path and path[0] == r:
                self._reveal(item, path)

    def mark(self, node: int) -> None:
        """The header for ``node`` as the selected model (also when it was picked in this tree, which is kept)."""
        self.node = node
        self.title.setToolTip(plain(self.model.model_id(node), 300))
        self._elide_title()
        self.summary.setText(self.view.summary(node))

    def _elide_title(self) -> None:
        mid = self.title.toolTip() if self.node is not None else ""
        self.title.setText(
            self.title.fontMetrics().elidedText(mid, Qt.ElideMiddle, max(40, self.width() - 24))
        )

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._elide_title()

    def _reveal(self, item: QTreeWidgetItem, path: list[int]) -> None:
        for parent, nxt in itertools.pairwise(path):
            item.setExpanded(True)  # fills the relation groups
            relation = self.view.relation_between(parent, nxt)
            group = next(
                (
                    item.child(i)
                    for i in range(item.childCount())
                    if item.child(i).data(1, Qt.UserRole) == relation
                ),
                None,
            )
            if group is None:
                return
            group.setExpanded(True)
            child = next(
                (group.child(i) for i in range(group.childCount()) if group.child(i).data(0, NODE) == nxt),
                None,
            )
            if child is None:  # beyond the rows listed: listed too, above the "… more" row
                child = self._item(self.view.row(nxt, relation))
                more = group.childCount() > 0 and group.child(group.childCount() - 1).data(0, NODE) is None
                group.insertChild(group.childCount() - 1 if more else group.childCount(), child)
            item = child
        self.tree.setCurrentItem(item)
        self.tree.scrollToItem(item)

    def close_views(self) -> None:
        self._unsubscribe()
