"""The bundled real demo atlas: the SmolLM2 family tree and the MTEB embedding models (see
resources/demo/source/PROVENANCE.md). Built into a cache directory, by default ``resources/demo``."""

from __future__ import annotations

import contextlib
import csv
import json
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path

from hubatlas.core.common.paths import (
    ANALYSES_DIR,
    DB_NAME,
    LAYOUTS_DIR,
    SNAPSHOT_DIR,
    demo_dir,
    demo_source_dir,
)
from hubatlas.core.common.text import printable
from hubatlas.core.ingest.records import author_of
from hubatlas.core.store.database import Store, utcnow
from hubatlas.core.store.lock import Holder, WriterLock
from hubatlas.core.store.rows import Batch, EdgeRow, ModelRow

FRAMEWORK_LIBRARY = {
    "Sentence Transformers": "sentence-transformers",
    "Transformers": "transformers",
    "PyLate": "PyLate",
    "GritLM": "gritlm",
    "ONNX": "onnx",
}


def _row(mid, created, downloads, likes, tag, lib, lic, tags) -> ModelRow:
    return ModelRow(
        mid,
        author_of(mid),
        created,
        None,
        downloads,
        likes,
        tag or None,
        lib or None,
        lic,
        "[]",
        json.dumps(tags),
        None,
        None,
        "demo",
        None,
    )


def _int(v: str) -> int | None:
    return int(v) if v not in ("", None) else None


