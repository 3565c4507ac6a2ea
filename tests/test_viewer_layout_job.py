"""A missing layout is computed in the background (a real `hubatlas layout` child process) behind a progress
dialog that follows its stages and cancels it, leaving the atlas as it was."""

from __future__ import annotations

import numpy as np
import pytest

from hubatlas.core.ingest.synth import SynthParams
from hubatlas.core.ingest.synth_store import write_synthetic
from hubatlas.core.store.database import Store
from hubatlas.core.store.snapshot import build, open_snapshot

pytest.importorskip("pytestqt")
pytestmark = [pytest.mark.gl, pytest.mark.usefixtures("isolated_settings")]


def _unlaid(cache, n=3000):
    with Store(cache) as s:
        write_synthetic(s, SynthParams(models=n, seed=1))
        build(s)
    snap = open_snapshot(cache)
    assert not np.isfinite(snap.column("x")).any()
    return len(snap)


def _kept(cache):
    """What must not change: the snapshot's files, and the database's models and edges (SQLite's side files,
    the lock file and the writer's size/mtime note may differ after an interrupted writer)."""
    from helpers import file_digest

    digest = {k: v for k, v in file_digest(cache).items() if not k.startswith("atlas.")}
    with Store(cache, readonly=True) as s:
        rows = s.conn.execute("SELECT count(*), total(downloads) FROM models").fetchone()
        edges = s.conn.execute("SELECT count(*) FROM edges").fetchone()[0]
    return digest, tuple(rows), edges


def _when_running(qtbot, act):
    """Call ``act(job, dialog)`` once the dialog's job has reported a stage."""
    from PySide6.QtCore import QTimer

    from hubatlas.viewer._qt.layout_job import compute_with_dialog

    seen = []

    def poll():
        cur = compute_with_dialog.current
        if cur is not None and cur[0].current and not seen:
            seen.append((cur[0].current, cur[1].labelText()))
            act(*cur)
        elif not seen:
            QTimer.singleShot(50, poll)

    QTimer.singleShot(50, poll)
    return seen


def test_cancel_stops_the_child_and_leaves_the_atlas_as_it_was(tmp_path, qtbot):
    from hubatlas.viewer._qt.layout_job import compute_with_dialog

    cache = tmp_path / "c"
    n = _unlaid(cache)
    before = _kept(cache)
    from PySide6.QtWidgets import QPushButton

    # the person clicks the dialog's Cancel button
    seen = _when_running(qtbot, lambda job, dlg: dlg.findChild(QPushButton).click())
    ok, msg = compute_with_dialog(cache, n, n)
    assert (ok, msg) == (False, "cancelled")
    assert seen and seen[0][0] in ("features", "knn", "optimise", "placement")
    assert f"Computing the layout of {n:,} models" in seen[0][1]
    assert not np.isfinite(open_snapshot(cache).column("x")).any()  # nothing half-written
    assert not (cache / "layouts").exists() or not list((cache / "layouts").glob("*.arrow"))
    assert _kept(cache) == before  # the snapshot and the database's content are as they were
    with Store(cache, create=False, wait=5) as s:  # the lock was released: a writer gets it at once
        assert s.conn.execute("SELECT count(*) FROM models").fetchone()[0] > 0


def test_the_window_opens_on_the_layout_computed_in_the_background(tmp_path, qtbot):
    from hubatlas.viewer._qt.layout_job import compute_with_dialog
    from hubatlas.viewer.layers.opening import prepare

    cache = tmp_path / "c"
    n = _unlaid(cache)
    stages = []
    _when_running(
        qtbot, lambda job, dlg: job.stage.connect(lambda name, i: stages.append((name, dlg.value())))
    )
    asked = []
    model = prepare(
        cache,
        ask_layout=lambda missing, total: asked.append((missing, total)) or True,
        compute_layout=compute_with_dialog,
    )
    try:
        assert asked == [(n, n)]
        assert np.isfinite(np.stack([model.snap.column("x"), model.snap.column("y")], 1)).all()
        assert model.snap.manifest["layout"]["backend"] == "cpu"
        # the dialog followed the child's stages in order
        names = [s for s, _ in stages]
        assert names and names == sorted(names, key=["features", "knn", "optimise", "placement"].index)
        assert [v for _, v in stages] == sorted(v for _, v in stages)
    finally:
        model.close()


def test_a_failing_layout_is_reported_not_swallowed(tmp_path, qtbot):
    from hubatlas.viewer._qt.layout_job import compute_with_dialog

    bad = tmp_path / "a-file"
    bad.write_text("not an atlas")
    ok, msg = compute_with_dialog(bad, 1, 1)
    assert not ok and msg.startswith("hubatlas:") and "a-file" in msg
