"""Atomic file writes: write beside the target, then rename over it, so a reader (or a crash) never sees a
half-written file. The one helper every writer of the cache (snapshot, layouts, predictions) and of exported
images, views and selections uses. An output path that exists and is not a regular file (a FIFO, a device, a
directory) is refused before anything is written, and again just before the rename."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hubatlas.core.common.regular_files import refuse_atlas_file, refuse_unless_regular


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yields a temporary path beside ``path``; on a clean exit it replaces ``path`` (atomically on one file
    system), on an exception it is removed and ``path`` is left as it was. NotRegularFile (an OSError) when
    ``path`` or the temporary path exists and is not a regular file: it is never replaced nor removed."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    refuse_unless_regular(path)
    refuse_unless_regular(tmp)
    try:
        yield tmp
        refuse_unless_regular(path)  # made meanwhile
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def atomic_output(path: str | os.PathLike) -> Iterator[Path]:
    """:func:`atomic_path` for what a user asks to write (figures, views, tables, reports): it also refuses a
    path that is one of an atlas's own files (AtlasFile, an OSError), so no output replaces a database."""
    refuse_atlas_file(path)
    with atomic_path(path) as tmp:
        yield tmp


def write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_arrow(path: str | os.PathLike, table, max_chunksize: int | None = None) -> None:
    """An Arrow IPC file (memory-mappable by readers)."""
    import pyarrow as pa

    with (
        atomic_path(path) as tmp,
        pa.OSFile(str(tmp), "wb") as sink,
        pa.ipc.new_file(sink, table.schema) as w,
    ):
        w.write_table(table, max_chunksize=max_chunksize)
