"""Getting around the map as people coming from napari, Gephi or a web map expect: back and forward through
views and selections (Alt+Left / Alt+Right), the arrow keys pan, a right-click menu on a model (copy id, open on
the Hub, show its family, centre here), the View menu reopens every panel, and opening a model on the Hub
falls back to showing its link with a copy button where no browser opens."""
from __future__ import annotations

from PySide6.QtCore import QObject, QPoint, Qt, QTimer
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence, QShortcut
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
    """History, keyboard panning and the context menu of one window's map."""

    def __init__(self, window):
        super().__init__(window)
        self.w = window
        self.back: list[tuple] = []
        self.forward: list[tuple] = []
        self.last = self.current()
        self.fallback: UrlFallback | None = None
        canvas = window.atlas.canvas.native
        for key, dx, dy in ((Qt.Key_Left, -1, 0), (Qt.Key_Right, 1, 0), (Qt.Key_Up, 0, 1), (Qt.Key_Down, 0, -1)):
            sc = QShortcut(QKeySequence(key), canvas)
            sc.setContext(Qt.WidgetShortcut)  # only while the map has the keyboard: text fields keep their arrows
            sc.activated.connect(lambda dx=dx, dy=dy: self.pan(dx, dy))
        canvas.setContextMenuPolicy(Qt.CustomContextMenu)
        canvas.customContextMenuRequested.connect(lambda pos: self.context_menu_at(pos.x(), pos.y()))
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.remember)
        self.timer.start()

    # -- history ---------------------------------------------------------------------------------------------
    def current(self) -> tuple:
        r = self.w.atlas.view.camera.rect
        return round(r.left, 6), round(r.bottom, 6), round(r.width, 6), round(r.height, 6), self.w.atlas.selected

    def remember(self) -> None:
        """Note the view and selection as a step of history once they changed and came to rest."""
        if self.w.atlas.interacting:
            return
        now = self.current()
        if now != self.last:
            self.back = (self.back + [self.last])[-HISTORY:]
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
        self.w.atlas.view.camera.rect = (x, y, w, h)
        if node != self.w.atlas.selected:
            self.w.select(node)
        self.last = self.current()

    # -- keyboard panning --------------------------------------------------------------------------------------
    def pan(self, dx: int, dy: int) -> None:
        r = self.w.atlas.view.camera.rect
        step = PAN_STEP * r.width
        self.w.atlas.view.camera.rect = (r.left + dx * step, r.bottom + dy * step, r.width, r.height)

    # -- context menu ------------------------------------------------------------------------------------------
    def context_menu(self, node: int | None, px: float, py: float) -> QMenu:
        """The menu for a right-click at canvas pixel (px, py) on ``node`` (None: empty map)."""
        menu = QMenu(self.w)
        if node is not None:
            mid = self.w.model.model_id(node)
            title = menu.addAction(plain(mid, 80))
            title.setEnabled(False)
            menu.addSeparator()
            menu.addAction("Copy id", lambda: QGuiApplication.clipboard().setText(mid))
            menu.addAction("Open on huggingface.co", lambda: self.open(mid))
            menu.addAction("Show family", lambda: self.show_family(node))
        menu.addAction("Centre here", lambda: self.centre_at(px, py))
        return menu

    def context_menu_at(self, px: float, py: float) -> None:
        node = self.w.atlas.pick(px, py)
        menu = self.context_menu(node, px, py)
        menu.popup(self.w.atlas.canvas.native.mapToGlobal(QPoint(int(px), int(py))))

    def open(self, model_id: str) -> None:
        self.fallback = open_on_hub(model_id, self.w)

    def show_family(self, node: int) -> None:
        self.w.select(node)
        self.w.family_dock.show()
        self.w.family_dock.raise_()

    def centre_at(self, px: float, py: float) -> None:
        x, y = self.w.atlas.scene_coords(px, py)
        r = self.w.atlas.view.camera.rect
        self.w.atlas.view.camera.rect = (x - r.width / 2, y - r.height / 2, r.width, r.height)


def install(window) -> Navigation:
    """Add navigation to a MainWindow: the Go menu (Back, Forward), the arrow keys, the map's right-click
    menu, and every panel (and the search bar) in View › Panels."""
    nav = Navigation(window)
    go = menus.add_before_help(window, "&Go")
    for text, slot, key in (("Back", nav.go_back, "Alt+Left"), ("Forward", nav.go_forward, "Alt+Right")):
        a = QAction(text, window)
        a.setShortcut(QKeySequence(key))
        a.triggered.connect(slot)
        go.addAction(a)
    panels = menus.menu_named(window, "&View").addMenu("Panels")
    for d in window.findChildren(QDockWidget):
        panels.addAction(d.toggleViewAction())
    for tb in window.findChildren(QToolBar):
        panels.addAction(tb.toggleViewAction())
    return nav
