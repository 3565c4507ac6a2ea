"""Column widths that read at any window size (issue 36): every column can be dragged, the numbers and short
fields get the width their header and typical values need (from the font's metrics, not a guess in pixels),
the first column (a model id) takes the rest of the room and follows the panel's width until the user drags
it, and the widths are remembered across sessions (QSettings under ``columns/<name>``). Where the panel is too
narrow for that, the optional columns hide (in the order given) and show again as it widens."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView

from hubatlas.viewer._qt.settings import settings

MIN_FIRST = 120  # the id column never gets narrower than this when fitted
FIRST_SHARE = 0.45  # optional columns hide while the id column would get less than this share of the width
PAD = 24  # pixels beside a column's text (margins, sort arrow)


class FittedColumns(QObject):
    """Manage the columns of ``view`` (a QTreeView or QTableView): ``samples[c]`` is the widest text column
    ``c`` (c >= 1) typically shows; column 0 takes the room left."""

    def __init__(
        self, view: QAbstractItemView, name: str, samples: dict[int, str], optional: tuple[int, ...] = ()
    ):
        super().__init__(view)
        self.view, self.key, self.samples = view, f"columns/{name}", samples
        self.optional = optional  # columns hidden in this order while the id would get under FIRST_SHARE
        self.header: QHeaderView = view.header() if hasattr(view, "header") else view.horizontalHeader()
        h = self.header
        h.setStretchLastSection(False)
        h.setSectionResizeMode(QHeaderView.Interactive)
        h.setMinimumSectionSize(32)
        self._fitting = False
        self.user_first: int | None = None  # the id column's width as dragged (None: follows the panel)
        self._restore()
        h.sectionResized.connect(self._resized)
        view.viewport().installEventFilter(self)

    def natural(self, col: int) -> int:
        """The width column ``col`` needs for its header and its typical value."""
        fm = self.view.fontMetrics()
        title = self.view.model().headerData(col, Qt.Horizontal) if self.view.model() else ""
        text_w = max(fm.horizontalAdvance(str(title or "")), fm.horizontalAdvance(self.samples.get(col, "")))
        return text_w + PAD

    def fit(self) -> None:
        """Numbers and short fields at their natural widths (unless dragged before), the id the rest."""
        h = self.header
        if h.count() == 0:
            return
        self._fitting = True
        try:
            saved = self._saved()
            for c in range(1, h.count()):
                h.resizeSection(c, saved.get(c) or self.natural(c))
            self._fit_first()
        finally:
            self._fitting = False

    def _fit_first(self) -> None:
        h = self.header
        width = self.view.viewport().width()
        self._fitting = True
        try:
            for c in self.optional:  # all shown, then hidden in order while the panel is too narrow
                h.setSectionHidden(c, False)
            for c in self.optional:
                if self._room(width) >= FIRST_SHARE * width:
                    break
                h.setSectionHidden(c, True)
            h.resizeSection(0, self.user_first or max(MIN_FIRST, self._room(width)))
        finally:
            self._fitting = False

    def _room(self, width: int) -> int:
        h = self.header
        return width - sum(h.sectionSize(c) for c in range(1, h.count()) if not h.isSectionHidden(c))

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Resize and self.user_first is None:
            self._fit_first()
        return False

    def _resized(self, col: int, _old: int, new: int) -> None:
        if self._fitting:
            return
        if col == 0:
            self.user_first = new
        else:
            self._fit_first()
        self._save()

    def _saved(self) -> dict[int, int]:
        raw = settings().value(self.key)
        out: dict[int, int] = {}
        if isinstance(raw, str) and raw:
            for part in raw.split(","):
                c, _, w = part.partition(":")
                if c.isdigit() and w.isdigit() and 16 <= int(w) <= 4000:
                    out[int(c)] = int(w)
        return out

    def _restore(self) -> None:
        saved = self._saved()
        self.user_first = saved.pop(0, None)

    def _save(self) -> None:
        h = self.header
        parts = [f"{c}:{h.sectionSize(c)}" for c in range(1, h.count())]
        if self.user_first is not None:
            parts.insert(0, f"0:{self.user_first}")
        settings().setValue(self.key, ",".join(parts))


POPUP_MAX = 640  # a popup list never gets wider than this (a hostile label cannot fill the screen)


def widen_popup(combo) -> None:
    """A QComboBox's drop-down list as wide as its longest item (from the font's metrics), so a popup never
    cuts a value ("automatic-speech-recognition (14,81"), while the closed box keeps its size."""
    fm = combo.view().fontMetrics()
    widest = max((fm.horizontalAdvance(combo.itemText(i)) for i in range(combo.count())), default=0)
    combo.view().setMinimumWidth(min(POPUP_MAX, widest + 48))


def list_width(widget, texts) -> int:
    """The width a list needs to show every one of ``texts`` whole (scroll bar and check box included)."""
    fm = widget.fontMetrics()
    widest = max((fm.horizontalAdvance(t) for t in texts), default=0)
    return min(POPUP_MAX, widest + 64)
