"""Is there a display for a window, and which OpenGL to use without one (no Qt imported here: Qt aborts the
process when it looks for a display that is not there, so this is asked first)."""

from __future__ import annotations

import contextlib
import os
import sys

NO_DISPLAY = (
    "no display: start an X server (e.g. `xvfb-run hubatlas {command}`) or run it on a desktop; "
    "`hubatlas export` renders without one"
)


def display_available() -> bool:
    """False on Linux when Qt would look for an X11/Wayland display that is not there (Qt would abort)."""
    if not sys.platform.startswith("linux"):
        return True
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if platform and not platform.startswith(("xcb", "wayland")):
        return True  # offscreen, eglfs, ...: the user chose a platform that needs no display
    return has_screen()


def has_screen() -> bool:
    return not sys.platform.startswith("linux") or bool(
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    )


def use_headless_gl() -> str:
    """Choose VisPy's backend for offscreen rendering: its default where there is a screen; with none (Linux),
    EGL without any window system (Mesa's surfaceless platform, or a GPU driver's EGL). Returns the backend's
    name; RuntimeError with what to install when there is no usable OpenGL."""
    import vispy

    if has_screen():
        with contextlib.suppress(Exception):
            vispy.use(app=None)
        return "default"
    os.environ.setdefault("EGL_PLATFORM", "surfaceless")
    try:
        vispy.use(app="egl")
        from vispy import app

        app.use_app("egl")
    except Exception as e:
        raise RuntimeError(
            f"no display and no usable EGL for headless rendering ({type(e).__name__}: "
            f"{str(e).strip().splitlines()[-1] if str(e).strip() else ''}); install Mesa's EGL "
            "(Debian/Ubuntu: libegl1 libgl1-mesa-dri) or run under `xvfb-run`"
        ) from None
    return "egl"
