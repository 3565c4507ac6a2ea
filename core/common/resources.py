"""What ran out, when a write or an allocation fails: the disk, a file-size limit or memory, told apart from a
damaged file, so the message says what to do (free space, raise the limit, close programs) instead of
"rebuild the cache" for an atlas that is intact."""

from __future__ import annotations

import errno
import sqlite3

DISK_FULL = "the disk is full"
FILE_LIMIT = "a file-size limit was reached (`ulimit -f`)"
OUT_OF_MEMORY = "the machine ran out of memory (or a memory limit, `ulimit -v`, was reached)"


def what_ran_out(exc: BaseException) -> str | None:
    """DISK_FULL, FILE_LIMIT or OUT_OF_MEMORY for an error caused by one of them, else None."""
    if isinstance(exc, MemoryError):
        return OUT_OF_MEMORY
    if isinstance(exc, OSError):
        if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
            return DISK_FULL
        if exc.errno == errno.EFBIG:
            return FILE_LIMIT
        if exc.errno == errno.ENOMEM:
            return OUT_OF_MEMORY
        return None
    if isinstance(exc, sqlite3.Error):
        text = str(exc).lower()
        if "disk is full" in text or "disk full" in text:
            return DISK_FULL
        if "out of memory" in text:
            return OUT_OF_MEMORY
    return None


__all__ = ["DISK_FULL", "FILE_LIMIT", "OUT_OF_MEMORY", "what_ran_out"]
