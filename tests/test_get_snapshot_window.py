"""The whole Hub in the window, against the dataset server on 127.0.0.1 (tests/dataset_server.py): the offer's
figures read from the Hub (size declared, rows from the parquet footer by range requests), the first-launch
choice, `hubatlas get` run behind a progress dialog with Cancel (a real child process), and "New since <date>"
after a refresh."""

from __future__ import annotations

import json

import pytest
from dataset_server import DatasetServer
from helpers import run_cli, run_here
from snapshot_files import REPO_ID, real_records, write
from sync_helpers import TOKEN

from hubatlas.core.store.database import Store

pytest.importorskip("pytestqt")
pytestmark = [pytest.mark.usefixtures("isolated_settings")]

NEW = "models/2026-09-30/models.parquet"
OLD = "models/2025-06-01/models.parquet"  # after its records were made (2025-01 to 2025-04)


@pytest.fixture
def ds(tmp_path, monkeypatch):
    recs = real_records()
    files = {
        NEW: write(recs, tmp_path / "new.parquet").read_bytes(),
        OLD: write(recs[:30], tmp_path / "old.parquet", layout="2024").read_bytes(),
    }
    srv = DatasetServer(REPO_ID, files).start()
    for k, v in {
        "HF_ENDPOINT": srv.url,
        "HF_TOKEN": TOKEN,
        "HF_HOME": str(tmp_path / "hfhome"),
        "HUBATLAS_BACKOFF_BASE": "0.01",
        "HF_HUB_OFFLINE": "0",
    }.items():
        monkeypatch.setenv(k, v)
    yield srv
    srv.stop()


def test_the_offer_says_how_many_models_and_megabytes(ds):
    from hubatlas.viewer.layers.hub_offer import fetch_offer

    o = fetch_offer()
    assert (o.path, o.size, o.rows) == (NEW, len(ds.files[NEW]), len(real_records()))
    assert o.text() == f"the whole Hub (about {o.rows:,} models, {o.size / 1e6:,.0f} MB, a few minutes)"
    # the rows come from the footer alone: two range requests, never the whole file
    assert ds.cdn.requests and all(r["range"] for r in ds.cdn.requests)


def test_no_offer_offline(ds, monkeypatch):
    from hubatlas.viewer.layers.hub_offer import fetch_offer

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert fetch_offer() is None and not ds.requests


def test_first_launch_offers_the_hub_beside_the_demo(ds, qtbot):
    from PySide6.QtCore import QTimer

    from hubatlas.viewer._qt.hub_get import first_launch_choice
    from hubatlas.viewer.layers.hub_offer import fetch_offer

    offer = fetch_offer()
    seen = []

    def click():
        box = first_launch_choice.current
        if box is None:
            return QTimer.singleShot(50, click)
        seen.extend(b.text() for b in box.buttons())
        hub = next(b for b in box.buttons() if b.text().startswith("Get the whole Hub"))
        hub.click()

    QTimer.singleShot(50, click)
    assert first_launch_choice(2137, offer) == "hub"
    assert "Open the demo (2,137 models)" in seen
    assert f"Get the whole Hub (about {offer.rows:,} models, 0 MB, a few minutes)" in seen


def test_get_behind_the_dialog_imports_lays_out_and_reports_bytes(ds, tmp_path, qtbot):
    from PySide6.QtCore import QTimer

    from hubatlas.viewer._qt.hub_get import get_with_dialog

    cache = tmp_path / "atlas"
    labels = []

    def watch():
        cur = get_with_dialog.current
        if cur is not None:
            labels.append(cur[1].labelText())
            QTimer.singleShot(100, watch)

    QTimer.singleShot(100, watch)
    ok, msg = get_with_dialog(cache, "the whole Hub")
    assert ok, msg
    assert any("MB" in t and "MB/s" in t for t in labels) or any("Laying out" in t for t in labels), labels
    from hubatlas.viewer.layers.opening import prepare

    model = prepare(cache)  # imported and laid out: it opens as it is
    assert model.n >= len(real_records())
    assert NEW in (model.manifest.get("data_source") or "")


