"""One writer at a time across processes: ``atlas.lock`` beside the cache, held with an OS file lock
(``flock`` on POSIX, ``msvcrt.locking`` on Windows) for as long as a writing command runs.

The operating system releases the lock when its holder exits in any way (``kill -9`` included), so a lock
left by a dead process is never in the way: the next writer simply takes it ("stale" recovery needs no
guessing from pids). The file holds the holder's pid, command and start time, for the waiting message.
Readers never take it: SQLite's WAL lets them read while a writer writes.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

LOCK_NAME = "atlas.lock"
POLL_S = 0.2

try:  # POSIX
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
except ImportError:  # Windows
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]  # Windows only
            return True
        except OSError:
            return False

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]  # Windows only


@dataclass
class Holder:
    """Who holds the lock, as its file says (fields may be missing when it was just being written)."""

    pid: int | None = None
    command: str = "hubatlas"
    since: str = ""

    def describe(self) -> str:
        who = f"`{self.command}`" + (
            f" (pid {self.pid}" + (f", since {self.since}" if self.since else "") + ")" if self.pid else ""
        )
        return f"another hubatlas process, {who},"


class CacheBusy(RuntimeError):
    """Another process holds the writer lock and the wait ran out."""


def _command() -> str:
    argv = [a for a in sys.argv[1:] if not a.startswith("-")][:2]
    return " ".join(["hubatlas", *argv])[:80]


class WriterLock:
    """The cache's writer lock. ``acquire`` waits (calling ``on_wait(holder)`` once) up to ``wait`` seconds
    (None: until the holder finishes) and raises CacheBusy when the time runs out."""

    def __init__(self, cache_dir: str | os.PathLike):
        self.path = Path(cache_dir) / LOCK_NAME
        self.fd: int | None = None

    def holder(self) -> Holder:
        try:
            d = json.loads(self.path.read_text(encoding="utf-8") or "{}")
            return Holder(
                int(d["pid"]) if isinstance(d.get("pid"), int) else None,
                str(d.get("command", "hubatlas"))[:80],
                str(d.get("since", ""))[:40],
            )
        except (OSError, ValueError):
            return Holder()

    def busy(self) -> bool:
        """Whether another process holds the lock now (for readers deciding whether changes are in flight)."""
        if self.fd is not None:
            return False
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError:  # no lock file: nobody has written here
            return False
        try:
            if _try_lock(fd):
                _unlock(fd)
                return False
            return True
        finally:
            os.close(fd)

    def acquire(self, wait: float | None = None, on_wait: Callable[[Holder], None] | None = None) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = None if wait is None else time.monotonic() + max(wait, 0.0)
        told = False
        try:
            while not _try_lock(fd):
                if deadline is not None and time.monotonic() >= deadline:
                    raise CacheBusy(
                        f"{self.holder().describe()} is writing to {self.path.parent}; try again "
                        "when it has finished (or pass a longer --wait)"
                    )
                if not told and on_wait is not None:
                    on_wait(self.holder())
                    told = True
                time.sleep(POLL_S)
        except BaseException:
            os.close(fd)
            raise
        self.fd = fd
        info = json.dumps(
            {"pid": os.getpid(), "command": _command(), "since": time.strftime("%Y-%m-%d %H:%M:%S")}
        ).encode()
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, info)

    def release(self) -> None:
        if self.fd is None:
            return
        try:
            os.ftruncate(self.fd, 0)
            _unlock(self.fd)
        finally:
            os.close(self.fd)
            self.fd = None
