"""Shared fixtures: real SQLite caches in temporary directories, the real Hub samples in tests/data."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import DATA

from hubatlas.viewer.layers.atlas_model import AtlasModel


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture
def cache(tmp_path) -> Path:
    d = tmp_path / "cache"
    d.mkdir()
    return d


@pytest.fixture
def store(cache):
    from hubatlas.core.store.database import Store

    s = Store(cache)
    yield s
    s.close()


# -- windows: pytest-qt, real GL under Xvfb -------------------------------------------------------------------
@pytest.fixture
def isolated_settings(tmp_path):
    from PySide6.QtCore import QSettings

    QSettings.setDefaultFormat(QSettings.IniFormat)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(tmp_path / "settings"))
    yield


@pytest.fixture
def make_window(qtbot, tmp_path, isolated_settings):
    from PySide6.QtWidgets import QApplication

    from hubatlas.core.store.database import Store
    from hubatlas.viewer._qt.window import MainWindow

    before = set(QApplication.topLevelWidgets())
    made = []

    def make(cache=None, **kw):
        from atlas_fixtures import make_known_atlas

        cache = cache or tmp_path / "c"
        snap = make_known_atlas(cache, **kw)
        store = Store(cache, readonly=True)
        w = MainWindow(AtlasModel(snap, store), label="test")
        qtbot.addWidget(w)
        w.show()
        qtbot.waitExposed(w)
        made.append((w, store))
        return w

    yield make
    for w, store in made:
        w.close()
        w.atlas.close()
        w.deleteLater()
        store.close()
    QApplication.processEvents()
    leaked = [x for x in QApplication.topLevelWidgets() if x not in before and x.isVisible()]
    assert not leaked, f"leaked widgets: {leaked}"


# -- a test Hub on 127.0.0.1 (tests/hubserver.py), serving sync_helpers.served_records() ---------------------
@pytest.fixture
def hub():
    from hubserver import HubServer, ListSource
    from sync_helpers import served_records

    srv = HubServer(ListSource(served_records()), page_cap=1000).start()
    yield srv
    srv.stop()
