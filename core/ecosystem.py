"""Reader for the published whole-Hub parquet dump of "Anatomy of a Machine Learning Ecosystem"
(``modelbiome/ai_ecosystem``): one row per model, parents in typed columns (one id or a list)."""
from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

from .importers import BATCH, Batch, ImportFailed
from .records import RecordError, author_of, validate_id

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
        raise ImportFailed(f"{path}: not an ecosystem dump: missing column(s) {', '.join(missing)} "
                           f"(has: {', '.join(sorted(names)[:12])})")
    if not (names & (set(PARENT_COLS) | {"tags", "pipeline_tag", "downloads"})):
        raise ImportFailed(f"{path}: not an ecosystem dump: none of the expected columns "
                           "(tags, pipeline_tag, downloads, *_parent)")

    def is_str(ty):
        return t.is_string(ty) or t.is_large_string(ty) or t.is_null(ty) or (
            t.is_dictionary(ty) and (t.is_string(ty.value_type) or t.is_large_string(ty.value_type)))

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
    s = v.strip()
    if not s:
        return []
    if s.startswith("[") and s.endswith("]"):
        inner = s[1:-1]
        return [p.strip().strip("'\"").strip() for p in inner.split(",") if p.strip().strip("'\"").strip()]
    return [s]


def _int(v: object, col: str) -> int | None:
    if v is None:
        return None
    if isinstance(v, float):
        if v != v:
            return None
        if not v.is_integer():
            raise RecordError(f"column {col!r} holds a non-integer value {v!r}")
        return int(v)
    return int(v)


def _date(v: object) -> str | None:
    if v is None:
        return None
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if isinstance(v, date):
        return v.isoformat() + "T00:00:00.000Z"
    return v or None


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
            data = {c: rb.column(c).to_pylist() for c in cols}
            n = rb.num_rows
            yield _batch(path, data, n, start)
            start += n
    except ImportFailed:
        raise
    except Exception as e:  # corrupt pages etc.
        raise ImportFailed(f"{path}: unreadable near row {start}: {e}") from None


def _batch(path: Path, data: dict[str, list], n: int, start: int) -> Batch:
    none = [None] * n
    ids = data["model_id"]
    likes, downloads, card = (data.get(c, none) for c in INT_COLS)
    tags_c, lic_c, lang_c = (data.get(c, none) for c in LIST_COLS)
    ptag, lib = (data.get(c, none) for c in STR_COLS)
    created = data.get("createdAt", none)
    parent_cols = [(data[c], rel) for c, rel in PARENT_COLS.items() if c in data]
    b = Batch()
    dumps = json.dumps
    for i in range(n):
        mid = ids[i]
        try:
            validate_id(mid)
            tags = _listish(tags_c[i])
            lic = _listish(lic_c[i])
            edges: dict[str, str] = {}
            for col, rel in parent_cols:
                for p in _listish(col[i]):
                    p = p.strip()
                    if rel == "unknown" and p in edges:
                        continue
                    edges[p] = rel
            self_loop = mid in edges
            edges.pop(mid, None)
            if len(edges) > 1:
                edges = {p: ("merge" if r == "unknown" else r) for p, r in edges.items()}
            row = (
                mid, author_of(mid), _date(created[i]), None, _int(downloads[i], "downloads"),
                _int(likes[i], "likes"), ptag[i] or None, lib[i] or None, lic[0] if lic else None,
                dumps(_listish(lang_c[i])), dumps(tags), None, _int(card[i], "card_length"),
                "ecosystem-parquet", None,
            )
        except (RecordError, TypeError, ValueError) as e:
            raise ImportFailed(f"{path}: row {start + i} ({mid!r}): {e}") from None
        b.add(row, [(mid, p, r, "card") for p, r in edges.items() if validate_parent(p)], self_loop)
    return b


def validate_parent(p: str) -> bool:
    try:
        validate_id(p)
        return True
    except RecordError:
        return False
