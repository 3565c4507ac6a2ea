"""File › Open atlas… and File › Recent atlases: any cache directory opens in a window of its own (the one
it replaces closes when it opened); the last ten are remembered (QSettings)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMessageBox

from hubatlas.core.common.paths import DB_NAME
from hubatlas.viewer._qt.settings import settings

RECENT = 10


def recent() -> list[str]:
    """Remembered atlases that still exist, most recent first."""
    items = settings().value("recent_atlases", []) or []
    items = [items] if isinstance(items, str) else list(items)
    return [p for p in items if (Path(p) / DB_NAME).exists()][:RECENT]


def remember(cache: str | Path) -> None:
    path = str(Path(cache).resolve())
    settings().setValue("recent_atlases", [path, *[p for p in recent() if p != path][: RECENT - 1]])


class Atlases:
    """The File menu's atlas entries of one window."""

    def __init__(self, window):
        self.w = window
        self.opened = []  # windows opened from this one (kept alive)
        remember(window.store.dir)
        file_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&File")
        first = file_menu.actions()[0] if file_menu.actions() else None
        self.open_action = QAction("Open atlas…", window)
        self.open_action.setShortcut(QKeySequence.Open)
        self.open_action.setStatusTip("Open another atlas cache directory in its own window")
        self.open_action.triggered.connect(self.ask)
        self.recent_menu = file_menu.addMenu("Recent atlases")
        file_menu.insertAction(first, self.open_action)
        file_menu.insertMenu(first, self.recent_menu)
        file_menu.insertSeparator(first)
        self.recent_menu.aboutToShow.connect(self.fill_recent)
        self.fill_recent()

    def fill_recent(self) -> None:
        self.recent_menu.clear()
        for path in recent():
            a = self.recent_menu.addAction(path)
            a.triggered.connect(lambda _=False, p=path: self.open(p))
        self.recent_menu.setEnabled(bool(self.recent_menu.actions()))

    def ask(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self.w, "Open atlas (a hubatlas cache directory)", str(Path(self.w.store.dir).parent)
        )
        if folder:
            self.open(folder)

    def open(self, folder: str | Path):
        """Open ``folder`` in a new window; a clear message when it is not a usable atlas. Returns the window
        or None."""
        from hubatlas.viewer._qt.layout_job import compute_with_dialog
        from hubatlas.viewer.layers.opening import Problem, prepare

        if not (Path(folder) / DB_NAME).exists():
            QMessageBox.warning(self.w, "Not an atlas", f"{folder} holds no hubatlas atlas ({DB_NAME}).")
            return None
        try:
            model = prepare(
                Path(folder),
                ask_layout=lambda missing, n: (
                    QMessageBox.question(
                        self.w,
                        "Compute the layout?",
                        f"{missing:,} of {n:,} models have no position yet. Compute the layout now?",
                    )
                    == QMessageBox.Yes
                ),
                compute_layout=lambda c, m, n: compute_with_dialog(c, m, n, self.w),
            )
        except Problem as p:
            QMessageBox.warning(self.w, p.title, str(p))
            return None
        win = type(self.w)(model, icon=self.w.windowIcon())  # another window of the same kind
        win.show()
        self.opened.append(win)
        remember(folder)
        self.fill_recent()
        return win


def install(window) -> Atlases:
    return Atlases(window)
