"""The whole Hub from the window: the first-launch choice between the demo and the newest weekly snapshot, and
`hubatlas get` run in a child process behind a progress dialog (bytes, rate, time left; then importing and
laying out) with Cancel. Cancelling stops the child with an interrupt: what was downloaded stays in the
cache's ``downloads`` folder and the next try resumes from it; an import is one transaction and a layout is
written whole, so the atlas is never left half-made."""

from __future__ import annotations

import os
import re
import signal
import sys
import time
from pathlib import Path

from PySide6.QtCore import QEventLoop, QObject, QProcess, QProcessEnvironment, Qt, QTimer, Signal

GRACE_MS = 5000  # after a cancel, the child's time to stop cleanly before it is killed
STAGE_TEXT = {
    "download": "Downloading",
    "import": "Importing the models",
    "layout": "Laying out the map",
}


def get_command(cache: Path) -> tuple[str, list[str]]:
    args = ["--cache", str(cache), "get"]
    if getattr(sys, "frozen", False):
        return sys.executable, args
    return sys.executable, ["-m", "hubatlas.viewer.cli", *args]


def rate_text(done: int, total: int, seconds: float) -> str:
    """'120 of 1,573 MB · 25.0 MB/s · about 58 s left' (the rate over the whole download so far)."""
    rate = done / seconds if seconds > 0 else 0.0
    left = (total - done) / rate if rate > 0 else None
    eta = (
        ""
        if left is None
        else f" · about {left:,.0f} s left"
        if left < 120
        else f" · about {left / 60:,.0f} min left"
    )
    return f"{done / 1e6:,.0f} of {total / 1e6:,.0f} MB · {rate / 1e6:,.1f} MB/s{eta}"


class GetJob(QObject):
    """One `hubatlas get` child process: ``progress(stage, bytes, total)`` as it goes, ``done(ok, message)``."""

    progress = Signal(str, int, int)
    done = Signal(bool, str)

    def __init__(self, cache: Path, parent=None):
        super().__init__(parent)
        self.cache = Path(cache)
        self.proc = QProcess(self)
        env = QProcessEnvironment.systemEnvironment()
        env.insert("HUBATLAS_PROGRESS_LINES", "1")
        env.remove("HUBATLAS_CACHE")
        self.proc.setProcessEnvironment(env)
        self.proc.readyReadStandardError.connect(self._read)
        self.proc.finished.connect(self._finished)
        self.proc.errorOccurred.connect(self._error)
        self.cancelled = False
        self.stage, self.bytes, self.total = "download", 0, 0
        self._buf, self._tail = "", ""
        self.started_at = 0.0
        self._killer = QTimer(self)
        self._killer.setSingleShot(True)
        self._killer.timeout.connect(self.proc.kill)

    def start(self) -> None:
        program, args = get_command(self.cache)
        self.started_at = time.monotonic()
        self.proc.start(program, args)

    def cancel(self) -> None:
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
        lines = (self._buf + text).split("\n")
        self._buf = lines.pop()
        for ln in lines:
            m = re.match(r"hubatlas-progress: (\w+)(?: (\d+) (\d+))?", ln.strip())
            if not m:
                continue
            if m.group(1) == "bytes":
                self.bytes, self.total = int(m.group(2)), int(m.group(3))
            else:
                self.stage = m.group(1)
            self.progress.emit(self.stage, self.bytes, self.total)

    def _error(self, err) -> None:
        if err == QProcess.FailedToStart:
            self.done.emit(False, f"could not start `hubatlas get`: {self.proc.errorString()}")

    def _finished(self, code: int, status) -> None:
        self._killer.stop()
        if self.cancelled:
            self.done.emit(False, "cancelled")
        elif status == QProcess.NormalExit and code == 0:
            self.done.emit(True, "")
        else:
            lines = [ln.strip() for ln in re.split(r"[\r\n]+", self._tail) if ln.strip()]
            errors = [ln for ln in lines if ln.startswith("hubatlas:") and "progress" not in ln]
            self.done.emit(False, (errors or lines or [f"`hubatlas get` stopped (exit {code})"])[-1][:500])


def get_with_dialog(cache: Path, offer_text: str, parent=None) -> tuple[bool, str]:
    """Run `hubatlas get` into ``cache`` behind a modal progress dialog with Cancel. (ok, message): message is
    "cancelled" when the person cancelled, else what went wrong."""
    from PySide6.QtWidgets import QProgressDialog

    job = GetJob(cache)
    dlg = QProgressDialog(f"Getting {offer_text}…", "Cancel", 0, 1000, parent)
    dlg.setWindowTitle("Getting the whole Hub")
    dlg.setWindowModality(Qt.ApplicationModal)
    dlg.setMinimumDuration(0)
    dlg.setAutoClose(False)
    dlg.setAutoReset(False)
    result: list = []
    loop = QEventLoop()

    def show() -> None:
        secs = time.monotonic() - job.started_at
        if job.stage == "download" and job.total:
            dlg.setValue(int(1000 * job.bytes / job.total))
            what = rate_text(job.bytes, job.total, secs)
        else:
            dlg.setValue(1000 if job.stage != "download" else 0)
            what = f"{secs:.0f} s"
        dlg.setLabelText(
            f"{STAGE_TEXT.get(job.stage, 'Starting')}: {what}\n"
            "Cancel keeps what was downloaded: the next try resumes from it."
        )

    tick = QTimer()
    tick.setInterval(300)
    tick.timeout.connect(show)
    job.done.connect(lambda ok, msg: (result.append((ok, msg)), loop.quit()))
    dlg.canceled.connect(job.cancel)
    get_with_dialog.current = (job, dlg)  # for tests: the running job and its dialog
    job.start()
    tick.start()
    dlg.show()
    if not result:
        loop.exec()
    tick.stop()
    dlg.close()
    get_with_dialog.current = None
    return result[0]


get_with_dialog.current = None  # type: ignore[attr-defined]


def first_launch_choice(demo_models: int, offer, parent=None) -> str:
    """The first-launch dialog: "demo" or "hub" (the whole Hub, when it could be reached)."""
    from PySide6.QtWidgets import QMessageBox

    text = (
        "This atlas cache is empty. Open the bundled demo, or get the whole Hub from its newest weekly "
        "snapshot (hfmlsoc/hub_weekly_snapshots), checked against the size and hash the Hub declares, "
        "imported and laid out here."
        if offer
        else "This atlas cache is empty, and the Hub's weekly snapshot could not be reached (offline?). "
        "Open the bundled demo; `hubatlas get` fetches the whole Hub later."
    )
    box = QMessageBox(QMessageBox.Question, "Welcome to hubatlas", text, parent=parent)
    demo = box.addButton(f"Open the demo ({demo_models:,} models)", QMessageBox.RejectRole)
    hub = box.addButton(f"Get {offer.text()}", QMessageBox.AcceptRole) if offer else None
    box.setDefaultButton(demo)
    first_launch_choice.current = box  # for tests
    box.exec()
    first_launch_choice.current = None
    return "hub" if hub is not None and box.clickedButton() is hub else "demo"


first_launch_choice.current = None  # type: ignore[attr-defined]
