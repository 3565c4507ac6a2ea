"""The sync tests' shared parts: the records a test Hub serves, a server per test, and a sync run through the
real console script against it."""

from __future__ import annotations

import json

from helpers import DATA, run_cli
from hubserver import HubServer

from hubatlas.core.store.database import Store

TOKEN = "hf_TESTtokenNEVERstoredXYZ123"
PAGE = 7


def served_records(n_extra: int = 60) -> list[dict]:
    recs = json.loads((DATA / "list_models_page_10_items.json").read_text())
    recs += [
        json.loads(line)
        for line in (DATA / "model_info_mistral_small_24b_family.jsonl").read_text().splitlines()
    ]
    out = []
    for i, r in enumerate(recs):
        r = {
            k: r[k]
            for k in (
                "_id",
                "id",
                "author",
                "createdAt",
                "lastModified",
                "downloads",
                "likes",
                "pipeline_tag",
                "library_name",
                "tags",
                "gated",
            )
            if k in r
        }
        r.setdefault("lastModified", f"2025-01-{1 + i % 28:02d}T00:00:00.000Z")
        r.setdefault("author", r["id"].split("/")[0])
        out.append(r)
    for i in range(n_extra):
        parent = out[i % 20]["id"]
        out.append(
            {
                "_id": f"{i:024x}",
                "id": f"gen{i % 5}/model-{i}",
                "author": f"gen{i % 5}",
                "createdAt": "2025-02-01T00:00:00.000Z",
                "lastModified": f"2025-02-{1 + i % 28:02d}T00:00:00.000Z",
                "downloads": i * 3,
                "likes": i % 4,
                "pipeline_tag": "text-generation",
                "library_name": "transformers",
                "gated": False,
                "tags": [
                    "transformers",
                    "en",
                    f"base_model:adapter:{parent}",
                    f"base_model:{parent}",
                    "license:mit",
                ],
            }
        )
    return out


def env_for(srv: HubServer, tmp_path, **extra) -> dict:
    e = {
        "HF_ENDPOINT": srv.url,
        "HF_TOKEN": TOKEN,
        "HF_HOME": str(tmp_path / "hfhome"),
        "HUBATLAS_BACKOFF_BASE": "0.01",
        "HF_HUB_DISABLE_TELEMETRY": "1",
    }
    e.update(extra)
    return e


def cached(cache) -> dict[str, tuple]:
    with Store(cache, readonly=True) as s:
        return {
            r[0]: r[1:]
            for r in s.conn.execute(
                "SELECT id, downloads, likes, last_modified FROM models WHERE placeholder=0"
            )
        }


def served(srv: HubServer) -> dict[str, tuple]:
    return {r["id"]: (r.get("downloads"), r.get("likes"), r.get("lastModified")) for r in srv.source.records}


def sync(cache, srv, tmp_path, *args, check=True, **env):
    return run_cli(
        "sync",
        "--page-size",
        str(PAGE),
        "--json",
        "-q",
        *args,
        cache=cache,
        env=env_for(srv, tmp_path, **env),
        check=check,
    )
