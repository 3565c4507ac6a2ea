"""Opening an atlas for a window: the store (read-only: a window never holds the writer lock) and a laid-out
snapshot, as an AtlasModel, or a Problem that says what is wrong and how to fix it. No Qt: the window asks
its questions through the callbacks it passes."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from hubatlas.core.layout.params import LayoutParams
from hubatlas.core.layout.pipeline import run_layout
from hubatlas.core.store.current import current_snapshot
from hubatlas.core.store.database import Store, StoreError, is_writable
from hubatlas.core.store.snapshot import SnapshotError, open_snapshot
from hubatlas.viewer.layers.atlas_model import AtlasModel


class Problem(Exception):
    """Why an atlas cannot be shown; ``title`` and the message go into a dialog."""

    def __init__(self, title: str, message: str, offer_demo: bool = True):
        super().__init__(message)
        self.title = title
        self.offer_demo = offer_demo  # the window can open the bundled demo atlas instead


FILL_HINT = (
    "To fill this atlas: `hubatlas sync` (every public model from the Hub), `hubatlas import FILE` (Hub "
    "API records or the whole-Hub parquet dump) or `hubatlas synth` (a synthetic hub for scale)."
)


WAIT_S = 30.0  # how long the window waits for another process's writer lock before saying so


def _waiting(holder) -> None:
    print(
        f"hubatlas: {holder.describe()} is writing to this cache; waiting up to {WAIT_S:.0f} s",
        file=sys.stderr,
    )


def prepare(cache: Path, *, ask_layout=None, compute_layout=None) -> AtlasModel:
    """Open the store (read-only: the window never holds the writer lock) and a laid-out snapshot, or raise
    Problem with a user-facing explanation. A missing, stale or damaged snapshot and a missing layout are
    made by a short-lived writer when the cache can be written. ``compute_layout(cache, missing, n)`` makes
    a missing layout (the app: a child process behind a progress dialog with Cancel) and returns (ok,
    message); without it the layout is computed here."""
    try:
        store = Store(cache, readonly=True)
    except StoreError as e:
        raise Problem("Cannot open the atlas", str(e)) from None
    try:
        snap = current_snapshot(store, wait=WAIT_S, on_wait=_waiting)
    except (SnapshotError, StoreError, OSError) as e:
        store.close()
        raise Problem(
            "Cannot read the atlas snapshot", f"{e}\n\nRun `hubatlas snapshot` to rebuild it."
        ) from None
    n = len(snap)
    if n == 0:
        store.close()
        raise Problem(
            "The atlas is empty",
            f"{store.dir} holds no models yet.\n\nFill it with `hubatlas sync`, "
            "`hubatlas import FILE` or `hubatlas synth`, or open the demo.",
        )
    xy = np.stack([snap.column("x"), snap.column("y")], 1)
    placed = np.isfinite(xy).all(1)
    if not placed.all():
        missing = int((~placed).sum())
        if not is_writable(store.dir):
            store.close()
            raise Problem(
                "No layout",
                f"{missing:,} of {n:,} models have no position and this atlas is "
                "read-only. Run `hubatlas layout` on a writable copy.",
            )
        if ask_layout is None or ask_layout(missing, n):
            if compute_layout is not None:
                ok, why = compute_layout(Path(cache), missing, n)
                if not ok and why != "cancelled":
                    store.close()
                    raise Problem("Cannot compute the layout", why)
            else:
                try:
                    with Store(cache, create=False, wait=WAIT_S, on_wait=_waiting) as writer:
                        run_layout(writer, LayoutParams(), progress=False)
                except StoreError as e:
                    store.close()
                    raise Problem("Cannot compute the layout", str(e)) from None
            snap = open_snapshot(store.dir)
            placed = np.isfinite(np.stack([snap.column("x"), snap.column("y")], 1)).all(1)
        if not placed.any():
            store.close()
            raise Problem("No layout", "This atlas has no layout yet. Run `hubatlas layout`.")
    return AtlasModel(snap, store)


def open_demo(*, ask_layout=None, compute_layout=None) -> AtlasModel:
    """The bundled demo atlas (built on first use)."""
    from hubatlas.core.demo import ensure_demo

    return prepare(ensure_demo(), ask_layout=ask_layout, compute_layout=compute_layout)


def is_demo(cache: Path) -> bool:
    from hubatlas.core.common.paths import demo_dir

    return Path(cache).resolve() == demo_dir().resolve()
