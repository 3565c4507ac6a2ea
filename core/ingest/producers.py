"""Batches produced beside the SQLite writer, so that parsing and writing use both cores.

`prefetch` runs a producer in a thread (sqlite3 releases the GIL while it steps). `in_process` runs it in a
child process, its own interpreter, for producers that are pure Python work (the parquet dumps, the synthetic
hub): the batches arrive pickled and the writer never waits on the producer's GIL.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

from hubatlas.core.ingest.batch import Batch, ImportFailed


def prefetch(it: Iterator[Batch], depth: int = 2) -> Iterator[Batch]:
    """Produce batches in a worker thread while the caller writes the previous one to SQLite.
    An exception in the producer is re-raised in the caller."""
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def work() -> None:
        try:
            for item in it:
                while not stop.is_set():
                    try:
                        q.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(done)
        except BaseException as e:  # handed to the consumer
            q.put(e)

    t = threading.Thread(target=work, name="hubatlas-import-reader", daemon=True)
    t.start()
    try:
        while True:
            item = q.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        t.join(timeout=5)


def _worker(produce: Callable[..., Iterator[Batch]], args: tuple, what: str, q: Any) -> None:
    try:
        for b in produce(*args):
            q.put(b)
        q.put(None)
    except BaseException as e:  # handed to the parent (ImportFailed keeps its message)
        q.put(e if isinstance(e, ImportFailed) else ImportFailed(f"{what}: {type(e).__name__}: {e}"))


def in_process(
    produce: Callable[..., Iterator[Batch]], args: tuple, what: str, depth: int = 3
) -> Iterator[Batch]:
    """The batches of ``produce(*args)`` (a module-level generator function), made in a child process; its
    error, or its end without one (killed, out of memory), is an ImportFailed that starts with ``what``."""
    import multiprocessing as mp

    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    q = ctx.Queue(maxsize=depth)
    # every start method's context has Process (the stubs give only the base class)
    proc = ctx.Process(target=_worker, args=(produce, args, what, q), daemon=True)  # type: ignore[attr-defined]
    proc.start()
    try:
        while True:
            try:
                item = q.get(timeout=5)
            except Exception:
                if not proc.is_alive():
                    raise ImportFailed(f"{what} stopped (exit {proc.exitcode})") from None
                continue
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        if proc.is_alive():
            proc.terminate()
        proc.join(timeout=5)
