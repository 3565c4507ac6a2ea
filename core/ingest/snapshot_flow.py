"""From a weekly snapshot on the Hub to an atlas: find it, download and verify it (``snapshot_get``), import it
in one transaction (``files.import_paths``, which reads it with ``hubstats_parquet``), and record where the data
came from (repository, file, date, rows, sha256) and the mark from which `sync --refresh` fetches what changed
since."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hubatlas.core.ingest.files import import_paths
from hubatlas.core.ingest.hubclient import endpoint as resolve_endpoint
from hubatlas.core.ingest.snapshot_get import SnapshotFile, download, find_snapshot
from hubatlas.core.store.database import Store

# a refresh goes down to the snapshot's date, or to an hour before its newest change if that is earlier (a
# week's folder can hold an older day's copy of the daily table)
MARGIN = timedelta(hours=1)


@dataclass
class GetOptions:
    endpoint: str | None = None
    date: str | None = None
    hf_path: str | None = None
    keep: bool = False  # keep the downloaded file after the import
    progress: bool | None = None
    on_bytes: Callable[[int, int], None] | None = None
    cancel: Callable[[], bool] | None = None
    on_stage: Callable[[str], None] | None = None  # "download", "import"


@dataclass
class GetSummary:
    repo: str = ""
    file: str = ""
    date: str | None = None
    bytes: int = 0
    sha256: str | None = None
    rows: int = 0
    records: int = 0
    edges: int = 0
    quarantined: int = 0
    placeholders_added: int = 0
    notes: list[str] = field(default_factory=list)
    refresh_from: str | None = None
    download_seconds: float = 0.0
    import_seconds: float = 0.0


def locate(opts: GetOptions) -> tuple[str, SnapshotFile]:
    """(endpoint, the snapshot file and what the Hub declares about it)."""
    base = resolve_endpoint(opts.endpoint)
    return base, find_snapshot(base, opts.date, opts.hf_path)


def refresh_mark(date: str | None, newest_change: str | None) -> str | None:
    """Where `sync --refresh` starts after this snapshot, in the Hub's lastModified format."""
    marks = []
    if date:
        marks.append(datetime.strptime(date, "%Y-%m-%d").replace(tzinfo=timezone.utc))
    if newest_change:
        try:
            t = datetime.strptime(newest_change[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
            marks.append(t - MARGIN)
        except ValueError:
            pass
    return min(marks).strftime("%Y-%m-%dT%H:%M:%S.000Z") if marks else None


def provenance(sf: SnapshotFile, rows: int) -> dict[str, str]:
    """The meta keys that say where the atlas's data came from (shown by `stats` and in attributions)."""
    return {
        "snapshot_repo": sf.repo,
        "snapshot_file": sf.path,
        "snapshot_revision": sf.revision,
        "snapshot_date": sf.date or "",
        "snapshot_rows": str(rows),
        "snapshot_sha256": sf.sha256 or "",
        "snapshot_bytes": str(sf.size),
    }


def import_snapshot(store: Store, path: Path, sf: SnapshotFile, progress: bool | None, s: GetSummary) -> None:
    """Import the verified file in one transaction, with its provenance and the refresh mark."""
    import pyarrow.parquet as pq

    rows = pq.ParquetFile(path).metadata.num_rows
    t = time.perf_counter()
    imp = import_paths(store, [path], "hub-snapshot-parquet", progress=progress, meta=provenance(sf, rows))
    newest = store.conn.execute(
        "SELECT max(last_modified) FROM models WHERE source='hub-snapshot' AND last_modified <= ?",
        (datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"),),
    ).fetchone()[0]
    mark = refresh_mark(sf.date, newest)
    if mark:
        with store.transaction():
            store.set_meta(sync_high_water=mark)
    s.rows, s.records, s.edges = rows, imp.records, imp.edges
    s.quarantined, s.placeholders_added, s.notes = imp.quarantined, imp.placeholders_added, imp.notes
    s.refresh_from = mark
    s.import_seconds = round(time.perf_counter() - t, 2)


def get_snapshot(store: Store, opts: GetOptions, downloads: Path | None = None) -> GetSummary:
    """Find, download, verify and import a weekly snapshot into ``store``; nothing is imported when the
    file is not the one the Hub declares."""
    base, sf = locate(opts)
    s = GetSummary(repo=sf.repo, file=sf.path, date=sf.date, bytes=sf.size, sha256=sf.sha256)
    folder = downloads or store.dir / "downloads"
    stage = opts.on_stage or (lambda name: None)
    t = time.perf_counter()
    stage("download")
    path = download(base, sf, folder, opts.progress, opts.on_bytes, opts.cancel)
    s.download_seconds = round(time.perf_counter() - t, 2)
    stage("import")
    import_snapshot(store, path, sf, opts.progress, s)
    if not opts.keep:
        path.unlink(missing_ok=True)
    return s
