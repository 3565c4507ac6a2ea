"""What every command shares: the user-facing error, JSON or text output, the cache and store to use,
rebuilding the snapshot after a change, and the parent parsers of the shared options (``--json``, ``-q``)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from hubatlas.core.common.paths import DB_NAME, demo_source_dir, resolve_cache_dir
from hubatlas.core.common.text import printable

EXIT_USAGE, EXIT_DATA = 2, 1


class CLIError(Exception):
    """A user-facing error: printed as one line, exit status 1."""


def _flag_parser(*args: str, help: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument(*args, action="store_true", help=help)
    return p


# parents=[...] of every command with these options: one definition, one help text
JSON = _flag_parser("--json", help="print the result as JSON")
QUIET = _flag_parser("-q", "--quiet", help="no progress bar")


def print_json(obj: object) -> None:
    sys.stdout.write(json.dumps(obj, indent=1, ensure_ascii=False, default=str) + "\n")


def emit(args: argparse.Namespace, obj: object, text: str | None) -> None:
    """The result as JSON with ``--json``, else as ``text`` (nothing when None)."""
    if args.json:
        print_json(obj)
    elif text is not None:
        print(text)


def progress_flag(args: argparse.Namespace) -> bool | None:
    """The progress-bar setting for library calls: off with ``-q``, else automatic (on a terminal)."""
    return False if args.quiet else None


def cache_for(args: argparse.Namespace, *, write: bool = False) -> Path:
    """The cache to use. Reading from an empty default cache falls back to the bundled demo atlas."""
    cache = resolve_cache_dir(args.cache)
    if not write and not (cache / DB_NAME).exists() and not args.cache:
        from hubatlas.core.demo import ensure_demo

        if demo_source_dir().exists():
            empty = printable(str(cache))
            print(f"hubatlas: the cache at {empty} is empty; using the bundled demo atlas", file=sys.stderr)
            return ensure_demo()
    return cache


def _waiting(holder) -> None:
    print(
        f"hubatlas: {holder.describe()} is writing to this cache; waiting for it to finish (Ctrl+C to stop)",
        file=sys.stderr,
    )


def writer_wait(args: argparse.Namespace) -> dict:
    """How a writing command waits for another process's writer lock: ``--wait SECONDS`` (default: as long
    as it takes), with one message saying who it waits for."""
    return {"wait": getattr(args, "wait", None), "on_wait": _waiting}


def open_store(args: argparse.Namespace, *, write: bool = False, create: bool = True):
    """The cache's store: a reader, or (``write``) its one writer, taking the writer lock. ``create=False``:
    a writer that works on an atlas already there (layout, snapshot) says there is none instead of making an
    empty one."""
    from hubatlas.core.store.database import Store, StoreError

    cache = cache_for(args, write=write)
    try:
        return Store(
            cache, create=write and create, readonly=not write, **(writer_wait(args) if write else {})
        )
    except StoreError as e:
        raise CLIError(str(e)) from None


def snapshot_for(args: argparse.Namespace, store):
    """The snapshot to read (see hubatlas.core.store.current), with its problems as clear errors."""
    from hubatlas.core.store.current import current_snapshot
    from hubatlas.core.store.database import StoreError
    from hubatlas.core.store.snapshot import SnapshotError

    try:
        return current_snapshot(store, **writer_wait(args))
    except (SnapshotError, StoreError) as e:
        raise CLIError(str(e)) from None


def rebuild_snapshot(store, progress, *, if_changed: bool = False) -> dict:
    """Rebuild the snapshot and say so; ``if_changed``: only when the store's data changed since (or the
    snapshot is missing or damaged): a command that changed nothing leaves the snapshot as it is."""
    from hubatlas.core.store.snapshot import SnapshotError, build, is_current, open_snapshot

    if if_changed:
        try:
            snap = open_snapshot(store.dir)
            if is_current(snap, store):
                return snap.manifest
        except (FileNotFoundError, SnapshotError):
            pass
    t = time.perf_counter()
    m = build(store, progress)
    print(
        f"snapshot: {m['nodes']:,} nodes, {m['edges']:,} edges in {time.perf_counter() - t:.1f} s",
        file=sys.stderr,
    )
    return m
