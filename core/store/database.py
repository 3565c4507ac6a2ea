"""The atlas cache: one SQLite file (WAL) managed with sqlite-utils, the source of truth for every view."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import sqlite_utils

from hubatlas.core.common.paths import DB_NAME, SNAPSHOT_DIR
from hubatlas.core.store import integrity
from hubatlas.core.store.integrity import CacheDamaged, CheckNotRun, damaged_message
from hubatlas.core.store.legacy_ids import resolve_legacy_ids
from hubatlas.core.store.lock import CacheBusy, Holder, WriterLock
from hubatlas.core.store.parent_ids import resolve_parent_case
from hubatlas.core.store.reads import StoreReads
from hubatlas.core.store.rows import Batch
from hubatlas.core.store.schema import MIGRATIONS, MODEL_COLUMNS, SCHEMA_VERSION


class StoreError(RuntimeError):
    """The cache cannot be opened or is not a hubatlas cache."""


class ReadOnlyCache(StoreError):
    """A writing command on a cache that cannot be written."""


def is_writable(cache_dir: Path) -> bool:
    """Whether files can be written in the cache directory and its database (not a read-only mount, a
    packaged atlas or another user's folder)."""
    db = cache_dir / DB_NAME
    return os.access(cache_dir, os.W_OK) and (not db.exists() or os.access(db, os.W_OK))


def utcnow() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


_UPSERT = (
    f"INSERT INTO models ({', '.join(MODEL_COLUMNS)}, placeholder) VALUES ({', '.join('?' * len(MODEL_COLUMNS))}, 0) "
    "ON CONFLICT(id) DO UPDATE SET "
    + ", ".join(f"{c}=excluded.{c}" for c in MODEL_COLUMNS if c != "id")
    + ", placeholder=0, removed_at=NULL"
)
_EDGE_UPSERT = (
    "INSERT INTO edges (child, parent, relation, source) VALUES (?, ?, ?, ?) "
    "ON CONFLICT(child, parent) DO UPDATE SET relation=excluded.relation, source=excluded.source"
)


class Store(StoreReads):
    """An open atlas cache directory. Use as a context manager; writes go through :meth:`transaction`."""

    seen_keys: set[int] | None = None  # during a bulk load (core.store.bulk_load): hashes of the ids written

    def __init__(
        self,
        cache_dir: str | Path,
        *,
        create: bool = True,
        readonly: bool = False,
        wait: float | None = None,
        on_wait: Callable[[Holder], None] | None = None,
    ):
        """``readonly``: read through a read-only connection (an immutable one where the cache cannot be
        written at all: a read-only mount, a packaged atlas). Otherwise this is the cache's one writer: it
        takes the writer lock first, waiting up to ``wait`` seconds (None: as long as it takes; ``on_wait``
        is told who holds it) and raises StoreError when the time runs out or the cache is read-only."""
        self.dir = Path(cache_dir)
        self.path = self.dir / DB_NAME
        self.readonly = readonly
        self._lock: WriterLock | None = None
        existed = self.path.exists()
        if not existed:
            if not create or readonly:
                raise StoreError(
                    f"no atlas cache at {self.dir} (run `hubatlas import`, `sync`, `synth` or `demo`)"
                )
            try:
                self.dir.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise StoreError(f"cannot create the cache directory {self.dir}: {e.strerror}") from None
        writable = is_writable(self.dir)
        if not readonly:
            if not writable:
                raise ReadOnlyCache(
                    f"{self.dir} is a read-only cache: reading commands, `view` and `export` work "
                    "on it; to change it, copy it to a writable --cache directory"
                )
            self._lock = WriterLock(self.dir)
            try:
                self._lock.acquire(wait, on_wait)
            except CacheBusy as e:
                self._lock = None
                raise StoreError(str(e)) from None
        try:
            self._connect(writable)
            if (
                existed
                and integrity.needs_check(self.path)
                and (not readonly or not WriterLock(self.dir).busy())
            ):
                integrity.check(self.conn, self.path)  # changed by something other than hubatlas
            if not readonly:
                self._migrate()
            elif self._check_version() < SCHEMA_VERSION:
                self._upgrade_then_read(writable, wait, on_wait)
        except (sqlite3.DatabaseError, CacheDamaged, CheckNotRun, StoreError) as e:
            self._abandon()
            if isinstance(e, StoreError):
                raise
            if isinstance(e, (CacheDamaged, CheckNotRun)):
                raise StoreError(str(e)) from None
            if getattr(e, "sqlite_errorcode", None) == getattr(sqlite3, "SQLITE_NOTADB", 26):
                raise StoreError(
                    f"{self.path} is not a usable atlas cache ({e}): damaged, or not an atlas; "
                    "rebuild it with `hubatlas sync` or `hubatlas import` into a new --cache "
                    "directory"
                ) from None
            raise StoreError(damaged_message(self.dir, e)) from None

    def _connect(self, writable: bool) -> None:
        if self.readonly:
            # immutable where nothing can be written beside the file (SQLite could not make its -shm file)
            uri = self.path.resolve().as_uri() + ("?mode=ro" if writable else "?mode=ro&immutable=1")
            conn = sqlite3.connect(uri, uri=True, isolation_level=None)
        else:
            conn = sqlite3.connect(self.path, isolation_level=None)
        self.db = sqlite_utils.Database(conn)
        conn.execute("PRAGMA busy_timeout=10000")
        if not self.readonly:
            conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA cache_size=-262144")
        conn.execute("PRAGMA temp_store=MEMORY")
        if self.readonly:  # read pages in place: fast cold searches (writers keep SQLite's page cache)
            conn.execute("PRAGMA mmap_size=4294967296")

    def _abandon(self) -> None:
        """Undo a failed open: close what was opened and give the lock back."""
        if getattr(self, "db", None) is not None:
            self.db.conn.close()
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    # -- lifecycle -------------------------------------------------------------------------------------------
    def close(self) -> None:
        self.db.conn.close()
        if self._lock is not None:  # the file as this writer left it is known good
            integrity.record(self.path)
            self._lock.release()
            self._lock = None

    def clear(self) -> None:
        """Replace the whole atlas with an empty one (the writer keeps its lock): the database and its side
        files and the snapshot are removed; cached layouts, keyed by content, stay."""
        import shutil

        if self._lock is None:
            raise StoreError("only the cache's writer can clear it")
        self.db.conn.close()
        for p in self.dir.glob(DB_NAME + "*"):
            p.unlink()
        shutil.rmtree(self.dir / SNAPSHOT_DIR, ignore_errors=True)
        self._connect(True)
        self._migrate()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def conn(self) -> sqlite3.Connection:  # type: ignore[override]  # StoreReads declares it as an attribute
        return self.db.conn

    def _check_version(self) -> int:
        if "_migrations" not in self.db.table_names():
            raise StoreError(f"{self.path} is not a hubatlas cache")
        v = self.conn.execute("SELECT max(version) FROM _migrations").fetchone()[0] or 0
        if v > SCHEMA_VERSION:
            raise StoreError(f"{self.path} was written by a newer hubatlas (schema {v} > {SCHEMA_VERSION})")
        return v

    def _upgrade_then_read(self, writable: bool, wait, on_wait) -> None:
        """A reader of a cache written by an older hubatlas: its schema is brought up to date first (by a
        short-lived writer), or, where the cache cannot be written, a clear error."""
        self.db.conn.close()
        if not writable:
            raise StoreError(
                f"{self.dir} was written by an older hubatlas and is read-only: open it once where "
                "it can be written (any command) to upgrade it"
            )
        Store(self.dir, create=False, wait=wait, on_wait=on_wait).close()
        self._connect(writable)

    def _migrate(self) -> None:
        names = set(self.db.table_names())
        if names and "_migrations" not in names:
            raise StoreError(f"{self.path} is an SQLite file but not a hubatlas cache")
        if "_migrations" not in names:
            self.db.table("_migrations").create(
                {"version": int, "name": str, "applied_at": str}, pk="version"
            )
        self._check_version()
        done = {r[0] for r in self.conn.execute("SELECT version FROM _migrations")}
        for version, name, sql in MIGRATIONS:
            if version in done:
                continue
            with self.transaction():
                for stmt in _split_sql(sql):
                    self.conn.execute(stmt)
                self.db.table("_migrations").insert(
                    {"version": version, "name": name, "applied_at": utcnow()}
                )

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """Several reads that see one state of the database (a deferred read transaction; within a write
        transaction already, that one)."""
        c = self.conn
        if c.in_transaction:
            yield c
            return
        c.execute("BEGIN")
        try:
            yield c
        finally:
            c.execute("COMMIT" if c.in_transaction else "SELECT 1")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic write: committed on success, rolled back (nothing changed) on any exception."""
        c = self.conn
        c.execute("BEGIN IMMEDIATE")
        try:
            yield c
        except BaseException:
            c.execute("ROLLBACK")
            raise
        else:
            c.execute("COMMIT")

    # -- writes (call inside transaction()) ------------------------------------------------------------------
    def _max_rowid(self) -> int:
        return self.conn.execute("SELECT coalesce(max(rowid), 0) FROM models").fetchone()[0]

    def _index_new(self, since_rowid: int) -> None:
        """Add rows inserted after ``since_rowid`` to the full-text index (one bulk statement)."""
        self.conn.execute(
            "INSERT INTO models_fts (rowid, id) SELECT rowid, id FROM models WHERE rowid > ?", (since_rowid,)
        )
        self.conn.execute(
            "INSERT INTO models_tags_fts (rowid, pipeline_tag, tags) "
            "SELECT rowid, pipeline_tag, tags FROM models WHERE rowid > ?",
            (since_rowid,),
        )

    def upsert_models(self, rows: Iterable[tuple]) -> None:
        """Insert or update normalised rows (see schema.MODEL_COLUMNS); a placeholder becomes real.

        A batch that names an id twice keeps the last record (ids are deduplicated before writing, so
        every row is indexed exactly once). The Hub resolves ids case-insensitively, so ids that differ only
        in case are one model: the last record wins, in the batch and over what is stored (the stored row
        gives way, and edges naming it follow the new spelling)."""
        unique = list({r[0].lower(): r for r in rows}.values())
        self._respell([r[0] for r in unique])
        start = self._max_rowid()
        self.conn.executemany(_UPSERT, unique)
        self._index_new(start)

    def _respell(self, ids: list[str]) -> None:
        """Stored models whose ids equal one of ``ids`` but for case give way to the new spelling."""
        if self.seen_keys is not None:  # a bulk load: only ids that may have been written already
            keys = [hash(i.lower()) for i in ids]
            ids = [i for i, k in zip(ids, keys, strict=True) if k in self.seen_keys]
            self.seen_keys.update(keys)
            if not ids:
                return
        pairs = self.conn.execute(
            "SELECT m.id, j.value FROM json_each(?) j JOIN models m ON m.id = j.value COLLATE NOCASE "
            "WHERE m.id != j.value",
            (json.dumps(ids),),
        ).fetchall()
        for old, new in pairs:
            self.conn.execute("UPDATE OR IGNORE edges SET child=? WHERE child=?", (new, old))
            self.conn.execute("UPDATE OR IGNORE edges SET parent=? WHERE parent=?", (new, old))
            self.conn.execute("DELETE FROM edges WHERE child=? OR parent=?", (old, old))
            self.conn.execute("DELETE FROM models WHERE id=?", (old,))

    def replace_edges(self, children: Iterable[str], edges: Iterable[tuple[str, str, str, str]]) -> None:
        """Replace the documented (non-inferred) parents of ``children`` with ``edges``."""
        self.conn.execute(
            "DELETE FROM edges WHERE child IN (SELECT value FROM json_each(?)) AND source!='inferred'",
            (json.dumps(list(children)),),
        )
        self.conn.executemany(_EDGE_UPSERT, edges)

    def add_edges(self, edges: Iterable[tuple[str, str, str, str]]) -> None:
        self.conn.executemany(_EDGE_UPSERT, edges)

    def record_self_loops(self, ids: Iterable[str]) -> None:
        self.conn.executemany("INSERT OR IGNORE INTO self_loops (id) VALUES (?)", ((i,) for i in ids))

    def record_dropped_parents(self, children: Iterable[str], dropped: Iterable[tuple[str, str]]) -> None:
        """Replace what ``children`` named as parents that are not model ids (counted in `stats`)."""
        self.conn.execute(
            "DELETE FROM dropped_parents WHERE child IN (SELECT value FROM json_each(?))",
            (json.dumps(list(children)),),
        )
        self.conn.executemany(
            "INSERT OR IGNORE INTO dropped_parents (child, value) VALUES (?, ?)",
            ((c, v[:300]) for c, v in dropped),
        )

    def add_placeholders(self) -> int:
        """A placeholder node for every parent missing from the data, so families keep their root (parents
        are first spelled as the models they name, case-insensitively); a placeholder no edge names any more
        (its children were re-imported or synced without it) is removed."""
        resolve_parent_case(self.conn)
        resolve_legacy_ids(self.conn)  # an old un-namespaced id joins the model it names now
        self.conn.execute(
            "DELETE FROM models WHERE placeholder = 1 AND NOT EXISTS "
            "(SELECT 1 FROM edges e WHERE e.parent = models.id)"
        )
        start = self._max_rowid()
        cur = self.conn.execute(
            "INSERT OR IGNORE INTO models (id, author, placeholder, source) "
            "SELECT DISTINCT e.parent, CASE WHEN instr(e.parent, '/') > 0 "
            "THEN substr(e.parent, 1, instr(e.parent, '/') - 1) END, 1, 'placeholder' "
            "FROM edges e LEFT JOIN models m ON m.id = e.parent WHERE m.id IS NULL"
        )
        self._index_new(start)
        return cur.rowcount

    def set_meta(self, **values: object) -> None:
        self.conn.executemany(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            [(k, v if isinstance(v, str) else json.dumps(v)) for k, v in values.items()],
        )

    def write_batch(self, batch: Batch, *, replace_edges: bool = True) -> None:
        """Write a batch of models with their documented parents, self-loops dropped and parent values that
        are not ids (inside the caller's transaction). ``replace_edges``: the batch's models' documented
        parents are exactly those given (an import or sync); else edges are only added (a new atlas)."""
        self.upsert_models(batch.rows)
        if replace_edges:
            self.replace_edges([r.id for r in batch.rows], batch.edges)
        else:
            self.add_edges(batch.edges)
        self.record_self_loops(batch.self_loops)
        if batch.dropped_parents or replace_edges:
            self.record_dropped_parents([r.id for r in batch.rows], batch.dropped_parents)

    def finish(self, **meta: object) -> int:
        """The end of every write of models (import, sync, demo, synthetic hub), inside its transaction: a
        placeholder for every missing parent, the metadata given (a real atlas unless it says otherwise) and
        a new data version (the snapshot is then stale). Returns the placeholders added."""
        added = self.add_placeholders()
        if "synthetic" not in meta and self.meta().get("synthetic") is None:
            meta["synthetic"] = "false"
        self.set_meta(**meta)
        self.bump_data_version()
        return added

    # -- reads -----------------------------------------------------------------------------------------------
    def is_synthetic(self) -> bool:
        return self.meta().get("synthetic") == "true"

    def data_version(self) -> str:
        """Changes whenever models or edges change (used to know when the snapshot is stale)."""
        return self.meta().get("data_version", "0")

    def bump_data_version(self) -> None:
        self.set_meta(data_version=str(int(self.data_version()) + 1), updated_at=utcnow())


def _split_sql(sql: str) -> list[str]:
    """Split a migration script into statements, keeping trigger bodies (BEGIN ... END;) whole."""
    out, buf = [], []
    for line in sql.strip().splitlines():
        buf.append(line)
        text = "\n".join(buf).strip()
        if text.endswith(";") and sqlite3.complete_statement(text):
            out.append(text)
            buf = []
    if "".join(buf).strip():
        out.append("\n".join(buf))
    return out
