"""The fourth round of hostile probes (issue 38), data and file lines: each a reproduction that once lost data,
hung, ran out of memory or ended in a traceback, now a refusal naming the file, value or limit (or the right
result). Real atlases, real files, FIFOs and devices, the real console entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import file_digest, rec, refused, run_cli, write_json

FIFO = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    """A small real atlas (imported, with its snapshot; no layout)."""
    d = tmp_path_factory.mktemp("round4")
    recs = [rec(f"org{i % 5}/model-{i}", downloads=i) for i in range(60)]
    run_cli("import", str(write_json(d / "m.json", recs)), cache=d / "c")
    return d / "c"


# -- 1. demo --out over an atlas -----------------------------------------------------------------------------
def test_demo_out_refuses_to_replace_an_atlas_without_force(tmp_path):
    cache = tmp_path / "c"
    run_cli("synth", "--models", "300", cache=cache)
    before = file_digest(cache)
    p = run_cli("demo", "--out", str(cache), check=False)
    refused(p, str(cache), "already holds an atlas", "--force")
    assert file_digest(cache) == before
    st = json.loads(run_cli("stats", "--json", cache=cache).stdout)
    assert st["models"] == 300 and st["synthetic"] is True


def test_demo_out_waits_for_the_writer_lock_and_replaces_with_force(tmp_path):
    from hubatlas.core.store.lock import WriterLock

    cache = tmp_path / "c"
    run_cli("synth", "--models", "300", cache=cache)
    lock = WriterLock(cache)
    lock.acquire()
    try:  # another writer holds the atlas: the demo is not moved in under it
        p = run_cli("--wait", "0", "demo", "--out", str(cache), "--force", check=False)
        refused(p, "is writing to")
    finally:
        lock.release()
    run_cli("demo", "--out", str(cache), "--force")
    st = json.loads(run_cli("stats", "--json", cache=cache).stdout)
    assert st["synthetic"] is False and st["models"] > 1900


# -- 2. an output path that is not a regular file -------------------------------------------------------------
@FIFO
@pytest.mark.parametrize("writer", ["text", "arrow", "selection", "parquet"])
def test_every_writer_refuses_a_fifo_and_leaves_it(tmp_path, small, writer):
    import numpy as np
    import pyarrow as pa

    from hubatlas.core.common import atomic
    from hubatlas.core.common.regular_files import NotRegularFile

    target = tmp_path / ("out.csv" if writer == "selection" else "out")
    os.mkfifo(target)
    with pytest.raises(NotRegularFile, match="FIFO"):
        if writer == "text":
            atomic.write_text(target, "x")
        elif writer == "arrow":
            atomic.write_arrow(target, pa.table({"a": [1]}))
        elif writer == "selection":
            from hubatlas.core.store.snapshot import open_snapshot
            from hubatlas.viewer.layers.region import write_selection

            write_selection(target, open_snapshot(small), np.arange(3))
        else:
            from hubatlas.core.ingest.parquet_export import export_parquet
            from hubatlas.core.store.database import Store

            with Store(small, readonly=True) as store:
                export_parquet(store, target)
    assert target.is_fifo() and not (tmp_path / "out.tmp").exists()


def test_a_device_and_a_folder_are_refused_never_replaced(tmp_path):
    from hubatlas.core.common import atomic
    from hubatlas.core.common.regular_files import NotRegularFile

    with pytest.raises(NotRegularFile, match="character device"):
        atomic.write_text("/dev/null", "x")
    assert Path("/dev/null").is_char_device()
    (tmp_path / "d").mkdir()
    with pytest.raises(NotRegularFile, match="a directory"):
        atomic.write_text(tmp_path / "d", "x")
    atomic.write_text(tmp_path / "f", "x")  # new, then regular: written
    atomic.write_text(tmp_path / "f", "y")
    assert (tmp_path / "f").read_text() == "y"


@FIFO
def test_synth_parquet_onto_a_fifo_is_one_clear_line(tmp_path):
    os.mkfifo(tmp_path / "p.parquet")
    p = run_cli(
        "synth", "--models", "50", "--parquet", str(tmp_path / "p.parquet"), cache=tmp_path / "c", check=False
    )
    refused(p, "p.parquet", "FIFO", "not a regular file")
    assert (tmp_path / "p.parquet").is_fifo()


# -- 3. the integrity check under memory pressure --------------------------------------------------------------
SCAN = """
import ctypes, json, sqlite3, sys
import _sqlite3
from pathlib import Path
from hubatlas.core.store import integrity
lib = ctypes.CDLL(_sqlite3.__file__)
lib.sqlite3_memory_used.restype = ctypes.c_int64
lib.sqlite3_hard_heap_limit64.restype = ctypes.c_int64
lib.sqlite3_hard_heap_limit64.argtypes = [ctypes.c_int64]
db = Path(sys.argv[1])
seen = []
def opened():
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    conn.execute("PRAGMA cache_size=-262144")
    conn.execute("SELECT count(*) FROM sqlite_master").fetchall()
    return conn
