"""Several hubatlas processes on one cache, as real processes: one writer at a time (a second waits with a
message, or stops with a clear one after --wait), a lock left by a killed writer is taken over, readers work
while a writer writes, two syncs at once count right, and a snapshot built while another process writes is
built from one consistent read (it once read models and edges in separate statements and crashed)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
from helpers import rec, run_cli, write_json

from hubatlas.core.ingest.files import import_paths
from hubatlas.core.store.database import Store
from hubatlas.core.store.lock import WriterLock
from hubatlas.core.store.snapshot import build, open_snapshot

WRITER = textwrap.dedent("""
    import sys, time
    from hubatlas.core.store.database import Store
    cache, rounds = sys.argv[1], int(sys.argv[2])
    with Store(cache) as s:
        for r in range(rounds):
            with s.transaction():
                rows = [(f"w{r}/m{i}", f"w{r}", None, None, i, 0, "text-generation", None, None, "[]", "[]",
                         None, None, "test", None) for i in range(40)]
                s.upsert_models(rows)
                # each new model is a child of the previous round's first model: edges to rows that a reader
                # which read the models a moment earlier would not have
                s.add_edges([(f"w{r}/m{i}", f"w{max(r - 1, 0)}/m0", "finetune", "tag") for i in range(1, 40)])
                s.bump_data_version()
    print("WRITER-DONE")
""")


def test_snapshot_is_consistent_while_another_process_writes(tmp_path):
    cache = tmp_path / "c"
    with Store(cache) as s:
        import_paths(s, [write_json(tmp_path / "a.json", [rec(f"org/base-{i}") for i in range(200)])])
        build(s)
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(cache), "400"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    builds = 0
    try:
        with Store(cache, readonly=True) as s:  # (a reader: the writer process holds the writer lock)
            while writer.poll() is None or builds < 3:
                m = build(s)  # an inconsistent read raised IndexError here
                snap = open_snapshot(cache)
                assert len(snap) == m["nodes"]
                e = snap.edges
                src = e.column("source").to_numpy()
                dst = e.column("target").to_numpy()
                assert (src < len(snap)).all() and (dst < len(snap)).all()
                ids = np.asarray(snap.nodes.column("id").to_pylist(), dtype=object)
                # every edge's ends are the models the edge names (not neighbours shifted by a missing row)
                for i in range(0, len(src), max(len(src) // 50, 1)):
                    child, parent = ids[dst[i]], ids[src[i]]
                    assert child.startswith("w") and parent.endswith("/m0"), (child, parent)
                builds += 1
    finally:
        out, err = writer.communicate(timeout=120)
    assert "WRITER-DONE" in out, err[-2000:]
    assert builds >= 3


HOLDER = textwrap.dedent("""
    import sys
    from hubatlas.core.store.database import Store
    with Store(sys.argv[1]):
        print("HOLDING", flush=True)
        sys.stdin.readline()
""")


def hold_writer_lock(cache) -> subprocess.Popen:
    """A real process holding the cache's writer lock until its stdin closes (or it is killed)."""
    p = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(cache)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert p.stdout.readline().strip() == "HOLDING", p.stderr.read()
    return p


