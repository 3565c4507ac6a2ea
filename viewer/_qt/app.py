"""Starting the desktop app: open the atlas (or the demo), handle every 'cannot show this' case with a
clear message instead of a crash, and run the Qt event loop."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from hubatlas.core.common.text import printable
from hubatlas.core.layout.params import LayoutParams
from hubatlas.core.layout.pipeline import run_layout
from hubatlas.core.store.current import current_snapshot
from hubatlas.core.store.database import Store, StoreError, is_writable
from hubatlas.core.store.snapshot import SnapshotError, open_snapshot


class Problem(Exception):
    """Why an atlas cannot be shown; ``title`` and the message go into a dialog."""

    def __init__(self, title: str, message: str, offer_demo: bool = True):
        super().__init__(message)
        self.title = title
        self.offer_demo = offer_demo  # the window can open the bundled demo atlas instead


FILL_HINT = ("To fill this atlas: `hubatlas sync` (every public model from the Hub), `hubatlas import FILE` (Hub "
             "API records or the whole-Hub parquet dump) or `hubatlas synth` (a synthetic hub for scale).")


def problem_box(p: Problem, cache: Path):
    """The dialog for a problem: what went wrong, how to fill or repair the atlas, and (where it helps) a
    button that opens the bundled demo atlas instead of quitting. Returns (box, demo button or None)."""
    from PySide6.QtWidgets import QMessageBox

    from hubatlas.core.common.paths import demo_dir

    box = QMessageBox(QMessageBox.Warning, p.title, f"{p}\n\n{FILL_HINT}")
    demo = None
    if p.offer_demo and Path(cache).resolve() != demo_dir().resolve():
        demo = box.addButton("Open the demo atlas", QMessageBox.AcceptRole)
    box.addButton(QMessageBox.Close)
    return box, demo


def icon_path() -> Path:
    from hubatlas.core.common.paths import resource

    return resource("icon.png")


def check_gl() -> str | None:
    """None when an OpenGL context can be made, else the reason."""
    try:
        from vispy import app as vapp

        vapp.use_app("pyside6")
        from vispy import gloo, scene

        c = scene.SceneCanvas(show=False, size=(8, 8))
        try:
            c.render()
            return None if gloo.gl.glGetParameter(gloo.gl.GL_VERSION) else "no GL version"
        finally:
            c.close()
    except Exception as e:  # any backend or driver failure
        return f"{type(e).__name__}: {e}"


WAIT_S = 30.0  # how long the window waits for another process's writer lock before saying so


def _waiting(holder) -> None:
    print(f"hubatlas: {holder.describe()} is writing to this cache; waiting up to {WAIT_S:.0f} s",
          file=sys.stderr)


def prepare(cache: Path, *, ask_layout=None) -> tuple[Store, object]:
    """Open the store (read-only: the window never holds the writer lock) and a laid-out snapshot, or raise
    Problem with a user-facing explanation. A missing, stale or damaged snapshot and a missing layout are
    made by a short-lived writer when the cache can be written."""
    try:
        store = Store(cache, readonly=True)
    except StoreError as e:
        raise Problem("Cannot open the atlas", str(e)) from None
    try:
        snap = current_snapshot(store, wait=WAIT_S, on_wait=_waiting)
    except (SnapshotError, StoreError, OSError) as e:
        store.close()
        raise Problem("Cannot read the atlas snapshot", f"{e}\n\nRun `hubatlas snapshot` to rebuild it.") from None
    n = len(snap)
    if n == 0:
        store.close()
        raise Problem("The atlas is empty", f"{store.dir} holds no models yet.\n\nFill it with `hubatlas sync`, "
                                            "`hubatlas import FILE` or `hubatlas synth`, or open the demo.")
    xy = np.stack([snap.column("x"), snap.column("y")], 1)
    placed = np.isfinite(xy).all(1)
    if not placed.all():
        missing = int((~placed).sum())
        if not is_writable(store.dir):
            store.close()
            raise Problem("No layout", f"{missing:,} of {n:,} models have no position and this atlas is "
                                      "read-only. Run `hubatlas layout` on a writable copy.")
        if ask_layout is None or ask_layout(missing, n):
            try:
                with Store(cache, create=False, wait=WAIT_S, on_wait=_waiting) as writer:
                    run_layout(writer, LayoutParams(), progress=False)
            except StoreError as e:
                store.close()
                raise Problem("Cannot compute the layout", str(e)) from None
            snap = open_snapshot(store.dir)
        elif not placed.any():
            store.close()
            raise Problem("No layout", "This atlas has no layout yet. Run `hubatlas layout`.")
    return store, snap


def make_app():
    """The QApplication with the app's name, version and icon set; returns (app, icon or None)."""
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from hubatlas.core import __version__

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("hubatlas")
    app.setApplicationDisplayName("hubatlas")
    app.setApplicationVersion(__version__)
    app.setOrganizationName("hubatlas")
    app.setDesktopFileName("hubatlas")
    icon = QIcon(str(icon_path())) if icon_path().exists() else None
    if icon is not None:
        app.setWindowIcon(icon)
    return app, icon


def run(cache: Path, *, label: str = "", screenshot: Path | None = None) -> int:
    """Show the window (the event loop runs until it closes). Returns a process exit code."""
    from PySide6.QtWidgets import QMessageBox

    app, icon = make_app()
    why = check_gl()
    if why:
        QMessageBox.critical(None, "No usable OpenGL", f"hubatlas needs OpenGL 2.1 or newer to draw the map.\n\n"
                             f"{why}\n\nUpdate your graphics driver, or use `hubatlas export` with Mesa.")
        return 3

    def ask(missing: int, n: int) -> bool:
        r = QMessageBox.question(None, "Compute the layout?",
                                 f"{missing:,} of {n:,} models have no position on the map yet.\n\n"
                                 "Compute the layout now? (CPU: about a minute per 200,000 models)")
        return r == QMessageBox.Yes

    try:
        store, snap = prepare(cache, ask_layout=ask)
    except Problem as p:
        print(f"hubatlas: {p.title.lower()}: {printable(p, 2000)}", file=sys.stderr)
        if screenshot is not None:  # (a scripted run has nobody to close the dialog)
            return 2
        box, demo = problem_box(p, cache)
        box.exec()
        if demo is None or box.clickedButton() is not demo:
            return 2
        from hubatlas.core.demo import ensure_demo

        try:
            store, snap = prepare(ensure_demo(), ask_layout=ask)
        except Problem as again:
            QMessageBox.warning(None, again.title, str(again))
            return 2
        label = "demo"
    from hubatlas.viewer._qt.window import MainWindow

    w = MainWindow(store, snap, label=label, icon=icon)
    w.show()
    if screenshot is not None:  # used by `view --screenshot` and smoke tests
        from PySide6.QtCore import QTimer

        def shot():
            w.grab().save(str(screenshot))
            w.close()

        QTimer.singleShot(1500, shot)
    return app.exec()