for extra in range(0, 4_000_000, 4096):  # SQLite's heap just above what an open connection holds, then more
    conn = opened()
    lib.sqlite3_hard_heap_limit64(lib.sqlite3_memory_used() + extra)
    try:
        rows = [r[0] for r in conn.execute("PRAGMA quick_check(3)").fetchall()]
    except (sqlite3.Error, MemoryError):
        rows = None
    finally:
        lib.sqlite3_hard_heap_limit64(0)
        conn.close()
    conn = opened()  # the same again, checked
    lib.sqlite3_hard_heap_limit64(lib.sqlite3_memory_used() + extra)
    try:
        integrity.check(conn, db)
        out = "ok"
    except (integrity.CacheDamaged, integrity.CheckNotRun) as e:
        out = f"{type(e).__name__}: {e}"
    finally:
        lib.sqlite3_hard_heap_limit64(0)
        conn.close()
    seen.append([rows, out, integrity.intact(db)])
    if out == "ok":
        break
print(json.dumps(seen))
"""


def test_an_intact_atlas_short_of_memory_is_never_called_damaged(tmp_path):
    run_cli("synth", "--models", "2000", cache=tmp_path / "c")
    db = tmp_path / "c" / "atlas.sqlite"
    p = subprocess.run([sys.executable, "-c", SCAN, str(db)], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    seen = json.loads(p.stdout)
    assert seen[-1][1] == "ok", seen[-1]  # with enough memory the check passes: the file is intact
    page_rows = [s for s in seen if s[0] and any("error code=7" in r for r in s[0])]
    assert page_rows, "SQLite never reported a page it could not get: the probe did not reproduce the case"
    assert any("unable to get the page" in s[1] for s in seen)  # that row, checked, says what ran out
    for rows, out, _ in seen[:-1]:
        assert "CacheDamaged" not in out and "damaged (" not in out, (rows, out)
        assert out.startswith("CheckNotRun") and "ran out of memory" in out, out
    assert all(s[2] is not False for s in seen)  # intact() (the CLI's "failed its check") never says False


def test_a_real_verdict_still_says_damaged(tmp_path):
    import sqlite3

    from hubatlas.core.store import integrity

    db = tmp_path / "x.sqlite"
    with sqlite3.connect(db) as c:
        c.execute("CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT)")
        c.execute("CREATE INDEX tb ON t (b)")
        c.executemany("INSERT INTO t (b) VALUES (?)", [(f"v{i:05d}" * 20,) for i in range(3000)])
    raw = bytearray(db.read_bytes())
    raw[4096 * 3 + 200 : 4096 * 3 + 900] = os.urandom(700)  # a b-tree page overwritten
    db.write_bytes(bytes(raw))
    with sqlite3.connect(db) as c, pytest.raises((integrity.CacheDamaged, sqlite3.DatabaseError)):
        integrity.check(c, db)
    assert integrity.intact(db) is not True


def test_sqlite_codes_are_told_apart():
    from hubatlas.core.common.resources import DISK_FULL, OUT_OF_MEMORY, READ_ERROR, sqlite_not_run
    from hubatlas.core.store.integrity import not_run

    assert (
        not_run(["*** in database main ***\nPage 4: unable to get the page. error code=7"]) == OUT_OF_MEMORY
    )
    assert not_run(["Page 9: unable to get the page. error code=266"]) == READ_ERROR  # SQLITE_IOERR_READ
    assert sqlite_not_run(13) == DISK_FULL
    assert not_run(["Page 4: btreeInitPage() returns error code 11"]) is None  # SQLITE_CORRUPT: a verdict
    assert not_run(["ok"]) is None and sqlite_not_run(11) is None


@FIFO
def test_report_files_refuse_a_fifo_in_the_folder_and_a_report_out_that_is_no_folder(tmp_path, small):
    from hubatlas.core.analysis.report_files import write_csv
    from hubatlas.core.common.regular_files import NotRegularFile

    os.mkfifo(tmp_path / "families.csv")
    with pytest.raises(NotRegularFile, match=r"families\.csv"):  # once: open() blocked for ever on the FIFO
        write_csv(tmp_path / "families.csv", ["a"], [[1]])
    assert (tmp_path / "families.csv").is_fifo()
    os.mkfifo(tmp_path / "out")
    p = run_cli("report", "--out", str(tmp_path / "out"), cache=small, check=False)
    refused(p, "--out", "not a folder")
    assert (tmp_path / "out").is_fifo()
