"""`hubatlas get` against a real HTTP server on 127.0.0.1 (tests/dataset_server.py) speaking the endpoints
huggingface_hub uses for a dataset repository, with the real client through HF_ENDPOINT: the newest snapshot
found from the tree, size and sha256 checked, a dropped connection resumed, a corrupted or mis-declared file
refused with nothing imported, a missing date named, HF_HUB_OFFLINE and the token honoured as by `sync`."""

from __future__ import annotations

import json

import pytest
from dataset_server import DatasetServer
from helpers import run_cli
from snapshot_files import REPO_ID, real_records, write
from sync_helpers import TOKEN

from hubatlas.core.store.database import Store

OLD = "models/2024-07-24/models.parquet"
NEW = "models/2026-09-30/models.parquet"


def _bulk(n: int) -> list[dict]:
    """Real records and ``n`` more derived from them (other ids, same shape): a file of some size."""
    recs = real_records()
    out = list(recs)
    for i in range(n):
        r = dict(recs[i % len(recs)])
        r["id"] = f"bulk{i % 7}/model-{i}"
        r["siblings"] = [{"rfilename": f"shard-{j}-{i}.safetensors"} for j in range(8)]
        out.append(r)
    return out


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, bytes]:
    d = tmp_path_factory.mktemp("snap")
    old = write(real_records()[:20], d / "old.parquet", layout="2024")
    new = write(_bulk(6000), d / "new.parquet", layout="2026", row_group_size=1000)
    return {OLD: old.read_bytes(), NEW: new.read_bytes(), "README.md": b"---\nlicense: odbl\n---\n"}


@pytest.fixture
def ds(files):
    srv = DatasetServer(REPO_ID, files).start()
    yield srv
    srv.stop()


def get(cache, srv, tmp_path, *args, check=True, **env):
    e = {
        "HF_ENDPOINT": srv.url,
        "HF_TOKEN": TOKEN,
        "HF_HOME": str(tmp_path / "hfhome"),
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HUBATLAS_BACKOFF_BASE": "0.01",
    }
    e.update(env)
    return run_cli("get", "--json", "-q", *args, cache=cache, env=e, check=check)


def models(cache) -> int:
    with Store(cache, readonly=True) as s:
        return s.conn.execute("SELECT count(*) FROM models WHERE placeholder=0").fetchone()[0]


def test_newest_snapshot_found_downloaded_checked_imported(ds, cache, tmp_path):
    p = get(cache, ds, tmp_path, "--no-layout")
    s = json.loads(p.stdout)
    assert s["file"] == NEW and s["date"] == "2026-09-30" and s["bytes"] == len(ds.files[NEW])
    assert s["sha256"] == ds.sha(NEW) and s["records"] == s["rows"] == 6077
    paths = [r["path"] for r in ds.requests]
    assert any("/api/datasets/hfmlsoc/hub_weekly_snapshots/tree/main/models" in x for x in paths)
    assert any("/paths-info/main" in x for x in paths)
    # the token goes to the endpoint, never to the CDN the file is redirected to
    assert all(r["authorization"] == f"Bearer {TOKEN}" for r in ds.requests)
    assert ds.cdn.requests and all(r["authorization"] is None for r in ds.cdn.requests)
    st = json.loads(run_cli("stats", "--json", cache=cache).stdout)
    src = st["data_source"]
    assert (src["repo"], src["file"], src["date"], src["rows"]) == (REPO_ID, NEW, "2026-09-30", 6077)
    assert NEW in src["text"]
    from hubatlas.core.store.snapshot import open_snapshot
    from hubatlas.viewer._vispy.figure import attribution_text

    # every exported figure names the file its data came from
    assert f"from {REPO_ID} {NEW} (6,077 rows)" in attribution_text(open_snapshot(cache).manifest)
    assert not list((cache / "downloads").rglob("*.parquet*"))  # the file is not kept unless --keep


def test_date_and_hf_path(ds, cache, tmp_path):
    s = json.loads(get(cache, ds, tmp_path, "--no-layout", "--date", "2024-07-24").stdout)
    assert (s["file"], s["records"]) == (OLD, 20)
    with Store(cache, readonly=True) as st:  # the older layout: dates as text, no baseModels column
        assert st.get("mistralai/Mistral-Small-24B-Base-2501")["created_at"] == "2025-01-23T14:13:54.000Z"
    other = tmp_path / "other"
    s = json.loads(get(other, ds, tmp_path, "--no-layout", f"hf://datasets/{REPO_ID}/{NEW}").stdout)
    assert s["file"] == NEW and s["records"] == 6077


def test_missing_date_is_named_with_the_nearest(ds, cache, tmp_path):
    p = get(cache, ds, tmp_path, "--no-layout", "--date", "2025-01-01", check=False)
    assert p.returncode != 0
    assert "no snapshot of 2025-01-01" in p.stderr and "2024-07-24, 2026-09-30" in p.stderr
    assert not (cache / "atlas.db").exists() or models(cache) == 0


