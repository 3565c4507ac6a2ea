"""Reader for the Hub's published models tables: the daily ``cfahlgren1/hub-stats`` ``models.parquet`` and its
weekly copies in ``hfmlsoc/hub_weekly_snapshots`` (``models/<YYYY-MM-DD>/models.parquet``). One row per model,
in the Hub API's own field names: ``id``, ``author``, ``createdAt``, ``lastModified``, ``downloads``, ``likes``,
``pipeline_tag``, ``library_name``, ``tags``, ``cardData`` (a JSON string), ``baseModels`` (a struct
``{relation, models: [{id}]}``), and wide columns the atlas never reads (``siblings``, ``config``,
``safetensors``, ``gguf``, ...).

The schema has changed over time, so nothing here assumes it is fixed: only ``id`` is required; every other
field is read where it exists with a type this reader understands, a column that is missing or of another type
is reported once (``describe``) and left out, unknown columns are never read (the file is read by row groups,
only the columns used). Each row becomes the same record a Hub API listing gives, normalised by
``records.record_to_row`` like `sync` and `import` do; a row that cannot be stored is quarantined with its
reason, and the import goes on."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from hubatlas.core.ingest.batch import BATCH, Batch, ImportFailed
from hubatlas.core.ingest.records import RecordError, check_storable, record_to_row
from hubatlas.core.store.database import utcnow

FORMAT = "hub-snapshot-parquet"
SOURCE = "hub-snapshot"
# field -> kind of Arrow type it may have
FIELDS = {
    "id": "str",
    "author": "str",
    "createdAt": "date",
    "lastModified": "date",
    "downloads": "int",
    "likes": "int",
    "pipeline_tag": "str",
    "library_name": "str",
    "tags": "str_list",
    "cardData": "json",
    "baseModels": "json",
    "gated": "gated",
}
# cardData is parsed only when it can change what is stored (licence, languages, lineage): most cards cannot
_CARD_KEYS = ('"base_model', '"language', '"license')
MAX_JSON = 1 << 20  # a cardData or baseModels text longer than this is not read (its row is quarantined)


@dataclass
class SnapshotBatch(Batch):
    """A batch with the rows that could not be read: (received_at, reason, raw JSON)."""

    quarantined: list[tuple[str, str, str]] = field(default_factory=list)


@dataclass
class Layout:
    """What a file holds: the columns read, those missing, those left out for their type, and its rows."""

    columns: list[str]
    missing: list[str]
    wrong_type: dict[str, str]
    rows: int
    row_groups: int

    def notes(self) -> list[str]:
        out = []
        if self.missing:
            out.append(f"columns this snapshot does not have (left empty): {', '.join(self.missing)}")
        for c, ty in self.wrong_type.items():
            out.append(f"column {c!r} has type {ty}, which this reader does not use: left empty")
        return out


def _kind_ok(kind: str, ty) -> bool:
    import pyarrow.types as t

    def is_str(x) -> bool:
        return bool(
            t.is_string(x)
            or t.is_large_string(x)
            or t.is_null(x)
            or (t.is_dictionary(x) and (t.is_string(x.value_type) or t.is_large_string(x.value_type)))
        )

    if kind == "str":
        return is_str(ty)
    if kind == "int":
        return bool(t.is_integer(ty) or t.is_null(ty))
    if kind == "date":
        return bool(is_str(ty) or t.is_timestamp(ty) or t.is_date(ty))
    if kind == "str_list":
        return bool((t.is_list(ty) or t.is_large_list(ty)) and is_str(ty.value_type))
    if kind == "json":
        return bool(is_str(ty) or t.is_struct(ty))
    if kind == "gated":
        return bool(is_str(ty) or t.is_boolean(ty))
    return False


def is_snapshot_schema(names: list[str]) -> bool:
    """A models table in the Hub API's field names (``id``, not the ecosystem dump's ``model_id``)."""
    s = set(names)
    return "id" in s and "model_id" not in s and bool(s & (set(FIELDS) - {"id"}))


def describe(path: Path) -> Layout:
    """The file's layout as this reader sees it; ImportFailed when it is not a readable models table."""
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except Exception as e:
        raise ImportFailed(f"{path}: not a readable parquet file: {e}") from None
    schema = pf.schema_arrow
    if "id" not in schema.names:
        raise ImportFailed(
            f"{path}: not a Hub models table: no column 'id' (has: {', '.join(sorted(schema.names)[:12])})"
        )
    if not _kind_ok("str", schema.field("id").type):
        raise ImportFailed(f"{path}: column 'id' has type {schema.field('id').type}, not text")
    cols, wrong = [], {}
    for name, kind in FIELDS.items():
        if name in schema.names:
            ty = schema.field(name).type
            if _kind_ok(kind, ty):
                cols.append(name)
            else:
                wrong[name] = str(ty)
    missing = [n for n in FIELDS if n not in schema.names]
    md = pf.metadata
    return Layout(cols, missing, wrong, md.num_rows, md.num_row_groups)


