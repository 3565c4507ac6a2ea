"""Importers: Hub API records (JSON list / JSONL) and the published whole-Hub parquet dump.

Every import is one transaction over all its files: a file broken anywhere (bad JSON, wrong columns, wrong
types, an invalid record) raises ImportFailed naming the file and the record, and the cache is left exactly
as it was. Re-importing the same data is idempotent (rows are upserted, a model's documented edges replaced).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from hubatlas.core.common.progress import bar
from hubatlas.core.common.text import shown
from hubatlas.core.ingest.batch import BATCH, Batch, ImportFailed
from hubatlas.core.ingest.producers import in_process, prefetch
from hubatlas.core.ingest.records import RecordError, check_storable, record_to_row
from hubatlas.core.store.bulk_load import bulk_load
from hubatlas.core.store.database import Store, utcnow

FORMATS = ("auto", "hub-json", "hub-jsonl", "ecosystem-parquet", "hub-snapshot-parquet")
PARQUET_FORMATS = ("ecosystem-parquet", "hub-snapshot-parquet")


@dataclass
class ImportSummary:
    files: int = 0
    records: int = 0
    edges: int = 0
    self_loops: int = 0
    placeholders_added: int = 0
    formats: dict[str, int] = field(default_factory=dict)
    quarantined: int = 0
    notes: list[str] = field(default_factory=list)  # what a file lacks (said once per file)
    rows_by_file: dict[str, int] = field(default_factory=dict)


GZIP_MAGIC = b"\x1f\x8b"


def is_gzip(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(2) == GZIP_MAGIC


def open_records(path: Path):
    """A binary reader of a JSON / JSONL file, decompressed on the fly when it is gzipped (as published dumps
    often are: ``models.jsonl.gz``)."""
    return gzip.open(path, "rb") if is_gzip(path) else open(path, "rb")


def detect_format(path: Path) -> str:
    """Guess a file's format from its name (a ``.gz`` ending is looked through), then its first bytes."""
    name = path.name.lower().removesuffix(".gz")
    if name.endswith(".parquet") and not is_gzip(path):
        return _parquet_format(path)
    if name.endswith((".jsonl", ".ndjson", ".jsonl.txt")):
        return "hub-jsonl"
    try:
        with open_records(path) as f:
            first = f.read(65536)
    except (OSError, EOFError) as e:
        raise ImportFailed(f"{path}: cannot be read ({e})") from None
    if first[:4] == b"PAR1":
        return _parquet_format(path)
    first = first.removeprefix(b"\xef\xbb\xbf").lstrip()  # a UTF-8 byte-order mark, as Windows tools write
    if not first:
        raise ImportFailed(f"{path}: is empty (no records; a download cut short?)")
    if first.startswith(b"["):
        return "hub-json"
    if first.startswith(b"{"):
        # one object spread over lines (a model-info file) or one object per line
        try:
            with open_records(path) as f:
                json.loads(f.read())
            return "hub-json"
        except (ValueError, RecursionError, OSError, EOFError):
            return "hub-jsonl"
    raise ImportFailed(f"{path}: cannot tell the format (not JSON, JSONL or parquet); pass --format")


def _parquet_format(path: Path) -> str:
    """Which parquet layout a file has: the Hub's own models table (``id``, as in hub-stats and its weekly
    snapshots) or the ecosystem dump (``model_id``)."""
    from hubatlas.core.ingest.hubstats_parquet import is_snapshot_schema

    try:
        import pyarrow.parquet as pq

        names = pq.read_schema(path).names
    except Exception:
        return "ecosystem-parquet"  # its reader says what is wrong with the file
    return "hub-snapshot-parquet" if is_snapshot_schema(names) else "ecosystem-parquet"


def _iter_hub_json(path: Path, source: str) -> Iterator[Batch]:
    try:
        with open_records(path) as f:
            data = json.loads(f.read())
    except (OSError, EOFError) as e:
        raise ImportFailed(f"{path}: cannot be read: {e}") from None
    except (ValueError, UnicodeDecodeError) as e:
        raise ImportFailed(f"{path}: not valid JSON: {e}") from None
    except RecursionError:
        raise ImportFailed(f"{path}: not a Hub record file: JSON nested too deeply") from None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise ImportFailed(f"{path}: expected a JSON list of model records or one record object")
    batch = Batch()
    for i, rec in enumerate(data):
        try:
            batch.add(*record_to_row(rec, source))
        except RecordError as e:
            raise ImportFailed(f"{path}: record {i} ({_rid(rec)}): {e}") from None
        if len(batch.rows) >= BATCH:
            yield batch
            batch = Batch()
    yield batch


def _iter_hub_jsonl(path: Path, source: str) -> Iterator[Batch]:
    try:
        yield from _jsonl_batches(path, source)
    except (OSError, EOFError) as e:  # a truncated or damaged gzip stream
        raise ImportFailed(f"{path}: cannot be read to the end: {e}") from None


def _jsonl_batches(path: Path, source: str) -> Iterator[Batch]:
    batch = Batch()
    with open_records(path) as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
                batch.add(*record_to_row(rec, source))
            except (ValueError, UnicodeDecodeError) as e:
                what = "invalid record" if isinstance(e, RecordError) else "not valid JSON"
                raise ImportFailed(f"{path}: line {lineno}: {what}: {e}") from None
            except RecursionError:
                raise ImportFailed(f"{path}: line {lineno}: JSON nested too deeply") from None
            if len(batch.rows) >= BATCH:
                yield batch
                batch = Batch()
    yield batch


