"""Finding and adding the window's menus by title, for the modules that install themselves into a MainWindow
(navigation, selection, the minimap, what is shown), so each keeps the menu bar's order: Help stays last."""
from __future__ import annotations

from PySide6.QtWidgets import QMenu


def menu_named(window, title: str, parent: QMenu | None = None) -> QMenu | None:
    """The menu called ``title`` ("&View") in the menu bar, or in ``parent``; None when there is none."""
    actions = parent.actions() if parent is not None else window.menuBar().actions()
    return next((a.menu() for a in actions if a.text() == title and a.menu() is not None), None)


def add_before_help(window, title: str) -> QMenu:
    """A new menu in the menu bar, placed before Help."""
    menu = QMenu(title, window)
    bar = window.menuBar()
    bar.insertMenu(next(a for a in bar.actions() if a.text() == "&Help"), menu)
    return menu
