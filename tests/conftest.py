"""Shared fixtures: real SQLite caches in temporary directories, the real Hub samples in tests/data."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest
from helpers import DATA, run_cli

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


# -- atlases several modules use: built once a session, each module given its own copy ------------------------
def _copy_of(src: Path, factory, name: str) -> Path:
    d = factory.mktemp(name) / src.name
    shutil.copytree(src, d)
    return d


@pytest.fixture(scope="session")
def demo_out(tmp_path_factory) -> tuple[Path, dict]:
    """(folder, printed JSON) of `hubatlas demo --out FOLDER --json`: the real bundled demo built by the real
    console entry point into a new folder, once a session. Read-only for its users."""
    d = tmp_path_factory.mktemp("demo-out") / "demo"
    return d, json.loads(run_cli("demo", "--out", str(d), "--json").stdout)


@pytest.fixture(scope="session")
def _demo_laid_out_once(tmp_path_factory) -> tuple[Path, dict]:
    from hubatlas.core.demo import ensure_demo
    from hubatlas.core.layout.params import LayoutParams
    from hubatlas.core.layout.pipeline import run_layout
    from hubatlas.core.store.database import Store

    d = tmp_path_factory.mktemp("demo-laid-out") / "atlas"
    d.mkdir()
    shutil.copy(ensure_demo() / "atlas.sqlite", d / "atlas.sqlite")
    with Store(d) as s:
        info = run_layout(s, LayoutParams(backend="cpu"), progress=False)
    return d, info


@pytest.fixture(scope="module")
def demo_laid_out(tmp_path_factory, _demo_laid_out_once) -> tuple[Path, dict]:
    """(folder, run_layout's answer): the bundled demo's store laid out from scratch by the CPU path with the
    default parameters (computed once a session; each module gets its own copy to change)."""
    src, info = _demo_laid_out_once
    return _copy_of(src, tmp_path_factory, "demo"), copy.deepcopy(info)


@pytest.fixture(scope="session")
def _exploring_atlas_once(tmp_path_factory) -> Path:
    from exploring_atlas import build

    return build(tmp_path_factory.mktemp("explore") / "atlas")


@pytest.fixture(scope="module")
def exploring_atlas(tmp_path_factory, _exploring_atlas_once) -> Path:
    """The real-shaped 60,000-model atlas of tests/exploring_atlas.py (built once a session; a copy each
    module)."""
    return _copy_of(_exploring_atlas_once, tmp_path_factory, "explore")


@pytest.fixture(autouse=True, scope="module")
def _deferred_deletes_done():
    """After each module, the Qt objects it left to ``deleteLater`` (closed canvases and windows, with their GL
    contexts) are deleted then, not inside a later module's first event loop."""
    yield
    import sys

    if "PySide6.QtWidgets" in sys.modules:
        from PySide6.QtCore import QCoreApplication, QEvent

        if QCoreApplication.instance() is not None:
            QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)


@pytest.fixture(autouse=True, scope="session")
def builds(request, tmp_path_factory):
    """The packaging tests' builds (tests/builds.py), started before the first test when this session has tests
    that check them: the app bundle for test_packaging's ``frozen_app``, the sdist, wheel and a virtual
    environment with it for test_wheel's ``dists`` (each where its build tool is installed). None otherwise."""
    from importlib.util import find_spec

    uses = {name for item in request.session.items for name in item.fixturenames}
    app = "frozen_app" in uses and find_spec("PyInstaller") is not None
    wheel = "dists" in uses and find_spec("build") is not None
    if not (app or wheel):
        yield None
        return
    from builds import Builds

    from hubatlas.core.demo import ensure_demo

    if app:
        ensure_demo()  # the spec bundles the checkout's demo: built here first, never by two processes at once
    running = Builds(tmp_path_factory.mktemp("builds"), app=app, wheel=wheel)
    yield running
    running.stop()
