"""Helpers the tests share (plain functions, no fixtures): a minimal Hub record, JSON files, file digests and
the real console entry point in a subprocess (or, for a setting-up step, in this process)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).resolve().parent.parent


def write_json(path: Path, obj) -> Path:
    path.write_text(json.dumps(obj))
    return path


def rec(mid: str, **kw) -> dict:
    """A minimal Hub list item."""
    r = {
        "_id": "x" * 24,
        "id": mid,
        "modelId": mid,
        "likes": 0,
        "downloads": 0,
        "tags": [],
        "private": False,
        "createdAt": "2024-01-01T00:00:00.000Z",
    }
    r.update(kw)
    return r


def file_digest(cache: Path) -> dict[str, str]:
    """sha256 of every file in a cache (after the store is closed: WAL checkpointed and removed)."""
    out = {}
    for p in sorted(cache.rglob("*")):
        if p.is_file():
            out[str(p.relative_to(cache))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def run_cli(
    *args: str, cache: Path | None = None, env: dict | None = None, check: bool = True
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


def run_here(*args: str, cache: Path) -> None:
    """A setting-up step: a command of the real console entry point run in this process, which must succeed.
    No new interpreter starts, and a layout reuses the functions numba compiled for this process (a new one
    compiles them again: about 10 s). What each command itself does is tested through ``run_cli``."""
    from hubatlas.viewer.cli import main

    assert main(["--cache", str(cache), *args]) == 0, args


def refused(p: subprocess.CompletedProcess, *words: str, code: int = 1) -> str:
    """A command refused cleanly: exit ``code``, no traceback, every one of ``words`` in its message."""
    assert p.returncode == code, p.stderr
    assert "Traceback" not in p.stderr, p.stderr
    for w in words:
        assert w in p.stderr, p.stderr
    return p.stderr


def make(cache, records):
    """An atlas of ``records`` with its snapshot, for the analyses."""
    from hubatlas.core.ingest.files import import_paths
    from hubatlas.core.store.database import Store
    from hubatlas.core.store.snapshot import build

    with Store(cache) as s:
        import_paths(s, [write_json(cache.parent / f"{cache.name}.json", records)])
        build(s)


def analysis(cache):
    """(read-only store, AtlasData, NameWords) of an atlas, as the analysis commands open it."""
    from hubatlas.core.analysis.data import load
    from hubatlas.core.analysis.naive_bayes import NameWords
    from hubatlas.core.store.database import Store
    from hubatlas.core.store.snapshot import open_snapshot

    store = Store(cache, readonly=True)
    data = load(store, open_snapshot(cache))
    return store, data, NameWords(data.ids.to_pylist())