def _rid(rec: object) -> str:
    if isinstance(rec, dict):
        return shown(rec.get("id", rec.get("modelId", "?")))
    return "not an object"


def iter_batches(path: Path, fmt: str) -> Iterator[Batch]:
    """Normalised batches of one file; ImportFailed on the first problem."""
    if fmt == "hub-json":
        return _iter_hub_json(path, "hub-json")
    if fmt == "hub-jsonl":
        return _iter_hub_jsonl(path, "hub-json")
    if fmt == "ecosystem-parquet":
        from hubatlas.core.ingest.parquet import iter_parquet

        return iter_parquet(path)
    if fmt == "hub-snapshot-parquet":
        from hubatlas.core.ingest.hubstats_parquet import iter_snapshot

        return iter_snapshot(path)
    raise ImportFailed(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def _parse_file(path: str, fmt: str) -> Iterator[Batch]:
    """A file's batches (run in the reader process; its errors become ImportFailed naming the file)."""
    try:
        yield from iter_batches(Path(path), fmt)
    except ImportFailed:
        raise
    except Exception as e:
        raise ImportFailed(f"{path}: {type(e).__name__}: {e}") from None


def parse_in_process(path: Path, fmt: str) -> Iterator[Batch]:
    """Parse in a child process: the large parquet dumps."""
    return in_process(_parse_file, (str(path), fmt), f"{path}: the reader process")


def count_records(path: Path, fmt: str) -> int | None:
    if fmt in PARQUET_FORMATS:
        try:
            import pyarrow.parquet as pq

            return pq.ParquetFile(path).metadata.num_rows
        except Exception:
            return None
    return None


def _check_readable(p: Path) -> None:
    """A clear reason for a path that cannot be imported: missing, a folder, not readable."""
    if p.is_dir():
        raise ImportFailed(f"{p}: is a folder, not a file (name the files inside it)")
    if not p.exists():
        raise ImportFailed(f"{p}: no such file")
    if not p.is_file():
        raise ImportFailed(f"{p}: not a regular file")
    try:
        with open(p, "rb") as fh:
            fh.read(1)
        with open_records(p) as fh:
            if not fh.read(4096).strip():
                raise ImportFailed(f"{p}: is empty (no records; a download cut short?)")
    except (OSError, EOFError) as e:
        raise ImportFailed(f"{p}: cannot be read ({getattr(e, 'strerror', None) or e})") from None


def _unstorable(path: Path, batch: Batch) -> ImportFailed:
    """The error for a batch the database refused as text, naming the first record at fault."""
    for row in batch.rows:
        try:
            check_storable(row, [e for e in batch.edges if e.child == row.id])
        except RecordError as e:
            return ImportFailed(f"{path}: the record {ascii(row.id)[:80]} {e}")
    return ImportFailed(f"{path}: a record holds text that is not valid Unicode")


def _quarantine(store: Store, b: Batch) -> int:
    """Keep a batch's unreadable rows in the `quarantine` table (as a sync keeps its bad records)."""
    bad = getattr(b, "quarantined", None)
    if bad:
        store.conn.executemany("INSERT INTO quarantine (received_at, reason, raw) VALUES (?, ?, ?)", bad)
    return len(bad or ())


def _file_notes(p: Path, f: str) -> list[str]:
    if f != "hub-snapshot-parquet":
        return []
    from hubatlas.core.ingest.hubstats_parquet import describe

    return [f"{p.name}: {n}" for n in describe(p).notes()]


def import_paths(
    store: Store,
    paths: list[str | Path],
    fmt: str = "auto",
    progress: bool | None = None,
    meta: dict | None = None,
) -> ImportSummary:
    """Import files into the store atomically (all or nothing) and return what was added. ``meta``: more
    metadata to record with the import (where the data came from), in the same transaction."""
    if fmt not in FORMATS:
        raise ImportFailed(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    files = [Path(p) for p in paths]
    for p in files:
        _check_readable(p)
    plan = [(p, detect_format(p) if fmt == "auto" else fmt) for p in files]
    summary = ImportSummary(files=len(files))
    with store.transaction():
        with bulk_load(store):
            _import_plan(store, plan, summary, progress)
        if summary.records:
            sources = sorted(summary.formats)
            summary.placeholders_added = store.finish(
                source=",".join(sources), imported_at=utcnow(), **(meta or {})
            )
        else:
            summary.placeholders_added = store.add_placeholders()
    return summary


def _import_plan(store: Store, plan: list[tuple[Path, str]], summary: ImportSummary, progress) -> None:
    """Write each planned file's batches (inside the caller's transaction), counting into ``summary``."""
    for p, f in plan:
        total = count_records(p, f)
        summary.notes += _file_notes(p, f)
        with bar(total=total, desc=f"import {p.name}", unit="models", enabled=progress) as pb:
            batches = parse_in_process(p, f) if f in PARQUET_FORMATS else prefetch(iter_batches(p, f))
            for b in batches:
                try:
                    store.write_batch(b)
                except UnicodeEncodeError:
                    raise _unstorable(p, b) from None
                q = _quarantine(store, b)
                summary.quarantined += q
                summary.records += len(b.rows)
                summary.edges += len(b.edges)
                summary.self_loops += len(b.self_loops)
                summary.formats[f] = summary.formats.get(f, 0) + len(b.rows)
                summary.rows_by_file[str(p)] = summary.rows_by_file.get(str(p), 0) + len(b.rows) + q
                pb.update(len(b.rows) + q)