def test_cancel_keeps_what_arrived_and_imports_nothing(ds, tmp_path, qtbot):
    from PySide6.QtCore import QTimer

    from hubatlas.viewer._qt.hub_get import get_with_dialog

    # a file of a few 64 kB chunks, sent slowly: the dialog sees bytes arrive before the end
    recs = real_records()
    bulk = [dict(recs[i % len(recs)], id=f"bulk/m{i}") for i in range(2500)]
    big = write(bulk, tmp_path / "big.parquet").read_bytes()
    ds.files[NEW] = big
    ds.cdn.blobs[ds.sha(NEW)] = big
    ds.cdn.faults = ["slow"]
    cache = tmp_path / "atlas"

    def cancel_when_bytes():
        cur = get_with_dialog.current
        if cur is not None and cur[0].bytes > 0:
            from PySide6.QtWidgets import QPushButton

            next(b for b in cur[1].findChildren(QPushButton) if b.text() == "Cancel").click()
        else:
            QTimer.singleShot(50, cancel_when_bytes)

    QTimer.singleShot(50, cancel_when_bytes)
    ok, msg = get_with_dialog(cache, "the whole Hub")
    assert (ok, msg) == (False, "cancelled")
    part = next((cache / "downloads").rglob("*.part"))
    assert 0 < part.stat().st_size < len(ds.files[NEW])
    with Store(cache, readonly=True) as s:
        assert s.conn.execute("SELECT count(*) FROM models").fetchone()[0] == 0


def test_new_since_the_snapshot_is_one_click_after_a_refresh(ds, tmp_path, qtbot):
    from hubatlas.viewer._qt.filters_panel import FiltersPanel
    from hubatlas.viewer.layers.atlas_state import AtlasState
    from hubatlas.viewer.layers.opening import prepare

    cache = tmp_path / "atlas"
    run_cli("get", "-q", "--date", "2025-06-01", cache=cache)
    ds.source.records += [
        {
            "id": f"new/m{i}",
            "createdAt": "2026-10-02T00:00:00.000Z",
            "lastModified": "2026-10-02T00:00:00.000Z",
            "downloads": 5,
            "tags": ["license:mit"],
        }
        for i in range(4)
    ]
    run_cli("sync", "--refresh", "--top-downloads", "0", "-q", cache=cache)
    run_here("layout", "-q", cache=cache)
    model = prepare(cache)
    assert model.manifest["snapshot_date"] == "2025-06-01"
    state = AtlasState()
    panel = FiltersPanel(model, state)
    qtbot.addWidget(panel)
    assert panel.new_since is not None and panel.new_since.text() == "New since 2025-06-01"
    panel.new_since.click()
    assert model.shown_count(state) == 4
    with Store(cache, readonly=True) as s:
        stats = json.loads(run_cli("stats", "--json", cache=cache).stdout)
        assert s.meta()["snapshot_date"] == "2025-06-01"
    assert "refreshed from the Hub API" in stats["data_source"]["text"]


def test_first_launch_gets_the_hub_into_the_empty_cache(ds, tmp_path, qtbot):
    from PySide6.QtCore import QTimer

    from hubatlas.viewer._qt.app import whole_hub
    from hubatlas.viewer._qt.hub_get import first_launch_choice
    from hubatlas.viewer.layers.opening import prepare

    def click():
        box = first_launch_choice.current
        if box is None:
            return QTimer.singleShot(50, click)
        next(b for b in box.buttons() if b.text().startswith("Get the whole Hub")).click()

    QTimer.singleShot(50, click)
    cache = tmp_path / "default-cache"
    assert whole_hub(cache, 2137)
    assert prepare(cache).n >= len(real_records())  # got, imported and laid out: it opens as it is
