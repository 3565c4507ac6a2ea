"""The window's help: the keyboard shortcuts (F1) and the About box. Our own text only: nothing from model
metadata is put into these rich-text views."""

from __future__ import annotations

from hubatlas.viewer.layers.colors import MODES

SHORTCUTS = [
    ("Drag / wheel", "pan / zoom around the cursor"),
    ("Arrow keys", "pan (when the map has the keyboard)"),
    ("+  −", "zoom in / out"),
    ("Alt+Left / Alt+Right", "back / forward through views and selections"),
    ("Right-click", "a model's menu: copy id, open on the Hub, show family, centre here"),
    ("Home, Ctrl+0", "whole map"),
    ("Z", "zoom to the models shown"),
    ("Ctrl+F", "search (Enter flies to the model, back to the map)"),
    ("Click", "select a model"),
    ("Esc", "clear the selection (in the search box: back to the map)"),
    ("Shift+drag / Ctrl+drag", "select the models in a box / lasso (summary and CSV in the Selection panel)"),
    ("B / O", "box / lasso tool: a plain drag selects until Esc"),
    ("Ctrl+A", "select every model shown"),
    ("Ctrl+Shift+S", "export the selected models as CSV"),
    ("M", "minimap (click it to go there)"),
    ("Ctrl+C", "copy the selected model's id"),
    ("1 – 7", "colour by: " + ", ".join(MODES.values())),
    ("S", "size by downloads"),
    ("L", "labels (regions, families; models when zoomed in)"),
    ("D", "density shading (terrain)"),
    ("E", "lineage edges in view (inferred ones paler)"),
    ("P", "colour predicted values (paler)"),
    ("T", "trends panel for the current filter"),
    ("Space", "play / pause the Hub's history, month by month"),
    ("Ctrl+E", "export an image"),
    ("Ctrl+O", "open another atlas"),
    ("Ctrl+Shift+E", "quick export at 2×"),
    ("Ctrl+S / Ctrl+Shift+O", "save the view / open a saved view"),
    ("Ctrl+Shift+C / Ctrl+Shift+V", "copy the view as text / open the view on the clipboard"),
    ("Ctrl+R", "record the Hub's history as an animation"),
    ("F1", "this table"),
]


def shortcuts_html() -> str:
    rows = "".join(f"<tr><td><b>{k}</b>&nbsp;&nbsp;</td><td>{v}</td></tr>" for k, v in SHORTCUTS)
    return f"<table cellspacing='4'>{rows}</table>"
