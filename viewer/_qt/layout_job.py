"""Computing a missing layout in the background: `hubatlas layout` runs in a child process while a progress
dialog shows its stage and elapsed time and can cancel it. The window stays responsive (nothing heavy runs
on the GUI thread), and cancelling is immediate and safe: the child is stopped, the operating system releases
its writer lock, and a layout is only ever written whole (atomic files), so the atlas is left as it was."""

from __future__ import annotations

import os
import re
import signal
import sys
import time
from pathlib import Path

from PySide6.QtCore import QEventLoop, QObject, QProcess, QProcessEnvironment, Qt, QTimer, Signal

STAGES = ("features", "knn", "optimise", "placement")
STAGE_TEXT = {
    "features": "reading the models' features",
    "knn": "finding feature neighbours",
    "optimise": "optimising the map (UMAP)",
    "placement": "placing the remaining models",
}
WAIT_S = 30  # for another process's writer lock, as the window's own writers wait
GRACE_MS = 3000  # after a cancel, the child's time to stop cleanly before it is killed


def layout_command(cache: Path) -> tuple[str, list[str]]:
    """The program and arguments that lay out ``cache``: the app bundle runs its own executable, an installed
    package its Python with the console entry point's module."""
    args = ["--cache", str(cache), "--wait", str(int(WAIT_S)), "layout"]
    if getattr(sys, "frozen", False):
        return sys.executable, args
    return sys.executable, ["-m", "hubatlas.viewer.cli", *args]


class LayoutJob(QObject):
    """One `hubatlas layout` child process. ``stage(name, index)`` as it advances; ``done(ok, message)``."""

    stage = Signal(str, int)
    done = Signal(bool, str)

    def __init__(self, cache: Path, parent=None):
        super().__init__(parent)
        self.cache = Path(cache)
        self.proc = QProcess(self)
        env = QProcessEnvironment.systemEnvironment()
        env.insert("HUBATLAS_PROGRESS", "1")  # the child's progress bar, parsed for its stage
        env.remove("HUBATLAS_CACHE")
        self.proc.setProcessEnvironment(env)
        self.proc.readyReadStandardError.connect(self._read)
        self.proc.finished.connect(self._finished)
        self.proc.errorOccurred.connect(self._error)
        self.cancelled = False
        self.current = ""
        self._tail = ""
        self.started_at = 0.0
        self._killer = QTimer(self)
        self._killer.setSingleShot(True)
        self._killer.timeout.connect(self.proc.kill)

    def start(self) -> None:
        program, args = layout_command(self.cache)
        self.started_at = time.monotonic()
        self.proc.start(program, args)

    def cancel(self) -> None:
        """Stop the child: an interrupt first (it exits cleanly), killed if it has not stopped in GRACE_MS."""
        if self.proc.state() == QProcess.NotRunning:
            return
        self.cancelled = True
        pid = self.proc.processId()
        if os.name == "posix" and pid:
            os.kill(pid, signal.SIGINT)
            self._killer.start(GRACE_MS)
        else:
            self.proc.kill()

    def _read(self) -> None:
        text = bytes(self.proc.readAllStandardError()).decode("utf-8", "replace")
        self._tail = (self._tail + text)[-4000:]
        for name in re.findall(r"\b(" + "|".join(STAGES) + r")\b", text):
            if name != self.current:
                self.current = name
                self.stage.emit(name, STAGES.index(name))

    def _error(self, err) -> None:
        if err == QProcess.FailedToStart:
            self.done.emit(False, f"could not start `hubatlas layout`: {self.proc.errorString()}")

    def _finished(self, code: int, status) -> None:
        self._killer.stop()
        if self.cancelled:
            self.done.emit(False, "cancelled")
        elif status == QProcess.NormalExit and code == 0:
            self.done.emit(True, "")
        else:
            lines = [ln.strip() for ln in re.split(r"[\r\n]+", self._tail) if ln.strip()]
            errors = [ln for ln in lines if ln.startswith("hubatlas:") or "Error" in ln]
            self.done.emit(False, (errors or lines or [f"`hubatlas layout` stopped (exit {code})"])[-1][:500])


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
    dlg.setWindowModality(Qt.ApplicationModal)
    dlg.setMinimumDuration(0)
    dlg.setAutoClose(False)
    dlg.setAutoReset(False)
    dlg.setValue(0)
    result: list = []
    loop = QEventLoop()

    def show_stage() -> None:
        what = STAGE_TEXT.get(job.current, "starting")
        dlg.setLabelText(
            f"Computing the layout of {n:,} models: {what}… "
            f"({time.monotonic() - job.started_at:.0f} s)\nCancel leaves the atlas as it was."
        )

    tick = QTimer()
    tick.setInterval(500)
    tick.timeout.connect(show_stage)
    job.stage.connect(lambda name, i: (dlg.setValue(i), show_stage()))
    job.done.connect(lambda ok, msg: (result.append((ok, msg)), loop.quit()))
    dlg.canceled.connect(job.cancel)
    compute_with_dialog.current = (job, dlg)  # for tests: the running job and its dialog
    job.start()
    tick.start()
    dlg.show()
    if not result:
        loop.exec()
    tick.stop()
    dlg.close()
    compute_with_dialog.current = None
    return result[0]


compute_with_dialog.current = None
