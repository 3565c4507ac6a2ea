"""Work that follows the state once its changes pause: a replay or a dragged slider changes the filters many
times a second; counts, charts and density follow when the changes stop, never per frame."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from PySide6.QtCore import QObject, QTimer

SETTLE_MS = 250


class Settled(QObject):
    """Calls ``callback()`` once changes of the state's ``fields`` pause for ``ms``."""

    def __init__(
        self, state, fields: Iterable[str], callback: Callable[[], None], ms: int = SETTLE_MS, parent=None
    ):
        super().__init__(parent)
        self.fields = set(fields)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(ms)
        self.timer.timeout.connect(callback)
        self._unsubscribe = state.on_change(lambda names: self.timer.start() if names & self.fields else None)

    def close(self) -> None:
        self.timer.stop()
        self._unsubscribe()
