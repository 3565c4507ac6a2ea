"""View › Record history…: the Hub's growth as an animation (GIF, WebP or MP4) of the window's view, one frame a
month (``_vispy.timelapse``), with a progress dialog that can cancel."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QProgressDialog

from hubatlas.viewer._qt.text import plain

FILTER = "Animated GIF (*.gif);;WebP (*.webp);;MP4 video (*.mp4)"


def record_history(w, path: Path | None = None, size: tuple[int, int] = (1280, 800)) -> int:
    """Ask where (unless ``path``), record and say where it went; returns the frames written."""
    from hubatlas.viewer._vispy.export import ExportError, ExportOptions
    from hubatlas.viewer._vispy.timelapse import data_months, month_ends, record

    if path is None:
        name, _ = QFileDialog.getSaveFileName(
            w, "Record history", str(Path.home() / "hub-growth.gif"), FILTER
        )
        if not name:
            return 0
        path = Path(name)
    try:
        days = month_ends(*data_months(w.model))
    except ExportError as e:
        QMessageBox.warning(w, "Nothing to record", plain(str(e), 300))
        return 0
    dialog = QProgressDialog("Recording the Hub's growth…", "Cancel", 0, len(days), w)
    dialog.setWindowModality(Qt.WindowModal)
    dialog.setMinimumDuration(0)

    def progress(done: int, total: int) -> bool:
        dialog.setValue(done)
        QApplication.processEvents()
        return not dialog.wasCanceled()

    opts = ExportOptions(width=size[0], height=size[1], labels=None)
    try:
        n = record(w.atlas, path, opts, days, progress=progress)
    except (ExportError, OSError) as e:
        QMessageBox.warning(w, "History not recorded", plain(str(e), 400))
        return 0
    finally:
        dialog.close()
    if n:
        w.statusBar().showMessage(f"Recorded {n} months in {plain(str(path), 200)}", 8000)
    return n
