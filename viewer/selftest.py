"""`hubatlas --self-test`: prove an installation (above all the frozen app bundle) works end to end.

Opens the bundled demo atlas in the real main window, renders a frame offscreen, exports a screenshot to a
temporary file through the export path and checks its pixels. Every step prints one line; the first failure
ends the test with its reason and a non-zero exit code. Nothing in the user's cache or settings is touched.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from hubatlas.viewer.display import display_available

EXIT_FAILED = 1


class SelfTestFailure(Exception):
    """A step that did not work; the message says what and why."""


def _check(ok: bool, why: str) -> None:
    if not ok:
        raise SelfTestFailure(why)


def check_resources() -> dict:
    """The files the app needs at run time: demo atlas, icon, modality taxonomy, VisPy's shaders."""
    from hubatlas.core.common.paths import DB_NAME, demo_dir
    from hubatlas.core.common.taxonomy import modalities
    from hubatlas.viewer._qt.app import icon_path

    demo = demo_dir()
    _check((demo / DB_NAME).is_file(), f"the demo atlas is missing: no {demo / DB_NAME}")
    _check((demo / "snapshot").is_dir(), f"the demo atlas snapshot is missing: no {demo / 'snapshot'}")
    _check(icon_path().is_file(), f"the app icon is missing: no {icon_path()}")
    _check(len(modalities()) >= 7, "the modality taxonomy has fewer than 7 modalities")
    import vispy.glsl

    glsl = Path(vispy.glsl.__file__).parent
    _check(any(glsl.rglob("*.glsl")), f"VisPy's GLSL shader files are missing under {glsl}")
    return {"demo": str(demo)}


def image_checks(img: np.ndarray, size: tuple[int, int], background, palette: list) -> dict:
    """Pixels of an exported screenshot: the right size, points drawn (not blank, not flooded), and at
    least three of the legend's colours present."""
    w, h = size
    _check(img.shape[:2] == (h, w), f"screenshot is {img.shape[1]}×{img.shape[0]}, expected {w}×{h}")
    rgb = img[..., :3].astype(np.int16)
    bg = np.array([round(c * 255) for c in background[:3]], np.int16)
    drawn = np.abs(rgb - bg).max(-1) > 24
    frac = float(drawn.mean())
    _check(
        0.002 < frac < 0.9, f"screenshot has {frac:.2%} non-background pixels: nothing (or everything) drawn"
    )
    px = rgb[drawn]
    seen = [c for c in palette if (np.abs(px - np.array(c, np.int16)).max(-1) < 40).any()]
    _check(len(seen) >= 3, f"only {len(seen)} legend colours found in the screenshot (expected ≥ 3)")
    return {"drawn_fraction": round(frac, 4), "legend_colours_seen": len(seen)}


def run_self_test(out=sys.stdout) -> int:
    """Run every step; 0 when all pass, else 1 with the reason printed."""
    t0 = time.perf_counter()

    def say(msg: str) -> None:
        print(f"self-test: {msg}", file=out, flush=True)

    try:
        with tempfile.TemporaryDirectory(prefix="hubatlas-selftest-") as tmp:
            _steps(Path(tmp), say)
    except SelfTestFailure as e:
        say(f"FAILED: {e}")
        return EXIT_FAILED
    except Exception as e:  # an unexpected crash is a failure with its reason, never a traceback-only exit
        say(f"FAILED: {type(e).__name__}: {e}")
        return EXIT_FAILED
    say(f"passed in {time.perf_counter() - t0:.1f} s")
    return 0


