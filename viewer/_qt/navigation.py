"""Getting around the map as people coming from napari, Gephi or a web map expect: back and forward through
views and selections (Alt+Left / Alt+Right), the arrow keys pan, a right-click menu on a model (copy id, open on
the Hub, show its family, centre here), the View menu reopens every panel, and opening a model on the Hub
falls back to showing its link with a copy button where no browser opens."""

from __future__ import annotations

from PySide6.QtCore import QObject, QPoint, Qt, QTimer
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from hubatlas.viewer._qt import menus
from hubatlas.viewer._qt.text import hub_url, is_safe_hub_url, plain

PAN_STEP = 0.2  # of the view's width per arrow key press
HISTORY = 100  # views and selections remembered
POLL_MS = 400  # a view is remembered once it has rested this long


class UrlFallback(QDialog):
    """Where no browser opens a link: the link itself, selectable, with a Copy button."""

    def __init__(self, url: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Open on huggingface.co")
        lay = QVBoxLayout(self)
        why = QLabel("No web browser could be opened here. The model's page:")
        why.setTextFormat(Qt.PlainText)
        self.field = QLineEdit(url)
        self.field.setReadOnly(True)
        self.field.setMinimumWidth(420)
        row = QHBoxLayout()
        self.copy_btn = QPushButton("Copy")
        self.copy_btn.clicked.connect(lambda: QGuiApplication.clipboard().setText(url))
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        row.addStretch(1)
        row.addWidget(self.copy_btn)
        row.addWidget(close)
        lay.addWidget(why)
        lay.addWidget(self.field)
        lay.addLayout(row)


def open_on_hub(model_id: str, parent: QWidget | None = None) -> UrlFallback | None:
    """Open the model's page (https://huggingface.co/<id> only); where that fails, show the link instead and
    return that dialog."""
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QDesktopServices

    url = hub_url(model_id)
    if not url or not is_safe_hub_url(url):
        return None
    if QDesktopServices.openUrl(QUrl(url)):
        return None
    dlg = UrlFallback(url, parent)
    dlg.show()
    return dlg


class Navigation(QObject):
    """History, keyboard panning and the context menu of one window's map. ``select(node)`` selects a model
    (None: nothing); ``show_family(node)`` selects it and shows its family panel."""

    def __init__(self, window, canvas, model, state, select, show_family):
        super().__init__(window)
        self.window, self.canvas, self.model, self.state = window, canvas, model, state
        self._select, self._show_family = select, show_family
        self.back: list[tuple] = []
        self.forward: list[tuple] = []
        self.last = self.current()
        self.fallback: UrlFallback | None = None
        native = canvas.canvas.native
        for key, dx, dy in (
            (Qt.Key_Left, -1, 0),
            (Qt.Key_Right, 1, 0),
            (Qt.Key_Up, 0, 1),
            (Qt.Key_Down, 0, -1),
        ):
            sc = QShortcut(QKeySequence(key), native)
            sc.setContext(
                Qt.WidgetShortcut
            )  # only while the map has the keyboard: text fields keep their arrows
            sc.activated.connect(lambda dx=dx, dy=dy: self.pan(dx, dy))
        native.setContextMenuPolicy(Qt.CustomContextMenu)
        native.customContextMenuRequested.connect(lambda pos: self.context_menu_at(pos.x(), pos.y()))
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.remember)
        self.timer.start()

    # -- history ---------------------------------------------------------------------------------------------
    def current(self) -> tuple:
        r = self.canvas.view.camera.rect
        return (
            round(r.left, 6),
            round(r.bottom, 6),
            round(r.width, 6),
            round(r.height, 6),
            self.state.selection.node,
        )

    def remember(self) -> None:
        """Note the view and selection as a step of history once they changed and came to rest."""
        if self.canvas.interacting:
            return
        now = self.current()
        if now != self.last:
            self.back = ([*self.back, self.last])[-HISTORY:]
            self.forward.clear()
            self.last = now

    def go_back(self) -> bool:
        self.remember()
        if not self.back:
            return False
        self.forward.append(self.last)
        self._restore(self.back.pop())
        return True

    def go_forward(self) -> bool:
        self.remember()
        if not self.forward:
            return False
        self.back.append(self.last)
        self._restore(self.forward.pop())
        return True

    def _restore(self, step: tuple) -> None:
        x, y, w, h, node = step
        self.canvas.view.camera.rect = (x, y, w, h)
        if node != self.state.selection.node:
            self._select(node)
        self.last = self.current()

    # -- keyboard panning --------------------------------------------------------------------------------------
    def pan(self, dx: int, dy: int) -> None:
        r = self.canvas.view.camera.rect
        step = PAN_STEP * r.width
        self.canvas.view.camera.rect = (r.left + dx * step, r.bottom + dy * step, r.width, r.height)

    # -- context menu ------------------------------------------------------------------------------------------
    def context_menu(self, node: int | None, px: float, py: float) -> QMenu:
        """The menu for a right-click at canvas pixel (px, py) on ``node`` (None: empty map)."""
        menu = QMenu(self.window)
        if node is not None:
            mid = self.model.model_id(node)
            title = menu.addAction(plain(mid, 80))
            title.setEnabled(False)
            menu.addSeparator()
            menu.addAction("Copy id", lambda: QGuiApplication.clipboard().setText(mid))
            if not self.model.is_placeholder(node):  # a placeholder is not on the Hub under this id
                menu.addAction("Open on huggingface.co", lambda: self.open(mid))
            menu.addAction("Show family", lambda: self.show_family(node))
        menu.addAction("Centre here", lambda: self.centre_at(px, py))
        return menu

    def context_menu_at(self, px: float, py: float) -> None:
        node = self.canvas.pick(px, py)
        menu = self.context_menu(node, px, py)
        menu.popup(self.canvas.canvas.native.mapToGlobal(QPoint(int(px), int(py))))

    def open(self, model_id: str) -> None:
        self.fallback = open_on_hub(model_id, self.window)

    def show_family(self, node: int) -> None:
        self._show_family(node)

    def centre_at(self, px: float, py: float) -> None:
        x, y = self.canvas.scene_coords(px, py)
        r = self.canvas.view.camera.rect
        self.canvas.view.camera.rect = (x - r.width / 2, y - r.height / 2, r.width, r.height)


def install(window, nav: Navigation) -> Navigation:
    """The Go menu (Back, Forward) and View › Panels (every panel and toolbar of the window)."""
    go = menus.add_before_help(window, "&Go")
    menus.action(window, go, "Back", nav.go_back, "Alt+Left")
    menus.action(window, go, "Forward", nav.go_forward, "Alt+Right")
    panels = menus.menu_named(window, "&View").addMenu("Panels")
    for d in window.findChildren(QDockWidget):
        panels.addAction(d.toggleViewAction())
    for tb in window.findChildren(QToolBar):
        panels.addAction(tb.toggleViewAction())
    return nav
