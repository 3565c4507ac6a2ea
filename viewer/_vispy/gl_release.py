"""Giving a closed canvas's OpenGL memory back. Under Qt, closing a canvas destroys its widget and with it the
GL context and every buffer and texture in it. VisPy's headless EGL backend does not: its ``close`` destroys
only the pbuffer surface, never calls ``eglDestroyContext``, and keeps every backend it made in a module list
(``_VP_EGL_ALL_WINDOWS``), so the backend, its canvas, the scene and every array the visuals hold stay alive.
Each hidden canvas an export makes (``render_tiled``: one per image, one per time-lapse frame) then cost
about 25 MB that never came back (issue 38: 20 renders, 201 -> 706 MB). ``release`` undoes both for a canvas
that owns its context; other backends need nothing."""

from __future__ import annotations

import contextlib
import sys


def release(canvas) -> bool:
    """Free what a closed VisPy ``canvas`` still holds under the EGL backend: its entry in the backend's list
    of windows and, where the canvas created it (not a context shared with another canvas), its GL context
    with every buffer and texture in it. Returns True when a context was destroyed."""
    egl_backend = sys.modules.get("vispy.app.backends._egl")
    backend = getattr(canvas, "_backend", None)
    if egl_backend is None or not isinstance(backend, egl_backend.CanvasBackend):
        return False
    windows = egl_backend._VP_EGL_ALL_WINDOWS
    while backend in windows:
        windows.remove(backend)
    context = getattr(backend, "_native_context", None)
    shared = getattr(getattr(canvas, "context", None), "shared", None)
    owner = shared is None or getattr(shared, "ref", None) is backend
    destroyed = False
    if context is not None and owner:
        destroyed = _destroy_context(egl_backend, context)
        backend._native_context = None
    backend._vispy_canvas = None  # the backend no longer keeps the scene alive
    return destroyed


def _destroy_context(egl_backend, context) -> bool:
    """``eglDestroyContext`` (not wrapped by vispy.ext.egl), made non-current first so the driver frees it
    now rather than when another context becomes current."""
    import ctypes

    from vispy.ext import egl

    lib = egl._lib
    display = egl_backend._EGL_DISPLAY
    lib.eglGetCurrentContext.restype = ctypes.c_void_p
    lib.eglDestroyContext.argtypes = (ctypes.c_void_p, ctypes.c_void_p)
    ptr = context.value if isinstance(context, ctypes.c_void_p) else context
    with contextlib.suppress(Exception):
        if lib.eglGetCurrentContext() == ptr:
            egl.eglMakeCurrent(display, egl.EGL_NO_SURFACE, egl.EGL_NO_SURFACE, egl.EGL_NO_CONTEXT)
    return bool(lib.eglDestroyContext(display, ptr))


__all__ = ["release"]
