"""Parquet files in the layout of the Hub's published models tables, written by the tests from Hub API records.

Real origin of the layout: the models table of the daily dataset ``cfahlgren1/hub-stats`` (its viewer at
https://huggingface.co/datasets/cfahlgren1/hub-stats/viewer/models/train: ``id``, ``author``, ``createdAt``,
``lastModified``, ``cardData`` as a JSON string, ``downloads``, ``downloadsAllTime``, ``likes``, ``tags``,
``pipeline_tag``, ``library_name``, ``baseModels`` as ``{relation, models: [{id}]}``, and the wide ``siblings``,
``config``, ``safetensors``, ``gguf`` columns), copied weekly to ``hfmlsoc/hub_weekly_snapshots`` as
``models/<YYYY-MM-DD>/models.parquet``. The ``2024`` layout is an older one: before the source's changelog added
the lineage field (no ``baseModels``, no ``downloadsAllTime``) and with dates as text. The records come from
tests/data (real Hub API responses, see tests/data/PROVENANCE.md)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

REPO_ID = "hfmlsoc/hub_weekly_snapshots"


def _ts(s: str | None) -> datetime | None:
    if not s:
        return None
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


def base_models_of(rec: dict) -> dict | None:
    """The ``baseModels`` relation the Hub derives from a model's ``base_model:<relation>:<id>`` tags."""
    typed = [
        t.split(":", 2) for t in rec.get("tags") or [] if t.startswith("base_model:") and t.count(":") == 2
    ]
    if not typed:
        return None
    return {"relation": typed[0][1], "models": [{"id": t[2]} for t in typed]}


def table(records: list[dict], layout: str = "2026"):
    """A pyarrow table of ``records`` in the published layout (``2026``: today's, ``2024``: an older one)."""
    import pyarrow as pa

    def col(k):
        return [r.get(k) for r in records]

    card = [json.dumps(r["cardData"]) if r.get("cardData") is not None else None for r in records]
    siblings = [[{"rfilename": s["rfilename"]} for s in r.get("siblings") or []] for r in records]
    cols = {
        "id": pa.array(col("id"), pa.string()),
        "author": pa.array([r.get("author") or r["id"].split("/")[0] for r in records], pa.string()),
        "likes": pa.array(col("likes"), pa.int64()),
        "downloads": pa.array(col("downloads"), pa.int64()),
        "tags": pa.array(col("tags"), pa.list_(pa.string())),
        "pipeline_tag": pa.array(col("pipeline_tag"), pa.string()),
        "library_name": pa.array(col("library_name"), pa.string()),
        "cardData": pa.array(card, pa.string()),
        "siblings": pa.array(siblings, pa.list_(pa.struct([("rfilename", pa.string())]))),
    }
    if layout == "2024":
        cols["createdAt"] = pa.array(col("createdAt"), pa.string())
        cols["lastModified"] = pa.array(col("lastModified"), pa.string())
        return pa.table(cols)
    cols["createdAt"] = pa.array([_ts(r.get("createdAt")) for r in records], pa.timestamp("us", tz="UTC"))
    cols["lastModified"] = pa.array(
        [_ts(r.get("lastModified")) for r in records], pa.timestamp("us", tz="UTC")
    )
    cols["downloadsAllTime"] = pa.array([(r.get("downloads") or 0) * 7 for r in records], pa.int64())
    bm_type = pa.struct([("relation", pa.string()), ("models", pa.list_(pa.struct([("id", pa.string())])))])
    cols["baseModels"] = pa.array([r.get("baseModels") for r in records], bm_type)
    cols["config"] = pa.array([json.dumps(r.get("config")) if r.get("config") else None for r in records])
    cols["trendingScore"] = pa.array([0.0] * len(records), pa.float64())
    return pa.table(cols)


def write(records: list[dict], path: Path, layout: str = "2026", row_group_size: int = 64):
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table(records, layout), path, row_group_size=row_group_size)
    return path


def real_records() -> list[dict]:
    """The 67 real model-info records of the Mistral-Small-24B family and 10 list items, with the
    ``baseModels`` relation the Hub derives from their tags."""
    from helpers import DATA

    recs = [
        json.loads(x) for x in (DATA / "model_info_mistral_small_24b_family.jsonl").read_text().splitlines()
    ]
    recs += json.loads((DATA / "list_models_page_10_items.json").read_text())
    for r in recs:
        bm = base_models_of(r)
        if bm:
            r["baseModels"] = bm
    return recs
