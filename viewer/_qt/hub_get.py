"""The whole Hub from the window: the first-launch choice between the demo and the newest weekly snapshot, and
`hubatlas get` run in a child process behind a progress dialog (bytes, rate, time left; then importing and
laying out) with Cancel. Cancelling stops the child with an interrupt: what was downloaded stays in the
cache's ``downloads`` folder and the next try resumes from it; an import is one transaction and a layout is
written whole, so the atlas is never left half-made."""

from __future__ import annotations

import re
import time
from pathlib import Path

from PySide6.QtCore import Signal

from hubatlas.viewer._qt.child_job import ChildJob, hubatlas_command, run_with_dialog

STAGE_TEXT = {
    "download": "Downloading",
    "import": "Importing the models",
    "layout": "Laying out the map",
}


def get_command(cache: Path) -> tuple[str, list[str]]:
    return hubatlas_command(["--cache", str(cache), "get"])


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


class GetJob(ChildJob):
    """One `hubatlas get` child process: ``progress(stage, bytes, total)`` as it goes, ``done(ok, message)``."""

    progress = Signal(str, int, int)
    NAME = "get"
    GRACE_MS = 5000  # a download being written out may need a moment to stop cleanly

    def __init__(self, cache: Path, parent=None):
        super().__init__(cache, {"HUBATLAS_PROGRESS_LINES": "1"}, parent)
        self.stage, self.bytes, self.total = "download", 0, 0
        self._buf = ""

    def command(self) -> tuple[str, list[str]]:
        return get_command(self.cache)

    def on_text(self, text: str) -> None:
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

    def is_error_line(self, line: str) -> bool:
        return line.startswith("hubatlas:") and "progress" not in line


def get_with_dialog(cache: Path, offer_text: str, parent=None) -> tuple[bool, str]:
    """Run `hubatlas get` into ``cache`` behind a modal progress dialog with Cancel. (ok, message): message is
    "cancelled" when the person cancelled, else what went wrong."""
    from PySide6.QtWidgets import QProgressDialog

    job = GetJob(cache)
    dlg = QProgressDialog(f"Getting {offer_text}…", "Cancel", 0, 1000, parent)
    dlg.setWindowTitle("Getting the whole Hub")

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

    get_with_dialog.current = (job, dlg)  # for tests: the running job and its dialog
    try:
        return run_with_dialog(job, dlg, show, 300)
    finally:
        get_with_dialog.current = None


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
