"""Several hubatlas processes on one cache: a snapshot built while another process writes is built from one
consistent read (it once read models and edges in separate statements and crashed with an IndexError)."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
from conftest import rec, write_json

from hubatlas.core.ingest.files import import_paths
from hubatlas.core.store.database import Store
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
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(cache), "400"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    builds = 0
    try:
        with Store(cache) as s:
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
