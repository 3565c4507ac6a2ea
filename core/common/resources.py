"""What ran out, when a write or an allocation fails: the disk, a file-size limit or memory, told apart from a
damaged file, so the message says what to do (free space, raise the limit, close programs) instead of
"rebuild the cache" for an atlas that is intact."""

from __future__ import annotations

import errno
import sqlite3

DISK_FULL = "the disk is full"
FILE_LIMIT = "a file-size limit was reached (`ulimit -f`)"
OUT_OF_MEMORY = "the machine ran out of memory (or a memory limit, `ulimit -v`, was reached)"
READ_ERROR = "the disk could not be read (an I/O error)"
BUSY = "another program held the database"
INTERRUPTED = "the check was interrupted"

# SQLite's primary result codes that say a step could not run, not that the file is wrong: what they mean
SQLITE_NOT_RUN = {
    5: BUSY,  # SQLITE_BUSY
    6: BUSY,  # SQLITE_LOCKED
    7: OUT_OF_MEMORY,  # SQLITE_NOMEM
    9: INTERRUPTED,  # SQLITE_INTERRUPT
    10: READ_ERROR,  # SQLITE_IOERR
    13: DISK_FULL,  # SQLITE_FULL
    14: READ_ERROR,  # SQLITE_CANTOPEN
}


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


def sqlite_not_run(code: int | None) -> str | None:
    """What an SQLite result code (extended codes too: ``266`` is an I/O read error) says ran out or failed
    when it means a step could not run, else None (a real verdict, such as SQLITE_CORRUPT)."""
    return None if code is None else SQLITE_NOT_RUN.get(int(code) & 0xFF)


__all__ = [
    "BUSY",
    "DISK_FULL",
    "FILE_LIMIT",
    "INTERRUPTED",
    "OUT_OF_MEMORY",
    "READ_ERROR",
    "SQLITE_NOT_RUN",
    "sqlite_not_run",
    "what_ran_out",
]