def smollm2(src: Path) -> tuple[list[ModelRow], list[EdgeRow]]:
    rows, edges = [], []
    with open(src / "smollm2_family_nodes.csv", newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            rows.append(
                _row(
                    r["id"],
                    r["createdAt"] or None,
                    _int(r["downloads"]),
                    _int(r["likes"]),
                    r["pipeline_tag"],
                    r["library_name"],
                    None,
                    [],
                )
            )
    with open(src / "smollm2_family_edges.csv", newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["child"] != r["parent"]:
                edges.append(EdgeRow(r["child"], r["parent"], r["relation"] or "unknown", "tag"))
    return rows, edges


def mteb(src: Path) -> tuple[list[ModelRow], list[EdgeRow]]:
    rows, edges = [], []
    with open(src / "mteb_embedding_models.csv", newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            mid = r["name"].strip()
            if "/" not in mid:
                continue
            lic = r["license"].strip() or None
            if lic and lic.startswith("http"):
                lic = "other"
            try:
                frameworks = json.loads(r["framework"]) if r["framework"] else []
            except ValueError:
                frameworks = []
            lib = next((FRAMEWORK_LIBRARY[x] for x in frameworks if x in FRAMEWORK_LIBRARY), None)
            created = f"{r['release_date']}T00:00:00.000Z" if r["release_date"] else None
            tags = ["mteb"] + ([f"license:{lic}"] if lic else [])
            rows.append(_row(mid, created, None, None, "feature-extraction", lib, lic, tags))
            parent = r["adapted_from"].strip()
            if parent and parent != mid:
                edges.append(EdgeRow(mid, parent, "finetune", "card"))
    return rows, edges


def _parent(out: Path) -> Path:
    """Where the demo is built aside before it is moved in (the same file system as ``out``)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    return out.parent


class AtlasExists(RuntimeError):
    """The demo's target cannot take it: it holds an atlas (replacing it was not asked for) or is a file."""


def is_demo_atlas(out: Path) -> bool:
    """Whether ``out`` holds an atlas that the demo built (its metadata says so); False for none or another."""
    db = Path(out) / DB_NAME
    if not db.is_file():
        return False
    try:
        with contextlib.closing(sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)) as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = 'demo'").fetchone()
    except sqlite3.Error:
        return False
    return row is not None and row[0] == "true"


def _refuse_existing(out: Path) -> None:
    if (out / DB_NAME).exists():
        raise AtlasExists(
            f"{printable(out)} already holds an atlas; pass --force to replace it with the demo, "
            "or --out DIR for another directory"
        )


def build_demo(
    out: Path | None = None,
    *,
    replace: bool = False,
    wait: float | None = None,
    on_wait: Callable[[Holder], None] | None = None,
) -> dict:
    """(Re)build the demo atlas, with its layout, into ``out`` atomically (built aside, then moved in), holding
    ``out``'s writer lock throughout (waiting up to ``wait`` seconds for another writer: CacheBusy after). An
    atlas already in ``out`` is replaced only with ``replace`` (else AtlasExists, before anything is built)."""
    out = Path(out) if out else demo_dir()
    if out.exists() and not out.is_dir():
        raise AtlasExists(f"{printable(str(out))} is a file, not a folder: give --out a folder for the atlas")
    out.mkdir(parents=True, exist_ok=True)
    lock = WriterLock(out)
    lock.acquire(wait, on_wait)  # nobody else writes what is replaced, nor sees it half-replaced
    try:
        if not replace:
            _refuse_existing(out)
        return _build_into(out)
    finally:
        lock.release()


def _build_into(out: Path) -> dict:
    from hubatlas.core.layout.params import LayoutParams
    from hubatlas.core.layout.pipeline import run_layout
    from hubatlas.core.store.snapshot import build

    src = demo_source_dir()
    rows1, edges1 = smollm2(src)
    rows2, edges2 = mteb(src)
    tmp = Path(tempfile.mkdtemp(prefix=".demo-", dir=_parent(out)))
    try:
        with Store(tmp) as store:
            with store.transaction():
                store.write_batch(Batch(rows1 + rows2, edges1 + edges2), replace_edges=False)
                store.finish(
                    synthetic="false",
                    source="demo",
                    demo="true",
                    description="SmolLM2 family (Laufer et al. 2025, MIT) + MTEB embedding models "
                    "(mteb 2.26.24, Apache-2.0)",
                )
            manifest = build(store)
            layout = run_layout(store, LayoutParams(backend="cpu"), progress=False)
            inferred = _analyses(store)
            stats = store.stats()
            store.conn.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, readable read-only
        _move_in(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {
        "models": stats["models"],
        "placeholders": stats["placeholders"],
        "edges": stats["edges"],
        "edges_by_relation": stats["edges_by_relation"],
        "nodes": manifest["nodes"],
        "built_at": utcnow(),
        "layout": {"backend": layout["backend"], "seconds": layout["seconds"]},
        "inferred": inferred,
        "dir": str(out),
    }


def _move_in(tmp: Path, out: Path) -> None:
    for name in (DB_NAME, SNAPSHOT_DIR, LAYOUTS_DIR, ANALYSES_DIR):
        target = out / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        shutil.move(str(tmp / name), str(target))
    for stale in out.glob(DB_NAME + "-*"):
        stale.unlink()


def _analyses(store: Store) -> dict:
    """Ship the demo with its lineage inference and attribute predictions applied, so the viewer's
    'predicted' colours and inferred edges can be seen without running anything."""
    from hubatlas.core.analysis import predict
    from hubatlas.core.analysis.data import load
    from hubatlas.core.analysis.lineage_infer import store_inferred
    from hubatlas.core.analysis.naive_bayes import NameWords
    from hubatlas.core.store.snapshot import build, open_snapshot

    snap = open_snapshot(store.dir)
    data = load(store, snap)
    words = NameWords(data.ids.to_pylist())
    summary = store_inferred(store, data, words)
    build(store)  # positions are kept by id
    snap = open_snapshot(store.dir)
    data = load(store, snap)
    predict.save(store.dir, predict.predict_missing(data, words), snap.manifest["data_version"])
    return {"proposed": summary["proposed"], "typed": summary["typed"]}


def ensure_demo() -> Path:
    """The demo atlas directory, (re)built first if this checkout has not built it yet or built it with an
    older snapshot format."""
    from hubatlas.core.store.snapshot import SnapshotError, open_snapshot

    d = demo_dir()
    try:
        open_snapshot(d)  # also catches a demo built by an older hubatlas (snapshot format changed)
        ok = (
            (d / DB_NAME).exists()
            and (d / ANALYSES_DIR / "predictions.arrow").exists()
            and (d / SNAPSHOT_DIR / "labels.arrow").exists()
        )  # built before labels existed: rebuilt
    except (FileNotFoundError, SnapshotError):
        ok = False
    if not ok and ((d / DB_NAME).exists() and not is_demo_atlas(d)):
        return d  # $HUBATLAS_DEMO_DIR naming an atlas the demo did not build: used as it is, never replaced
    if not ok:
        build_demo(d, replace=True)
    return d