def cli_process(cache, *args: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "HUBATLAS_CACHE"}
    return subprocess.Popen(
        [sys.executable, "-m", "hubatlas.viewer.cli", "--cache", str(cache), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def models(cache) -> set[str]:
    with Store(cache, readonly=True) as s:
        return {r[0] for r in s.conn.execute("SELECT id FROM models")}


def test_a_second_writer_waits_with_a_message_or_stops_clearly(tmp_path):
    cache = tmp_path / "c"
    run_cli("import", str(write_json(tmp_path / "a.json", [rec("org/a")])), cache=cache)
    more = str(write_json(tmp_path / "b.json", [rec("org/b")]))
    holder = hold_writer_lock(cache)
    try:
        p = run_cli("--wait", "1", "import", more, cache=cache, check=False)
        assert p.returncode == 1 and "Traceback" not in p.stderr, p.stderr[-1500:]
        assert f"pid {holder.pid}" in p.stderr and "is writing to" in p.stderr and "--wait" in p.stderr, (
            p.stderr
        )
        assert models(cache) == {"org/a"}
        # readers are not held up by a writer
        for args in (("stats", "--json"), ("search", "org"), ("info", "org/a")):
            assert run_cli(*args, cache=cache).returncode == 0
        waiter = cli_process(cache, "import", more)
        time.sleep(1.5)
        assert waiter.poll() is None  # waiting, not failed
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    _, err = waiter.communicate(timeout=60)
    assert waiter.returncode == 0, err[-1500:]
    assert f"pid {holder.pid}" in err and "waiting for it to finish" in err
    assert models(cache) == {"org/a", "org/b"}


def test_a_lock_left_by_a_killed_writer_is_taken_over(tmp_path):
    cache = tmp_path / "c"
    run_cli("import", str(write_json(tmp_path / "a.json", [rec("org/a")])), cache=cache)
    holder = hold_writer_lock(cache)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(timeout=30)
    assert json.loads((cache / "atlas.lock").read_text())["pid"] == holder.pid  # the dead holder's note stays
    assert not WriterLock(cache).busy()
    p = run_cli("--wait", "5", "import", str(write_json(tmp_path / "b.json", [rec("org/b")])), cache=cache)
    assert "waiting" not in p.stderr
    assert models(cache) == {"org/a", "org/b"}
    assert (cache / "atlas.lock").read_text() == ""  # released on exit


def test_import_during_synth_waits_for_it_and_readers_keep_working(tmp_path):
    cache = tmp_path / "c"
    synth = cli_process(cache, "synth", "--models", "60000")
    deadline = time.monotonic() + 60
    while not WriterLock(cache).busy():
        assert synth.poll() is None and time.monotonic() < deadline, synth.communicate()[1][-1500:]
        time.sleep(0.05)
    reader = run_cli("stats", "--json", cache=cache)  # the atlas as last committed (empty, or complete)
    assert json.loads(reader.stdout)["models"] in (0, 60_000)
    p = run_cli("import", str(write_json(tmp_path / "a.json", [rec("org/late-arrival")])), cache=cache)
    assert "waiting for it to finish" in p.stderr and "synth" in p.stderr, p.stderr[-1000:]
    synth.communicate(timeout=120)
    assert synth.returncode == 0
    st = json.loads(run_cli("stats", "--json", cache=cache).stdout)
    assert st["models"] == 60_001 and st["synthetic"]


def test_two_syncs_at_once_count_right(tmp_path):
    from hubserver import HubServer, ListSource

    recs = [
        rec(
            f"org{i % 7}/model-{i}",
            lastModified=f"2025-01-{1 + i % 28:02d}T00:00:00.000Z",
            downloads=i,
            author=f"org{i % 7}",
        )
        for i in range(120)
    ]
    srv = HubServer(ListSource(recs), page_cap=1000).start()
    srv.on_request = lambda n: time.sleep(0.1)  # a crawl of 24 pages lasts long enough to overlap the other
    try:
        env = {
            **os.environ,
            "HF_ENDPOINT": srv.url,
            "HF_HOME": str(tmp_path / "hf"),
            "HUBATLAS_BACKOFF_BASE": "0.01",
        }
        env.pop("HUBATLAS_CACHE", None)
        cmd = [
            sys.executable,
            "-m",
            "hubatlas.viewer.cli",
            "--cache",
            str(tmp_path / "c"),
            "sync",
            "--page-size",
            "5",
            "--json",
            "-q",
        ]
        procs = [
            subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
            for _ in range(2)
        ]
        outs = [p.communicate(timeout=180) for p in procs]
    finally:
        srv.stop()
    assert all(p.returncode == 0 for p in procs), [o[1][-800:] for o in outs]
    summaries = [json.loads(o[0]) for o in outs]
    assert all(s["fetched"] == 120 for s in summaries), summaries  # each counts its own crawl (was 2x)
    assert sorted(s["new"] for s in summaries) == [0, 120]
    assert sum("waiting for it to finish" in o[1] for o in outs) == 1
    assert len(models(tmp_path / "c")) == 120
