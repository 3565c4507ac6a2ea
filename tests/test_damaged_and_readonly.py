"""Damaged and read-only caches, with real files and real processes: garbage in the database is reported by
every command (even those whose queries would not touch it), a snapshot whose bytes changed is rebuilt, a
failed import into a new folder leaves nothing behind, and a read-only cache can be read, viewed and exported
by a user whom file permissions bind (root here drops its capability to override them)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from helpers import file_digest, rec, run_cli, run_here, write_json

from hubatlas.core.store.database import Store
from hubatlas.core.store.snapshot import damaged_files, open_snapshot

HAS_DISPLAY = bool(os.environ.get("DISPLAY"))


def laid_out(tmp_path, n: int = 3000):
    cache = tmp_path / "c"
    run_cli(
        "import",
        str(write_json(tmp_path / "m.json", [rec(f"org/m{i}", tags=["license:mit"] * 20) for i in range(n)])),
        cache=cache,
    )
    run_here("layout", "-q", cache=cache)
    return cache


def unchanged(cache) -> dict:
    """The cache's files, less the side files SQLite's readers may leave (an empty -wal, the -shm index)."""
    return {
        k: v
        for k, v in file_digest(cache).items()
        if not k.endswith("-shm") and not (k.endswith("-wal") and (cache / k).stat().st_size == 0)
    }


def test_garbage_in_the_database_is_reported_by_every_command(tmp_path):
    cache = laid_out(tmp_path)
    db = cache / "atlas.sqlite"
    data = bytearray(db.read_bytes())
    mid, size = len(data) // 3, min(200_000, len(data) // 3)
    data[mid : mid + size] = b"\x5a" * size
    db.write_bytes(bytes(data))
    before = unchanged(cache)
    commands = [
        ("stats",),
        ("search", "m1"),
        ("info", "org/m1"),
        ("layout", "-q"),
        ("families", "--json"),
        ("export", "--out", str(tmp_path / "x.png"), "--width", "200", "--height", "120"),
    ]
    if HAS_DISPLAY:
        commands.append(("view", "--screenshot", str(tmp_path / "w.png")))
    for args in commands:
        p = run_cli(*args, cache=cache, check=False, env={"XDG_CONFIG_HOME": str(tmp_path / "cfg")})
        assert p.returncode != 0, (args, p.stdout[-300:])
        assert "is damaged" in p.stderr and "into a new --cache" in p.stderr, (args, p.stderr[-800:])
        assert "Traceback" not in p.stderr, (args, p.stderr[-800:])
    assert unchanged(cache) == before  # nothing was changed
    assert not (tmp_path / "x.png").exists()


def test_a_snapshot_whose_bytes_changed_is_rebuilt(tmp_path):
    cache = laid_out(tmp_path, 500)
    nodes = cache / "snapshot" / "nodes.arrow"
    data = bytearray(nodes.read_bytes())
    at = data.find(open_snapshot(cache).nodes.column("id")[3].as_py().encode())
    assert at > 0
    data[at : at + 4] = b"XXXX"  # an id garbled in place: the file still parses
    nodes.write_bytes(bytes(data))
    assert damaged_files(open_snapshot(cache)) == ["nodes.arrow"]
    p = run_cli("export", "--out", str(tmp_path / "x.png"), "--width", "160", "--height", "100", cache=cache)
    assert p.returncode == 0
    snap = open_snapshot(cache)
    assert damaged_files(snap) == []
    with Store(cache, readonly=True) as s:
        stored = [r[0] for r in s.conn.execute("SELECT id FROM models ORDER BY rowid")]
    assert snap.nodes.column("id").to_pylist() == stored
    assert np.isfinite(snap.column("x")).all()  # positions came back from the layout's cached file


def test_a_failed_import_into_a_new_folder_leaves_nothing_and_an_empty_one_changes_nothing(tmp_path):
    bad = write_json(tmp_path / "bad.json", [{"id": 5}])
    p = run_cli("import", str(bad), cache=tmp_path / "new", check=False)
    assert p.returncode == 1 and "nothing changed" in p.stderr
    assert not (tmp_path / "new").exists()
    cache = tmp_path / "c"
    run_cli("import", str(write_json(tmp_path / "a.json", [rec("org/a")])), cache=cache)
    manifest = (cache / "snapshot" / "manifest.json").read_text()
    run_cli("import", str(write_json(tmp_path / "empty.json", [])), cache=cache)
    assert (cache / "snapshot" / "manifest.json").read_text() == manifest


def _as_bound_user() -> list[str]:
    """A command prefix under which file permissions apply: nothing for an ordinary user; for root, setpriv
    dropping the capabilities that override them (root in CI, where the suite runs)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if not setpriv:
        pytest.skip("running as root without util-linux's setpriv: cannot make permissions bind")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search,-fowner"]


def test_a_read_only_cache_is_read_viewed_and_exported(tmp_path):
    cache = laid_out(tmp_path, 400)
    prefix = _as_bound_user()
    try:
        for p in [cache, *cache.rglob("*")]:
            p.chmod(p.stat().st_mode & ~0o222)
        probe = subprocess.run([*prefix, "touch", str(cache / "probe")], capture_output=True, check=False)
        assert probe.returncode != 0  # permissions bind this user
        env = {k: v for k, v in os.environ.items() if k != "HUBATLAS_CACHE"}
        env["XDG_CONFIG_HOME"] = str(tmp_path / "cfg")

        def hubatlas(*args, where=cache):
            return subprocess.run(
                [*prefix, sys.executable, "-m", "hubatlas.viewer.cli", "--cache", str(where), *args],
                capture_output=True,
                text=True,
                env=env,
                timeout=300,
                check=False,
            )

        st = hubatlas("stats", "--json")
        assert st.returncode == 0, st.stderr[-800:]
        assert json.loads(st.stdout)["models"] == 400
        assert "org/m17" in hubatlas("search", "m17").stdout
        assert hubatlas("info", "org/m17").returncode == 0
        assert json.loads(hubatlas("labels", "--json").stdout)
        fam = hubatlas("families", "--json")
        assert fam.returncode == 0, fam.stderr[-800:]
        out = tmp_path / "ro.png"
        ex = hubatlas("export", "--out", str(out), "--width", "240", "--height", "160")
        assert ex.returncode == 0 and out.stat().st_size > 0, ex.stderr[-800:]
        if HAS_DISPLAY:
            shot = tmp_path / "w.png"
            v = hubatlas("view", "--screenshot", str(shot))
            assert v.returncode == 0 and shot.exists(), v.stderr[-800:]
        for args in (("import", str(tmp_path / "m.json")), ("layout", "--full"), ("snapshot",)):
            w = hubatlas(*args)
            assert w.returncode == 1 and "read-only cache" in w.stderr and "Traceback" not in w.stderr, (
                args,
                w.stderr[-800:],
            )
        assert not any(p.name.endswith(("-wal", "-shm")) for p in cache.iterdir())
        secret = write_json(tmp_path / "secret.json", [rec("org/s")])
        secret.chmod(0)  # an unreadable file: a clear message, no PermissionError traceback
        r = hubatlas("import", str(secret), where=tmp_path / "w")
        assert (
            r.returncode == 1
            and "cannot be read (Permission denied)" in r.stderr
            and "Traceback" not in r.stderr
        )
    finally:
        for p in [cache, *cache.rglob("*")]:
            p.chmod(p.stat().st_mode | 0o200)
