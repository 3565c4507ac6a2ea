"""Shared fixtures: real SQLite caches in temporary directories, the real Hub samples in tests/data."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).resolve().parent.parent


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


def write_json(path: Path, obj) -> Path:
    path.write_text(json.dumps(obj))
    return path


def rec(mid: str, **kw) -> dict:
    """A minimal Hub list item."""
    r = {"_id": "x" * 24, "id": mid, "modelId": mid, "likes": 0, "downloads": 0, "tags": [], "private": False,
         "createdAt": "2024-01-01T00:00:00.000Z"}
    r.update(kw)
    return r


def file_digest(cache: Path) -> dict[str, str]:
    """sha256 of every file in a cache (after the store is closed: WAL checkpointed and removed)."""
    out = {}
    for p in sorted(cache.rglob("*")):
        if p.is_file():
            out[str(p.relative_to(cache))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def run_cli(*args: str, cache: Path | None = None, env: dict | None = None, check: bool = True
            ) -> subprocess.CompletedProcess:
    """Run the real console entry point in a subprocess."""
    e = dict(os.environ)
    e.pop("HUBATLAS_CACHE", None)
    if env:
        e.update(env)
    cmd = [sys.executable, "-m", "hubatlas.viewer.cli"]
    if cache is not None:
        cmd += ["--cache", str(cache)]
    p = subprocess.run(cmd + list(args), capture_output=True, text=True, env=e, timeout=300)
    if check and p.returncode != 0:
        raise AssertionError(f"hubatlas {' '.join(args)} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    return p


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
        w = MainWindow(store, snap, label="test")
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
