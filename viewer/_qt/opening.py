"""The dialog for an atlas that cannot be shown: what went wrong, how to fill or repair it, and (where it helps)
a button that opens the bundled demo atlas instead."""

from __future__ import annotations

from pathlib import Path

from hubatlas.viewer.layers.opening import FILL_HINT, Problem, is_demo


def problem_box(p: Problem, cache: Path):
    """The dialog for a problem: what went wrong, how to fill or repair the atlas, and (where it helps) a
    button that opens the bundled demo atlas instead of quitting. Returns (box, demo button or None)."""
    from PySide6.QtWidgets import QMessageBox

    box = QMessageBox(QMessageBox.Warning, p.title, f"{p}\n\n{FILL_HINT}")
    demo = None
    if p.offer_demo and not is_demo(Path(cache)):
        demo = box.addButton("Open the demo atlas", QMessageBox.AcceptRole)
    box.addButton(QMessageBox.Close)
    return box, demo
