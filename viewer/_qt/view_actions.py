"""Saved views in the window: File › Save view… and Open view… (a JSON file, ``layers.view_file``), View › Copy
view (one line of text on the clipboard) and File › Open view from clipboard. What a view asks for and this
atlas does not have is said in a message, the rest applied."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFileDialog, QMessageBox

from hubatlas.viewer._qt.text import plain
from hubatlas.viewer.layers import view_file
from hubatlas.viewer.layers.view_file import View, ViewError

FILTER = "hubatlas view (*.json);;All files (*)"


def current(w) -> View:
    """The window's view now."""
    return view_file.capture(w.model, w.state, w.atlas.camera(), w.atlas.colors.legend)


def apply(w, view: View, source: str) -> list[str]:
    """Apply ``view`` to the window; returns (and says) what could not be applied."""
    cam = view_file.apply(view, w.model, w.state, lambda: w.atlas.colors.legend)
    if cam is not None:
        w.atlas.set_camera(*cam)
    if view.notes:
        QMessageBox.information(
            w,
            "Part of the view applied",
            f"{plain(source, 200)}: applied what this atlas has.\n\n"
            + "\n".join(f"• {plain(n, 300)}" for n in view.notes),
        )
    else:
        w.statusBar().showMessage(f"View applied from {plain(source, 200)}", 5000)
    return view.notes


def save_view(w) -> Path | None:
    path, _ = QFileDialog.getSaveFileName(w, "Save view", str(Path.home() / "view.json"), FILTER)
    if not path:
        return None
    return write(w, Path(path))


def write(w, path: Path) -> Path | None:
    from hubatlas.core.common.atomic import atomic_output

    try:
        with atomic_output(path) as tmp:
            tmp.write_text(current(w).dumps() + "\n", encoding="utf-8")
    except OSError as e:
        QMessageBox.warning(
            w, "View not saved", f"{plain(str(path), 300)}: {plain(e.strerror or str(e), 200)}"
        )
        return None
    w.statusBar().showMessage(f"Saved the view in {plain(str(path), 200)}", 8000)
    return path


def open_view(w) -> list[str] | None:
    path, _ = QFileDialog.getOpenFileName(w, "Open view", str(Path.home()), FILTER)
    return open_path(w, Path(path)) if path else None


def open_path(w, path: Path) -> list[str] | None:
    try:
        view = view_file.load(path)
    except ViewError as e:
        QMessageBox.warning(w, "Not a view", plain(str(e), 500))
        return None
    return apply(w, view, path.name)


def copy_view(w) -> str:
    line = current(w).dumps(one_line=True)
    QGuiApplication.clipboard().setText(line)
    w.statusBar().showMessage("Copied the view (paste it with File › Open view from clipboard)", 5000)
    return line


def paste_view(w) -> list[str] | None:
    text = QGuiApplication.clipboard().text()
    try:
        view = view_file.loads(text.strip())
    except ViewError as e:
        QMessageBox.warning(w, "No view on the clipboard", plain(str(e), 500))
        return None
    return apply(w, view, "the clipboard")
