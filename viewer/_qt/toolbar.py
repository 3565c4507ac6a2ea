"""The window's toolbar: search over every id and author (type-ahead in the order of ``hubatlas search``; Enter
selects and flies to the first of that ranking, or to the row picked in the list) and the
colour-by selector, which shows the state's mode and changes it through ``AtlasState.color_by``."""

from __future__ import annotations

from PySide6.QtCore import QStringListModel, Qt
from PySide6.QtWidgets import QComboBox, QCompleter, QLabel, QLineEdit, QToolBar

from hubatlas.core.common.fields import MODES
from hubatlas.viewer._qt.columns import widen_popup


class MapToolBar(QToolBar):
    def __init__(self, window, model, state, go_to, focus_map):
        super().__init__("Search", window)
        self.setObjectName("search")
        self.model, self.state, self._go_to, self._focus_map = model, state, go_to, focus_map
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search models and authors (Ctrl+F), Enter to fly there")
        self.search.setClearButtonEnabled(True)
        self.completions = QStringListModel(self)
        comp = QCompleter(self.completions, self)
        comp.setCaseSensitivity(Qt.CaseInsensitive)
        # the list is the search's ranking as it is: a filter of the completer would hide matches of words,
        # aliases and tags, and the first row would no longer be the model Enter selects
        comp.setCompletionMode(QCompleter.UnfilteredPopupCompletion)
        comp.activated.connect(go_to)
        self.search.setCompleter(comp)
        self.search.textEdited.connect(self.type_ahead)
        self.search.returnPressed.connect(self._entered)
        self.addWidget(self.search)
        self.addSeparator()
        self.addWidget(QLabel(" Colour by "))
        self.color_by = QComboBox()
        self.color_by.setToolTip("What the map is coloured by (keys 1–7)")
        for i, (mode, label) in enumerate(MODES.items()):
            self.color_by.addItem(f"{label}  ({i + 1})", mode)
        widen_popup(self.color_by)
        self.color_by.setCurrentIndex(self.color_by.findData(state.mode))
        self.color_by.currentIndexChanged.connect(lambda i: state.color_by(self.color_by.itemData(i)))
        self.addWidget(self.color_by)
        window.addToolBar(self)
        self._unsubscribe = state.on_change(self._follow)

    def _follow(self, changed: set[str]) -> None:
        if "mode" in changed:
            self.color_by.blockSignals(True)
            self.color_by.setCurrentIndex(self.color_by.findData(self.state.mode))
            self.color_by.blockSignals(False)

    def type_ahead(self, text: str) -> None:
        if len(text.strip()) < 2:
            return
        hits = self.model.search(text, 20)
        self.completions.setStringList([h["id"] for h in hits])

    def _entered(self) -> None:
        self._go_to(self.search.text())
        self._focus_map()

    def close_views(self) -> None:
        self._unsubscribe()
