"""How every command and the window get the snapshot to show: current and intact where possible, without
failing because another process is writing, and rebuilt (by a short-lived writer) when it is stale, missing
or damaged and the cache can be written."""

from __future__ import annotations

import time
from collections.abc import Callable

from hubatlas.core.store.database import Store, is_writable
from hubatlas.core.store.lock import Holder, WriterLock
from hubatlas.core.store.snapshot import (
    Snapshot,
    SnapshotError,
    damaged_files,
    ensure_snapshot,
    open_snapshot,
)

RETRY_S, RETRIES = 0.2, 50


def _state(store: Store) -> tuple[Snapshot | None, str | None]:
    """(the snapshot when it is intact, else None; what is wrong with it, or None when it is current)."""
    try:
        snap = open_snapshot(store.dir)
    except (FileNotFoundError, SnapshotError) as e:
        return None, str(e)
    bad = damaged_files(snap)
    if bad:
        return None, f"the snapshot's {' and '.join(bad)} does not match its checksum (damaged)"
    if snap.manifest.get("data_version") != store.data_version():
        return snap, "the snapshot is older than the atlas"
    return snap, None


def current_snapshot(
    store: Store, *, wait: float | None = None, on_wait: Callable[[Holder], None] | None = None
) -> Snapshot:
    """The snapshot of ``store``'s data, checked against its checksums.

    A writing store rebuilds it when needed. A reading one takes it as it is while another process writes
    (an intact snapshot a little behind that writer is shown; files being replaced are retried), and
    otherwise has it rebuilt by a writer of its own when the cache is writable (waiting for the lock like
    any writer). On a read-only cache a stale or damaged snapshot is a SnapshotError saying so."""
    if not store.readonly:
        return ensure_snapshot(store)
    lock = WriterLock(store.dir)
    for _ in range(RETRIES):
        snap, problem = _state(store)
        if problem is None and snap is not None:
            return snap
        if not lock.busy():
            break
        if snap is not None:
            return snap  # a writer is at work: what it last published
        time.sleep(RETRY_S)  # being replaced right now
    if not is_writable(store.dir):
        raise SnapshotError(
            f"{problem}, and {store.dir} is a read-only cache: run `hubatlas snapshot` on a writable copy"
        )
    with Store(store.dir, create=False, wait=wait, on_wait=on_wait) as writer:
        return ensure_snapshot(writer)