def test_dropped_connection_resumes_with_a_range_request(ds, cache, tmp_path):
    ds.cdn.faults = ["drop", "drop"]
    s = json.loads(get(cache, ds, tmp_path, "--no-layout").stdout)
    assert s["records"] == 6077
    ranges = [r["range"] for r in ds.cdn.requests]
    assert ranges[0] is None and any(r and r.startswith("bytes=") for r in ranges[1:]), ranges


def test_interrupted_run_resumes_from_what_arrived(ds, cache, tmp_path):
    # a run that keeps losing the connection gives up, keeping what arrived...
    ds.cdn.faults = ["drop"] + ["empty"] * 12
    p = get(cache, ds, tmp_path, "--no-layout", check=False)
    assert p.returncode != 0 and "resume" in p.stderr
    part = next((cache / "downloads").rglob("*.part"))
    have = part.stat().st_size
    assert 0 < have < len(ds.files[NEW])
    assert models(cache) == 0
    # ...and the next run asks only for the rest
    ds.cdn.faults, ds.cdn.requests = [], []
    s = json.loads(get(cache, ds, tmp_path, "--no-layout").stdout)
    assert s["records"] == 6077
    assert ds.cdn.requests[0]["range"] == f"bytes={have}-"


@pytest.mark.parametrize("fault", ["corrupt", "longer", "tree_size", "tree_hash"])
def test_a_file_other_than_declared_imports_nothing(ds, cache, tmp_path, fault):
    n = len(ds.files[NEW])
    if fault in ("corrupt", "longer"):
        ds.cdn.faults = [fault] * 8
    elif fault == "tree_size":
        ds.declared[NEW] = (n - 1, ds.sha(NEW))
    else:
        ds.declared[NEW] = (n, "0" * 64)
        ds.head_override[NEW] = (n, "0" * 64)
    p = get(cache, ds, tmp_path, "--no-layout", check=False)
    assert p.returncode != 0, p.stdout
    assert ("sha256" in p.stderr) or ("bytes" in p.stderr), p.stderr
    assert not (cache / "atlas.db").exists() or models(cache) == 0
    assert not list((cache / "downloads").rglob("models.parquet"))


def test_offline_and_bad_endpoint_refused(ds, cache, tmp_path):
    p = get(cache, ds, tmp_path, "--no-layout", check=False, HF_HUB_OFFLINE="1")
    assert p.returncode != 0 and "HF_HUB_OFFLINE" in p.stderr
    assert not ds.requests and not ds.cdn.requests
    p = get(cache, ds, tmp_path, "--no-layout", "--endpoint", "http://user:pw@127.0.0.1:1", check=False)
    assert p.returncode != 0 and "credentials" in p.stderr and "pw" not in p.stderr


def test_refresh_after_get_fetches_only_what_changed_since(ds, cache, tmp_path):
    from sync_helpers import PAGE

    get(cache, ds, tmp_path, "--no-layout", "--date", "2024-07-24")
    with Store(cache, readonly=True) as st:
        mark = st.meta()["sync_high_water"]
    assert mark <= "2024-07-24T00:00:00.000Z"
    recs = ds.source.records
    recs += [
        {
            "id": f"new/m{i}",
            "lastModified": f"2026-10-0{1 + i}T00:00:00.000Z",
            "createdAt": "2026-10-01T00:00:00.000Z",
            "downloads": 1,
            "likes": 0,
            "tags": ["license:mit"],
        }
        for i in range(3)
    ]
    recs += [{"id": f"old/m{i}", "lastModified": "2023-01-01T00:00:00.000Z", "tags": []} for i in range(40)]
    e = {
        "HF_ENDPOINT": ds.url,
        "HF_TOKEN": TOKEN,
        "HF_HOME": str(tmp_path / "hfhome"),
        "HUBATLAS_BACKOFF_BASE": "0.01",
    }
    s = json.loads(
        run_cli(
            "sync",
            "--refresh",
            "--top-downloads",
            "0",
            "--page-size",
            str(PAGE),
            "--json",
            "-q",
            cache=cache,
            env=e,
        ).stdout
    )
    # newest first, one page, stopped at the snapshot's date (not the 43 models the Hub serves)
    assert ds.page_requests() == 1 and s["fetched"] == PAGE
    with Store(cache, readonly=True) as st:
        assert st.get("new/m0") and not st.get("old/m0")
    st = json.loads(run_cli("stats", "--json", cache=cache).stdout)
    assert "refreshed from the Hub API" in st["data_source"]["text"]


def test_no_room_for_the_file_is_said_before_a_byte(tmp_path):
    from hubatlas.core.ingest.snapshot_get import SnapshotFile, SnapshotRefused, _check_room

    sf = SnapshotFile(REPO_ID, "main", NEW, "2026-09-30", 10**15, "0" * 64)
    with pytest.raises(SnapshotRefused, match="MB still to download"):
        _check_room(tmp_path, sf.size, sf)
    _check_room(tmp_path, 1000, sf)  # room enough: nothing said
