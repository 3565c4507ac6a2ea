"""Giving memory back to the system during long sessions. The window works on arrays of a million elements
and more (masks, colour tables, export tiles); glibc's allocator raises its threshold for serving large blocks
from the heap once such blocks are freed, and a heap it cannot shrink keeps them: a session's memory then grows
with every export and filter though nothing is leaked. Large blocks are kept mapped on their own (returned to
the system when freed), and the heap is trimmed once the map settles. Elsewhere than glibc, nothing happens."""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
import time

M_MMAP_THRESHOLD = -3  # mallopt's parameter number (malloc.h)
MMAP_THRESHOLD = 1 << 20  # blocks of a megabyte or more are mapped on their own
TRIM_EVERY_S = 5.0

_libc = None
_last_trim = 0.0


def _glibc():
    global _libc
    if _libc is None and sys.platform.startswith("linux"):
        try:
            lib = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            _libc = lib if hasattr(lib, "malloc_trim") and hasattr(lib, "mallopt") else False
        except OSError:
            _libc = False
    return _libc or None


def keep_large_blocks_mapped() -> bool:
    """At start-up: large blocks always come from their own mapping (setting the threshold also stops glibc
    from raising it). True where it took effect."""
    lib = _glibc()
    return bool(lib and lib.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))


def release(force: bool = False) -> bool:
    """Return the heap's free memory to the system (at most every TRIM_EVERY_S unless ``force``)."""
    global _last_trim
    lib = _glibc()
    now = time.monotonic()
    if lib is None or (not force and now - _last_trim < TRIM_EVERY_S):
        return False
    _last_trim = now
    lib.malloc_trim(0)
    return True
