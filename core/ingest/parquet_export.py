"""The cache written as an ecosystem-format parquet dump (the layout of `modelbiome/ai_ecosystem`): how the
benchmarks make a 2M-row dump to import, from a synthetic hub."""

from __future__ import annotations

from pathlib import Path

from hubatlas.core.common import atomic
from hubatlas.core.store.database import Store


def export_parquet(store: Store, path: Path) -> int:
    """Write the cache as an ecosystem-format parquet (model_id, ..., *_parent) and return its rows."""
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    c = store.conn
    parents: dict[str, dict[str, list[str]]] = {}
    for child, par, r in c.execute("SELECT child, parent, relation FROM edges"):
        parents.setdefault(child, {}).setdefault(r, []).append(par)
    cols: dict[str, list] = {
        k: []
        for k in (
            "model_id",
            "likes",
            "downloads",
            "tags",
            "pipeline_tag",
            "library_name",
            "createdAt",
            "licenses",
            "languages",
            "finetune_parent",
            "adapter_parent",
            "quantized_parent",
            "merge_parent",
            "parent_model",
        )
    }
    for mid, lk, dl, tags, tag, lib, cr, lic, langs in c.execute(
        "SELECT id, likes, downloads, tags, pipeline_tag, library_name, created_at, license, languages "
        "FROM models WHERE placeholder=0 ORDER BY rowid"
    ):
        cols["model_id"].append(mid)
        cols["likes"].append(lk)
        cols["downloads"].append(dl)
        cols["tags"].append(json.loads(tags) if tags else [])
        cols["pipeline_tag"].append(tag)
        cols["library_name"].append(lib)
        cols["createdAt"].append(cr)
        cols["licenses"].append([lic] if lic else [])
        cols["languages"].append(json.loads(langs) if langs else [])
        ps = parents.get(mid, {})
        for r, col in (
            ("finetune", "finetune_parent"),
            ("adapter", "adapter_parent"),
            ("quantized", "quantized_parent"),
            ("merge", "merge_parent"),
            ("unknown", "parent_model"),
        ):
            v = ps.get(r)
            cols[col].append(None if not v else v[0] if len(v) == 1 else json.dumps(v))
    table = pa.table(cols)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic.atomic_output(path) as tmp:  # a FIFO, device or folder at ``path`` is refused, never replaced
        pq.write_table(table, tmp)
    return table.num_rows
