"""Reader for the published whole-Hub parquet dump of "Anatomy of a Machine Learning Ecosystem"
(``modelbiome/ai_ecosystem``): one row per model, parents in typed columns (one id or a list)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

from hubatlas.core.common.text import shown
from hubatlas.core.ingest.batch import BATCH, Batch, ImportFailed
from hubatlas.core.ingest.records import ID_PATTERN_RE2, ID_RE, RecordError, author_of, json_list
from hubatlas.core.store.rows import EdgeRow, ModelRow

REQUIRED = ("model_id",)
INT_COLS = ("likes", "downloads", "card_length")
STR_COLS = ("pipeline_tag", "library_name")
LIST_COLS = ("tags", "licenses", "languages")
# parent column -> relation; `parent_model` carries parents whose relation the dump does not type.
PARENT_COLS = {
    "finetune_parent": "finetune",
    "adapter_parent": "adapter",
    "quantized_parent": "quantized",
    "merge_parent": "merge",
    "parent_model": "unknown",
}
DATE_COLS = ("createdAt",)
KNOWN = set(REQUIRED) | set(INT_COLS) | set(STR_COLS) | set(LIST_COLS) | set(PARENT_COLS) | set(DATE_COLS)


def _check_schema(path: Path, schema) -> list[str]:
    import pyarrow.types as t

    names = set(schema.names)
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise ImportFailed(
            f"{path}: not an ecosystem dump: missing column(s) {', '.join(missing)} "
            f"(has: {', '.join(sorted(names)[:12])})"
        )
    if not (names & (set(PARENT_COLS) | {"tags", "pipeline_tag", "downloads"})):
        raise ImportFailed(
            f"{path}: not an ecosystem dump: none of the expected columns "
            "(tags, pipeline_tag, downloads, *_parent)"
        )

    def is_str(ty):
        return (
            t.is_string(ty)
            or t.is_large_string(ty)
            or t.is_null(ty)
            or (t.is_dictionary(ty) and (t.is_string(ty.value_type) or t.is_large_string(ty.value_type)))
        )

    def is_str_list(ty):
        return (t.is_list(ty) or t.is_large_list(ty)) and is_str(ty.value_type)

    for name in schema.names:
        ty = schema.field(name).type
        ok = True
        if name in REQUIRED or name in STR_COLS:
            ok = is_str(ty)
        elif name in INT_COLS:
            ok = t.is_integer(ty) or t.is_floating(ty) or t.is_null(ty)
        elif name in LIST_COLS or name in PARENT_COLS:
            ok = is_str(ty) or is_str_list(ty)
        elif name in DATE_COLS:
            ok = is_str(ty) or t.is_timestamp(ty) or t.is_date(ty)
        if not ok:
            raise ImportFailed(f"{path}: column {name!r} has type {ty}, which this format does not allow")
    return [n for n in schema.names if n in KNOWN]


def _listish(v: object) -> list[str]:
    """One id, a list, or a list written as text (``"['a', 'b']"``) -> list of strings. Never evaluates."""
    if v is None:
        return []
    if isinstance(v, list):
        return [x for x in v if isinstance(x, str) and x.strip()]
    s = str(v).strip()
    if not s:
        return []
    if s.startswith("[") and s.endswith("]"):
        inner = s[1:-1]
        return [p.strip().strip("'\"").strip() for p in inner.split(",") if p.strip().strip("'\"").strip()]
    return [s]


def _int(v: object, col: str) -> int | None:
    if v is None or type(v) is int:
        return v
    if isinstance(v, float):
        if v != v:
            return None
        if not v.is_integer():
            raise RecordError(f"column {col!r} holds a non-integer value {shown(v)}")
        return int(v)
    return int(v)  # type: ignore[call-overload]  # str or numpy ints; anything else raises, which is caught


def _date(v: object) -> str | None:
    if v is None:
        return None
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if isinstance(v, date):
        return v.isoformat() + "T00:00:00.000Z"
    return str(v) if v else None


def iter_parquet(path: Path) -> Iterator[Batch]:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except Exception as e:
        raise ImportFailed(f"{path}: not a readable parquet file: {e}") from None
    cols = _check_schema(path, pf.schema_arrow)
    start = 0
    try:
        for rb in pf.iter_batches(batch_size=BATCH, columns=cols):
            yield _batch(path, rb, cols, start)
            start += rb.num_rows
    except ImportFailed:
        raise
    except Exception as e:  # corrupt pages etc.
        raise ImportFailed(f"{path}: unreadable near row {start}: {e}") from None


def _check_ids(path: Path, ids, start: int) -> None:
    """Validate a whole id column at once (Arrow compute); name the first bad row."""
    import pyarrow.compute as pc

    ok = pc.and_(pc.match_substring_regex(ids, ID_PATTERN_RE2), pc.invert(pc.match_substring(ids, "..")))
    ok = pc.fill_null(ok, False)
    if not pc.all(ok).as_py():
        i = ok.to_pylist().index(False)
        raise ImportFailed(f"{path}: row {start + i} ({shown(ids[i].as_py())}): invalid model id")


def _batch(path: Path, rb, cols: list[str], start: int) -> Batch:
    n = rb.num_rows
    ids_arr = rb.column("model_id")
    _check_ids(path, ids_arr, start)
    data = {c: rb.column(c).to_pylist() for c in cols}
    none = [None] * n
    ids = data["model_id"]
    likes, downloads, card = (data.get(c, none) for c in INT_COLS)
    tags_c, lic_c, lang_c = (data.get(c, none) for c in LIST_COLS)
    ptag, lib = (data.get(c, none) for c in STR_COLS)
    created = data.get("createdAt", none)
    if created is not none and rb.schema.field("createdAt").type != pa_string():
        created = [_date(v) for v in created]
    parent_cols = [(data[c], rel) for c, rel in PARENT_COLS.items() if c in data]
    b = Batch()
    rows, all_edges, loops = b.rows, b.edges, b.self_loops
    for i in range(n):
        mid = ids[i]
        try:
            edges: dict[str, str] = {}
            for col, rel in parent_cols:
                v = col[i]
                if v is None:
                    continue
                for p in _listish(v):
                    if rel == "unknown" and p in edges:
                        continue
                    edges[p] = rel
            if edges:
                if mid in edges:
                    loops.append(mid)
                    del edges[mid]
                if len(edges) > 1:
                    edges = {p: ("merge" if r == "unknown" else r) for p, r in edges.items()}
                all_edges.extend(
                    EdgeRow(mid, p, r, "card")
                    for p, r in edges.items()
                    if ID_RE.fullmatch(p) and ".." not in p
                )
            lic = lic_c[i]
            if lic is not None and not isinstance(lic, list):
                lic = _listish(lic)
            tg, lg = tags_c[i], lang_c[i]
            rows.append(
                ModelRow(
                    mid,
                    author_of(mid),
                    created[i] or None,
                    None,
                    _int(downloads[i], "downloads"),
                    _int(likes[i], "likes"),
                    ptag[i] or None,
                    lib[i] or None,
                    lic[0] if lic else None,
                    json_list(_listish(lg)),
                    json_list(_listish(tg)),
                    None,
                    _int(card[i], "card_length"),
                    "ecosystem-parquet",
                    None,
                )
            )
        except (RecordError, TypeError, ValueError) as e:
            raise ImportFailed(f"{path}: row {start + i} ({shown(mid)}): {e}") from None
    return b


def pa_string():
    import pyarrow as pa

    return pa.string()
