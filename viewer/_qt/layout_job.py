"""Computing a missing layout in the background: `hubatlas layout` runs in a child process while a progress
dialog shows its stage and elapsed time and can cancel it. The window stays responsive (nothing heavy runs
on the GUI thread), and cancelling is immediate and safe: the child is stopped, the operating system releases
its writer lock, and a layout is only ever written whole (atomic files), so the atlas is left as it was."""

from __future__ import annotations

import re
import time
from pathlib import Path

from PySide6.QtCore import Signal

from hubatlas.viewer._qt.child_job import ChildJob, hubatlas_command, run_with_dialog

STAGES = ("features", "knn", "optimise", "placement")
STAGE_TEXT = {
    "features": "reading the models' features",
    "knn": "finding feature neighbours",
    "optimise": "optimising the map (UMAP)",
    "placement": "placing the remaining models",
}
WAIT_S = 30  # for another process's writer lock, as the window's own writers wait


def layout_command(cache: Path) -> tuple[str, list[str]]:
    """The program and arguments that lay out ``cache`` (see child_job.hubatlas_command)."""
    return hubatlas_command(["--cache", str(cache), "--wait", str(int(WAIT_S)), "layout"])


class LayoutJob(ChildJob):
    """One `hubatlas layout` child process. ``stage(name, index)`` as it advances; ``done(ok, message)``."""

    stage = Signal(str, int)
    NAME = "layout"

    def __init__(self, cache: Path, parent=None):
        super().__init__(cache, {"HUBATLAS_PROGRESS": "1"}, parent)  # its progress bar, parsed for its stage
        self.current = ""

    def command(self) -> tuple[str, list[str]]:
        return layout_command(self.cache)

    def on_text(self, text: str) -> None:
        for name in re.findall(r"\b(" + "|".join(STAGES) + r")\b", text):
            if name != self.current:
                self.current = name
                self.stage.emit(name, STAGES.index(name))

    def is_error_line(self, line: str) -> bool:
        return line.startswith("hubatlas:") or "Error" in line


def compute_with_dialog(cache: Path, missing: int, n: int, parent=None) -> tuple[bool, str]:
    """Lay out ``cache`` in a child process behind a modal progress dialog with Cancel. Returns (ok, message):
    message is "cancelled" when the person cancelled, else what went wrong."""
    from PySide6.QtWidgets import QProgressDialog

    job = LayoutJob(cache)
    dlg = QProgressDialog(
        f"Computing the layout of {n:,} models ({missing:,} without a position)…",
        "Cancel",
        0,
        len(STAGES),
        parent,
    )
    dlg.setWindowTitle("Computing the layout")
    dlg.setValue(0)

    def show_stage() -> None:
        what = STAGE_TEXT.get(job.current, "starting")
        dlg.setLabelText(
            f"Computing the layout of {n:,} models: {what}… "
            f"({time.monotonic() - job.started_at:.0f} s)\nCancel leaves the atlas as it was."
        )

    job.stage.connect(lambda name, i: (dlg.setValue(i), show_stage()))
    compute_with_dialog.current = (job, dlg)  # for tests: the running job and its dialog
    try:
        return run_with_dialog(job, dlg, show_stage, 500)
    finally:
        compute_with_dialog.current = None


compute_with_dialog.current = None  # type: ignore[attr-defined]