def _steps(tmp: Path, say) -> None:
    import platform

    from hubatlas.core import __version__

    say(
        f"hubatlas {__version__}, Python {platform.python_version()}, "
        f"{'frozen app' if getattr(sys, 'frozen', False) else 'installed package'} on {platform.platform()}"
    )
    _check(
        display_available(),
        "no display: start an X server (e.g. `xvfb-run hubatlas --self-test`) or set "
        "QT_QPA_PLATFORM to a platform with OpenGL",
    )
    from hubatlas.core.common.paths import DB_NAME, demo_dir

    if not (demo_dir() / DB_NAME).is_file():  # an installed package builds its demo once, on first use
        from hubatlas.core.demo import ensure_demo

        say(f"building the demo atlas into {demo_dir()} (first run of this installation)")
        ensure_demo()
    info = check_resources()
    say(f"resources present (demo atlas {info['demo']})")

    from PySide6.QtCore import QSettings

    QSettings.setDefaultFormat(QSettings.IniFormat)  # never read or write the user's own settings
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(tmp / "settings"))

    from hubatlas.viewer._qt.app import check_gl, make_app
    from hubatlas.viewer.layers.opening import Problem, prepare

    app, icon = make_app()
    _check(
        bindings_keep_none(),
        "the installed PySide6 loses a reference to None on every call (PySide6 6.12.0 "
        "on Python 3.11): the window would crash within minutes. Install another PySide6 "
        "(`pip install 'PySide6-Essentials!=6.12.0'`)",
    )
    why = check_gl()
    _check(why is None, f"no usable OpenGL: {why}")
    from vispy.gloo import gl

    say(f"OpenGL {gl.glGetParameter(gl.GL_VERSION)} ({gl.glGetParameter(gl.GL_RENDERER)})")
    try:
        model = prepare(demo_dir())
    except Problem as p:
        raise SelfTestFailure(f"{p.title}: {p}") from None
    say(f"demo atlas opened: {model.n:,} models, {model.manifest.get('edges', 0):,} edges")
    _window_steps(tmp, say, app, icon, model)
    from hubatlas.core.layout.gpu import cuml_status

    ok, gpu = cuml_status()
    say(f"GPU layout: {'available: ' if ok else 'optional, not enabled: '}{gpu}")


def bindings_keep_none(calls: int = 1000) -> bool:
    """Whether calling Qt's void methods leaves None's reference count alone. PySide6 6.12.0 drops one
    reference per call on Python 3.11 (where None is not immortal), and the app aborts once it reaches zero."""
    from PySide6.QtWidgets import QLabel

    label = QLabel()
    before = sys.getrefcount(None)
    for _ in range(calls):
        label.setText("x")
    return sys.getrefcount(None) >= before - calls // 4


def _window_steps(tmp: Path, say, app, icon, model) -> None:
    """The window on the demo: title, icon, About box, an offscreen frame and an exported screenshot."""
    from hubatlas.core import __version__
    from hubatlas.viewer._qt.window import MainWindow

    w = MainWindow(model, label="demo", icon=icon)
    try:
        w.show()
        for _ in range(20):
            app.processEvents()
        from PySide6.QtWidgets import QApplication

        shown = f"{w.windowTitle()} — {QApplication.applicationDisplayName()}"  # as Qt composes it
        _check(
            shown.count("hubatlas") == 1 and "demo" in w.windowTitle(), f"unexpected window title {shown!r}"
        )
        _check(icon is not None and not w.windowIcon().isNull(), "the window has no icon")
        _check(f"hubatlas {__version__}" in w.about_text(), "the About box lacks the version")
        say(f"window: {shown!r}, icon set, About box ok")
        w.state.color_by("pipeline_tag")  # the demo's richest categorical mode
        size = (640, 400)
        frame = w.atlas.render(size)
        palette = [e.color for e in w.atlas.colors.legend]
        stats = image_checks(frame, size, w.atlas.theme.background, palette)
        say(
            f"offscreen frame {size[0]}×{size[1]}: {stats['drawn_fraction']:.1%} drawn, "
            f"{stats['legend_colours_seen']} legend colours"
        )

        from PIL import Image

        from hubatlas.viewer._vispy.export import ExportOptions, export_image

        shot = tmp / "screenshot.png"
        export_image(w.atlas, shot, ExportOptions(width=800, height=500, legend=False, attribution=False))
        img = np.asarray(Image.open(shot).convert("RGBA"))
        stats = image_checks(img, (800, 500), w.atlas.theme.background, palette)
        say(
            f"screenshot exported and read back ({shot.stat().st_size:,} bytes, {stats['drawn_fraction']:.1%} "
            "drawn)"
        )
    finally:
        w.close()
        w.atlas.close()
        w.deleteLater()
        app.processEvents()
        model.close()
