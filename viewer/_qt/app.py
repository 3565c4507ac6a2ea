"""Starting the desktop app: open the atlas (or the demo), handle every 'cannot show this' case with a
clear message instead of a crash, and run the Qt event loop."""

from __future__ import annotations

import sys
from pathlib import Path

from hubatlas.core.common.text import printable
from hubatlas.viewer._qt.opening import problem_box
from hubatlas.viewer.layers.hub_offer import demo_models
from hubatlas.viewer.layers.opening import Problem, open_demo, prepare


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


def make_app():
    """The QApplication with the app's name, version and icon set; returns (app, icon or None)."""
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from hubatlas.core import __version__
    from hubatlas.viewer._qt import memory

    memory.keep_large_blocks_mapped()
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


def whole_hub(cache: Path, demo_models: int) -> bool:
    """The first-launch dialog (the demo or the whole Hub) and, when the Hub is chosen, `hubatlas get` into
    ``cache`` behind its progress dialog. True when ``cache`` now holds the whole Hub, laid out."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication, QMessageBox

    from hubatlas.viewer._qt.hub_get import first_launch_choice, get_with_dialog
    from hubatlas.viewer.layers.hub_offer import fetch_offer

    QApplication.setOverrideCursor(Qt.WaitCursor)
    try:
        offer = fetch_offer()
    finally:
        QApplication.restoreOverrideCursor()
    if first_launch_choice(demo_models, offer) != "hub":
        return False
    ok, msg = get_with_dialog(cache, offer.text())
    if not ok and msg != "cancelled":
        QMessageBox.warning(
            None, "Could not get the whole Hub", f"{printable(msg, 600)}\n\nThe demo opens instead."
        )
    return ok


def run(
    cache: Path,
    *,
    label: str = "",
    screenshot: Path | None = None,
    view: Path | None = None,
    first_launch: Path | None = None,
) -> int:
    """Show the window (the event loop runs until it closes). Returns a process exit code. ``first_launch``:
    the default cache, empty (``cache`` is then the demo): the first dialog offers the whole Hub beside it."""
    from PySide6.QtWidgets import QMessageBox

    app, icon = make_app()
    why = check_gl()
    if why:
        QMessageBox.critical(
            None,
            "No usable OpenGL",
            f"hubatlas needs OpenGL 2.1 or newer to draw the map.\n\n"
            f"{why}\n\nUpdate your graphics driver, or use `hubatlas export` with Mesa.",
        )
        return 3

    def ask(missing: int, n: int) -> bool:
        r = QMessageBox.question(
            None,
            "Compute the layout?",
            f"{missing:,} of {n:,} models have no position on the map yet.\n\n"
            "Compute the layout now? (CPU: about a minute per 200,000 models)",
        )
        return r == QMessageBox.Yes

    from hubatlas.viewer._qt.layout_job import compute_with_dialog

    if first_launch is not None and screenshot is None and whole_hub(first_launch, demo_models(cache)):
        cache, label = first_launch, ""
    try:
        model = prepare(cache, ask_layout=ask, compute_layout=compute_with_dialog)
    except Problem as p:
        print(f"hubatlas: {p.title.lower()}: {printable(p, 2000)}", file=sys.stderr)
        if screenshot is not None:  # (a scripted run has nobody to close the dialog)
            return 2
        if p.title == "The atlas is empty" and whole_hub(cache, demo_models(None)):
            return run(cache, label=label, view=view)
        box, demo = problem_box(p, cache)
        box.exec()
        if demo is None or box.clickedButton() is not demo:
            return 2
        try:
            model = open_demo(ask_layout=ask, compute_layout=compute_with_dialog)
        except Problem as again:
            QMessageBox.warning(None, again.title, str(again))
            return 2
        label = "demo"
    from hubatlas.viewer._qt.window import MainWindow

    w = MainWindow(model, label=label, icon=icon)
    w.show()
    if view is not None:  # `view --view FILE`
        from hubatlas.viewer._qt import view_actions

        view_actions.open_path(w, view)
    if screenshot is not None:  # used by `view --screenshot` and smoke tests
        from PySide6.QtCore import QTimer

        def shot():
            w.grab().save(str(screenshot))
            w.close()

        QTimer.singleShot(1500, shot)
    return app.exec()
