"""Menus, actions and docks for the window's modules: each module is given the main window and adds its own
entries through these (public) helpers, in the menu bar's order (Help stays last)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu, QWidget


def menu_named(window: QMainWindow, title: str, parent: QMenu | None = None) -> QMenu | None:
    """The menu called ``title`` ("&View") in the menu bar, or in ``parent``; None when there is none."""
    actions = parent.actions() if parent is not None else window.menuBar().actions()
    return next((a.menu() for a in actions if a.text() == title and a.menu() is not None), None)


def add_before_help(window: QMainWindow, title: str) -> QMenu:
    """A new menu in the menu bar, placed before Help."""
    menu = QMenu(title, window)
    bar = window.menuBar()
    bar.insertMenu(next(a for a in bar.actions() if a.text() == "&Help"), menu)
    return menu


def action(
    owner: QWidget,
    menu: QMenu | None,
    text: str,
    slot: Callable,
    shortcut: str | list | QKeySequence | None = None,
    checkable: bool = False,
    tip: str | None = None,
) -> QAction:
    """An action with its shortcut(s), added to ``menu`` (None: only to ``owner``, for its shortcut)."""
    a = QAction(text, owner)
    if shortcut:
        keys = shortcut if isinstance(shortcut, list) else [shortcut]
        a.setShortcuts([k if isinstance(k, QKeySequence) else QKeySequence(k) for k in keys])
    a.setCheckable(checkable)
    if tip:
        a.setStatusTip(tip)
        a.setToolTip(tip)
    a.triggered.connect(slot)
    (menu if menu is not None else owner).addAction(a)
    return a


def dock(
    window: QMainWindow,
    title: str,
    widget: QWidget,
    area=Qt.RightDockWidgetArea,
    beside: QDockWidget | None = None,
) -> QDockWidget:
    """A dock panel; ``beside``: a tab next to that dock, so showing it never resizes the map."""
    d = QDockWidget(title, window)
    d.setObjectName(title)
    d.setWidget(widget)
    d.setFeatures(
        QDockWidget.DockWidgetClosable | QDockWidget.DockWidgetMovable | QDockWidget.DockWidgetFloatable
    )
    window.addDockWidget(area, d)
    if beside is not None:
        window.tabifyDockWidget(beside, d)
    return d


def raise_dock(d: QDockWidget) -> None:
    d.show()
    d.raise_()
