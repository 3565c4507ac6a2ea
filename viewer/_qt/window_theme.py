"""The theme of the whole window, not just the map: panels, menus, lists and dialogs follow the map's dark or
light background through a Qt palette (Fusion style, which honours palettes on every platform)."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from hubatlas.viewer.layers.atlas_state import theme_named


def _rgb(c: tuple) -> QColor:
    return QColor.fromRgbF(float(c[0]), float(c[1]), float(c[2]))


def palette_for(name: str) -> QPalette:
    """A palette whose window colour is the map's background and whose text is the map's text colour."""
    t = theme_named(name)
    bg, fg = _rgb(t.background), _rgb(t.text)
    dark = t.name == "dark"
    base = bg.lighter(135) if dark else QColor(255, 255, 255)
    button = bg.lighter(160) if dark else bg.darker(106)
    p = QPalette()
    for role, color in (
        (QPalette.Window, bg),
        (QPalette.WindowText, fg),
        (QPalette.Base, base),
        (QPalette.AlternateBase, base.lighter(110) if dark else bg),
        (QPalette.Text, fg),
        (QPalette.Button, button),
        (QPalette.ButtonText, fg),
        (QPalette.ToolTipBase, base),
        (QPalette.ToolTipText, fg),
        (QPalette.PlaceholderText, QColor(fg.red(), fg.green(), fg.blue(), 140)),
        (QPalette.Highlight, QColor(86, 180, 233) if dark else QColor(0, 114, 178)),
        (QPalette.HighlightedText, QColor(0, 0, 0) if dark else QColor(255, 255, 255)),
    ):
        p.setColor(role, color)
    for role in (QPalette.Text, QPalette.WindowText, QPalette.ButtonText):
        p.setColor(QPalette.Disabled, role, QColor(fg.red(), fg.green(), fg.blue(), 110))
    return p


def apply(name: str) -> QPalette:
    """Theme the application (every window and dialog) like the map."""
    app = QApplication.instance()
    app.setStyle("Fusion")
    pal = palette_for(name)
    app.setPalette(pal)
    return pal
