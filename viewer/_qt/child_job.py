"""A hubatlas command run in a child process behind a modal progress dialog with Cancel: what the window's
long work (laying out a map, getting the whole Hub) shares. The GUI thread only reads the child's progress
lines; cancelling interrupts the child (it stops cleanly) and kills it after a grace period; the last error
line the child printed becomes the message."""

from __future__ import annotations

import os
import re
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEventLoop, QObject, QProcess, QProcessEnvironment, Qt, QTimer, Signal


def hubatlas_command(args: list[str]) -> tuple[str, list[str]]:
    """The program and arguments that run ``hubatlas ARGS``: the app bundle runs its own executable, an
    installed package its Python with the console entry point's module."""
    if getattr(sys, "frozen", False):
        return sys.executable, args
    return sys.executable, ["-m", "hubatlas.viewer.cli", *args]


class ChildJob(QObject):
    """One hubatlas child process (``NAME``: its command). Subclasses say how it is started (``command``) and
    read its output (``on_text``); ``done(ok, message)`` when it ends ("cancelled" when cancelled)."""

    done = Signal(bool, str)
    NAME = "command"
    GRACE_MS = 3000  # after a cancel, the child's time to stop cleanly before it is killed

    def __init__(self, cache: Path, env: dict[str, str], parent=None):
        super().__init__(parent)
        self.cache = Path(cache)
        self.proc = QProcess(self)
        e = QProcessEnvironment.systemEnvironment()
        for k, v in env.items():
            e.insert(k, v)
        e.remove("HUBATLAS_CACHE")
        self.proc.setProcessEnvironment(e)
        self.proc.readyReadStandardError.connect(self._read)
        self.proc.finished.connect(self._finished)
        self.proc.errorOccurred.connect(self._error)
        self.cancelled = False
        self._tail = ""
        self.started_at = 0.0
        self._killer = QTimer(self)
        self._killer.setSingleShot(True)
        self._killer.timeout.connect(self.proc.kill)

    def command(self) -> tuple[str, list[str]]:
        raise NotImplementedError

    def on_text(self, text: str) -> None:
        """What the child printed since the last call (its standard error)."""

    def is_error_line(self, line: str) -> bool:
        return line.startswith("hubatlas:")

    def start(self) -> None:
        program, args = self.command()
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
            self._killer.start(self.GRACE_MS)
        else:
            self.proc.kill()

    def _read(self) -> None:
        text = bytes(self.proc.readAllStandardError()).decode("utf-8", "replace")
        self._tail = (self._tail + text)[-4000:]
        self.on_text(text)

    def _error(self, err) -> None:
        if err == QProcess.FailedToStart:
            self.done.emit(False, f"could not start `hubatlas {self.NAME}`: {self.proc.errorString()}")

    def _finished(self, code: int, status) -> None:
        self._killer.stop()
        if self.cancelled:
            self.done.emit(False, "cancelled")
        elif status == QProcess.NormalExit and code == 0:
            self.done.emit(True, "")
        else:
            lines = [ln.strip() for ln in re.split(r"[\r\n]+", self._tail) if ln.strip()]
            errors = [ln for ln in lines if self.is_error_line(ln)]
            self.done.emit(
                False, (errors or lines or [f"`hubatlas {self.NAME}` stopped (exit {code})"])[-1][:500]
            )


def run_with_dialog(job: ChildJob, dlg, show: Callable[[], None], tick_ms: int) -> tuple[bool, str]:
    """Run ``job`` behind the progress dialog ``dlg`` (made modal here, Cancel cancels the job), calling
    ``show`` every ``tick_ms`` to update its text; returns the job's (ok, message)."""
    dlg.setWindowModality(Qt.ApplicationModal)
    dlg.setMinimumDuration(0)
    dlg.setAutoClose(False)
    dlg.setAutoReset(False)
    result: list = []
    loop = QEventLoop()
    tick = QTimer()
    tick.setInterval(tick_ms)
    tick.timeout.connect(show)
    job.done.connect(lambda ok, msg: (result.append((ok, msg)), loop.quit()))
    dlg.canceled.connect(job.cancel)
    job.start()
    tick.start()
    dlg.show()
    if not result:
        loop.exec()
    tick.stop()
    dlg.close()
    return result[0]
