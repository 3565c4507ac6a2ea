"""The details panel: every stored field of the selected model as plain text (nothing in the metadata is
interpreted), and a button that opens its page on huggingface.co (https links to the Hub only; a
placeholder, which is not on the Hub under that id, has none). It follows the state's selection."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from hubatlas.viewer._qt.text import hub_url, plain
from hubatlas.viewer.layers.describe import detail_lines


class DetailsPanel(QWidget):
    def __init__(self, model=None, state=None, parent=None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        self.title = QLabel("No model selected")
        self.title.setTextFormat(Qt.PlainText)
        self.title.setWordWrap(True)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.open_btn = QPushButton("Open on huggingface.co")
        self.open_btn.setEnabled(False)
        self.open_btn.clicked.connect(self._open)
        lay.addWidget(self.title)
        lay.addWidget(self.text)
        lay.addWidget(self.open_btn)
        self.url: str | None = None
        self.model_id: str | None = None
        self.fallback = None
        self.model = model
        self._unsubscribe = state.on_change(self._follow) if state is not None else (lambda: None)
        self.state = state

    def _follow(self, changed: set[str]) -> None:
        if "selection" in changed:
            node = self.state.selection.node
            if node is None:
                self.show_record(None)
            else:
                self.show_record(self.model.record(node), self.model.predicted_for(node))

    def show_record(self, rec: dict | None, predicted: dict | None = None) -> None:
        """``predicted``: attribute -> (value, confidence) for values the model does not document."""
        if rec is None:
            self.title.setText("No model selected")
            self.text.setPlainText("")
            self.url = None
            self.model_id = None
            self.open_btn.setEnabled(False)
            return
        placeholder = bool(rec.get("placeholder"))
        self.title.setText(
            plain(rec["id"], 300) + ("  (placeholder: not in the data)" if placeholder else "")
        )
        self.text.setPlainText("\n".join(detail_lines(rec, predicted)))
        self.url = None if placeholder else hub_url(rec["id"])
        self.model_id = rec["id"]
        self.open_btn.setEnabled(self.url is not None)
        self.open_btn.setToolTip("" if self.url else "A placeholder is not on the Hub under this id")

    def _open(self) -> None:
        from hubatlas.viewer._qt.navigation import open_on_hub

        if self.model_id and self.url:
            self.fallback = open_on_hub(
                self.model_id, self
            )  # the link with a Copy button where no browser opens

    def close_views(self) -> None:
        self._unsubscribe()
