"""Only regular files are read or written over: the one check every writer of an output path (through
:func:`hubatlas.core.common.atomic.atomic_path`) and every reader of a small untrusted file (a saved view) make.

A FIFO, a device, a socket or a directory at an output path is refused, never replaced: the atomic rename would
put a regular file in its place (as root, over ``/dev/full``). A file to read is opened without blocking
(``O_NONBLOCK``: a FIFO with no writer does not hang), refused unless it is a regular file, and read to at most
its cap plus one byte, so ``/dev/zero`` or a file that grows while it is read cannot exhaust memory.
"""

from __future__ import annotations

import errno
import os
import stat

KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class NotRegularFile(OSError):
    """A path that exists and is not a regular file; ``str()`` is the whole message, naming the path."""

    def __init__(self, path: str | os.PathLike, kind: str, doing: str):
        super().__init__(errno.EINVAL, f"is {kind}, not a regular file", os.fspath(path))
        self.message = f"{os.fspath(path)}: is {kind}, not a regular file; {doing}"

    def __str__(self) -> str:
        return self.message


class FileTooLarge(ValueError):
    """A file over the reader's cap (the message names the file and the cap)."""


def kind_of(mode: int) -> str:
    """What a file of this ``st_mode`` is, in words ("a regular file", "a FIFO (named pipe)", ...)."""
    fallback = "a regular file" if stat.S_ISREG(mode) else "a special file"
    return next((name for test, name in KINDS if test(mode)), fallback)


def refuse_unless_regular(path: str | os.PathLike) -> None:
    """NotRegularFile when ``path`` exists (following links) and is not a regular file: an output path that
    may be written over. Absent, or a regular file: nothing to say."""
    try:
        mode = os.stat(path).st_mode
    except OSError:  # absent, or its folder cannot be read: the write itself says what is wrong
        return
    if not stat.S_ISREG(mode):
        raise NotRegularFile(path, kind_of(mode), "refusing to write over it (give a new or regular file)")


class AtlasFile(OSError):
    """An output path that is one of an atlas's own files; ``str()`` is the whole message, naming both."""

    def __str__(self) -> str:
        return str(self.args[0])


def refuse_atlas_file(path: str | os.PathLike) -> None:
    """AtlasFile when writing an output (a figure, a view, a table, a report) at ``path`` would replace a part
    of an atlas: its database, its lock, its snapshot, layouts, analyses or downloads."""
    from hubatlas.core.common.paths import atlas_owning
    from hubatlas.core.common.text import printable

    cache = atlas_owning(path)
    if cache is not None:
        raise AtlasFile(
            f"{printable(os.fspath(path))}: is a file of the atlas in {printable(os.fspath(cache))}; "
            "refusing to write over it (give a path outside the atlas's own files)"
        )


def read_capped(path: str | os.PathLike, cap: int, what: str = "file") -> bytes:
    """The bytes of the regular file ``path``, of at most ``cap`` bytes: NotRegularFile for anything else
    (without blocking on a FIFO), FileTooLarge past the cap (at most ``cap + 1`` bytes are ever read)."""
    flags = (
        os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    )
    fd = os.open(path, flags)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFile(path, kind_of(mode), f"a {what} is read from a regular file")
        chunks, got = [], 0
        while got <= cap:
            chunk = os.read(fd, min(1 << 20, cap + 1 - got))
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
    finally:
        os.close(fd)
    if got > cap:
        raise FileTooLarge(f"{os.fspath(path)}: a {what} is at most {cap:,} bytes; this one is larger")
    return b"".join(chunks)


__all__ = ["FileTooLarge", "NotRegularFile", "kind_of", "read_capped", "refuse_unless_regular"]
