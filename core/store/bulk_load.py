"""A load into an empty atlas (a new synthetic hub, the first import of a snapshot), made faster.

SQLite keeps a secondary index up to date row by row, which at two million models costs more than the rows:
each random key lands on another page. Building the index once from the loaded table sorts it instead. So while
the first models of an atlas are written, `bulk_load` drops the secondary indexes (the models' case-insensitive
id and name and creation date, the edges' parent) and creates them again, from their stored SQL, before the
caller's transaction goes on; an error inside rolls the whole transaction back, indexes included.

Without the case-insensitive index, the store finds ids that differ only in case from what this load already
wrote through a set of their hashes (`Store.seen_keys`): only a batch with a possible match asks the table
(a scan, rare). The unique index on ``id`` stays, so upserts keep their meaning.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hubatlas.core.store.database import Store

SECONDARY = ("models_id_nocase", "models_name_nocase", "models_created", "edges_parent")


@contextmanager
def bulk_load(store: Store) -> Iterator[bool]:
    """Inside ``store.transaction()``: yields True when the atlas had no models (the indexes are rebuilt
    at the end), else False (nothing changes)."""
    c = store.conn
    if not c.in_transaction:
        raise RuntimeError("bulk_load runs inside the store's transaction")
    if c.execute("SELECT 1 FROM models LIMIT 1").fetchone():
        yield False
        return
    marks = ",".join("?" * len(SECONDARY))
    sql = dict(
        c.execute(f"SELECT name, sql FROM sqlite_master WHERE type='index' AND name IN ({marks})", SECONDARY)
    )
    for name in sql:
        c.execute(f'DROP INDEX "{name}"')
    store.seen_keys = set()
    try:
        yield True
    finally:
        store.seen_keys = None
    for name in SECONDARY:  # an exception skips this: the caller's transaction rolls back the drops
        if name in sql:
            c.execute(sql[name])