def _dates(arr) -> list:
    """A date column as the Hub API's text (``2024-07-01T12:03:04.123Z``), whatever its Arrow type."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.types as t

    if t.is_timestamp(arr.type):
        tz = arr.type.tz
        ms = arr.cast(pa.timestamp("ms", tz=tz), safe=False)
        if tz is None:
            ms = pc.assume_timezone(ms, "UTC")
        return pc.strftime(ms, format="%Y-%m-%dT%H:%M:%SZ").to_pylist()
    if t.is_date(arr.type):
        return pc.strftime(arr.cast(pa.timestamp("s")), format="%Y-%m-%dT00:00:00.000Z").to_pylist()
    return arr.to_pylist()


def _json_field(v: object, name: str, wanted: bool) -> object:
    """A JSON-string column's value decoded (a struct column arrives decoded already)."""
    if v is None or not isinstance(v, str):
        return v
    if not wanted:
        return None
    if len(v) > MAX_JSON:
        raise RecordError(f"field {name!r} is over {MAX_JSON} characters")
    try:
        out = json.loads(v)
    except (ValueError, RecursionError):
        raise RecordError(f"field {name!r} is not valid JSON") from None
    return out


def _card_matters(card: str, tags: object) -> bool:
    """Whether a card (JSON text) can change what is stored: lineage or languages, or a licence the tags lack
    (the Hub tags a card's licence as ``license:<id>``). Most cards cannot: they are not parsed."""
    if '"base_model' in card or '"language' in card:
        return True
    if '"license' not in card:
        return False
    return not (isinstance(tags, list) and any(isinstance(t, str) and t.startswith("license:") for t in tags))


_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


def _row_record(data: dict[str, list], i: int) -> tuple[dict, bool]:
    """The row as a Hub API record, and whether its text may hold a lone surrogate (from a JSON escape)."""
    rec = {k: col[i] for k, col in data.items()}
    card = rec.get("cardData")
    risky = False
    if card is not None:
        if isinstance(card, str):
            wanted = _card_matters(card, rec.get("tags"))
            risky = wanted and "\\u" in card and _SURROGATE.search(card) is not None
            card = _json_field(card, "cardData", wanted)
        rec["cardData"] = card if isinstance(card, dict) and card else None
    bm = rec.get("baseModels")
    if bm is not None:
        rec["baseModels"] = _json_field(bm, "baseModels", True)
        risky = risky or (isinstance(bm, str) and "\\u" in bm)
    return rec, risky


def _convert(data: dict[str, list], n: int) -> SnapshotBatch:
    b = SnapshotBatch()
    now = None
    for i in range(n):
        try:
            rec, risky = _row_record(data, i)
            row, edges, loop, dropped = record_to_row(rec, SOURCE, keep_raw=False)
            if risky:  # JSON text may hold a lone surrogate (\ud800); Arrow text cannot
                check_storable(row, edges)
        except (RecordError, TypeError, ValueError) as e:
            now = now or utcnow()
            raw = {
                k: (v if isinstance(v, (str, int, float, bool, type(None))) else str(v))
                for k, v in ((k, col[i]) for k, col in data.items())
            }
            b.quarantined.append((now, str(e), json.dumps(raw, ensure_ascii=True, default=str)[:100_000]))
            continue
        b.add(row, edges, loop, dropped)
    return b


def iter_snapshot(path: Path) -> Iterator[SnapshotBatch]:
    """Normalised batches of one file, read row group by row group, only the columns used."""
    import pyarrow.parquet as pq

    layout = describe(path)
    # streamed page by page (no row group buffered whole): a snapshot written as a few huge row groups costs
    # a batch's worth of memory, not a row group's
    pf = pq.ParquetFile(path, pre_buffer=False, buffer_size=1 << 20)
    start = 0
    try:
        for rb in pf.iter_batches(batch_size=BATCH, columns=layout.columns, use_threads=False):
            data = {}
            for c in layout.columns:
                arr = rb.column(c)
                data[c] = _dates(arr) if FIELDS[c] == "date" else arr.to_pylist()
            yield _convert(data, rb.num_rows)
            start += rb.num_rows
    except ImportFailed:
        raise
    except Exception as e:  # corrupt pages etc.
        raise ImportFailed(f"{path}: unreadable near row {start}: {type(e).__name__}: {e}") from None
