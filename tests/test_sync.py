"""`hubatlas sync` against a real HTTP server on 127.0.0.1 speaking the Hub's wire format, with the real
huggingface_hub client pointed at it through HF_ENDPOINT."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest
from sync_helpers import PAGE, TOKEN, cached, env_for, served, served_records, sync  # noqa: F401

from hubatlas.core.store.database import Store


def test_full_crawl_equals_served_set(hub, cache, tmp_path):
    from datetime import datetime, timedelta, timezone

    began = datetime.now(timezone.utc)
    p = sync(cache, hub, tmp_path)
    s = json.loads(p.stdout)
    assert cached(cache) == served(hub)
    n = len(hub.source.records)
    assert s["fetched"] == n and s["new"] == n and s["pages"] == -(-n // PAGE)
    assert hub.page_requests() == s["pages"]
    first = hub.requests[0]["path"]
    for e in (
        "author",
        "createdAt",
        "lastModified",
        "downloads",
        "likes",
        "pipeline_tag",
        "library_name",
        "tags",
    ):
        assert f"expand={e}" in first
    assert "full=" not in first and "cardData" not in first
    assert s["edges_by_relation"]["adapter"] >= 60
    with Store(cache, readonly=True) as st:
        assert st.parents("gen0/model-0")[0]["relation"] == "adapter"
        assert st.get("gen0/model-0")["license"] == "mit"
        # the next --refresh goes down to when this crawl began, less an hour for clock skew (not to the newest
        # change seen: a change during the crawl, on a page already fetched, would be missed)
        hw = datetime.strptime(st.meta()["sync_high_water"], "%Y-%m-%dT%H:%M:%S.000Z").replace(
            tzinfo=timezone.utc
        )
        assert abs(hw - (began - timedelta(hours=1))) < timedelta(seconds=30)
    # a second full sync changes nothing and duplicates nothing
    s2 = json.loads(sync(cache, hub, tmp_path).stdout)
    assert s2["new"] == 0 and s2["updated"] == n and cached(cache) == served(hub)


def test_token_is_sent_but_never_stored_or_logged(hub, cache, tmp_path):
    p = sync(cache, hub, tmp_path)
    assert all(r["authorization"] == f"Bearer {TOKEN}" for r in hub.requests)
    for f in cache.rglob("*"):
        if f.is_file():
            assert TOKEN.encode() not in f.read_bytes(), f
    assert TOKEN not in p.stdout + p.stderr
    hub.faults = ["500"] * 20  # an error path: the message must not leak it either
    p = sync(cache, hub, tmp_path, check=False)
    assert p.returncode == 1 and TOKEN not in p.stdout + p.stderr


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sigkill_then_resume_equals_served_set(hub, cache, tmp_path, seed):
    n_pages = -(-len(hub.source.records) // PAGE)
    k = random.Random(seed).randint(2, n_pages - 1)
    cmd = [
        sys.executable,
        "-m",
        "hubatlas.viewer.cli",
        "--cache",
        str(cache),
        "sync",
        "--page-size",
        str(PAGE),
        "-q",
    ]
    proc = subprocess.Popen(
        cmd, env={**os.environ, **env_for(hub, tmp_path)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )

    def kill(n: int) -> None:
        if n == k:
            os.kill(proc.pid, signal.SIGKILL)
            time.sleep(0.2)

    hub.on_request = kill
    proc.wait(timeout=120)
    assert proc.returncode == -signal.SIGKILL
    hub.on_request = None
    with Store(cache) as s:
        st = s.conn.execute("SELECT pages, next_url FROM sync_state WHERE name='full'").fetchone()
    assert st[0] == k - 1 and st[1]  # the killed page was not committed; its cursor is
    s = json.loads(sync(cache, hub, tmp_path).stdout)
    assert s["resumed"] is True
    assert cached(cache) == served(hub)
    assert hub.page_requests() == n_pages + 1  # at most one page fetched twice


def test_refresh_fetches_only_changes(hub, cache, tmp_path):
    sync(cache, hub, tmp_path)
    recs = hub.source.records
    recs.append(
        {
            "_id": "n" * 24,
            "id": "new/arrival",
            "author": "new",
            "createdAt": "2025-06-01T00:00:00.000Z",
            "lastModified": "2025-06-02T00:00:00.000Z",
            "downloads": 5,
            "likes": 1,
            "tags": ["base_model:quantized:gen0/model-0", "gguf"],
            "library_name": "gguf",
        }
    )
    changed = next(r for r in recs if r["id"] == "gen1/model-1")
    changed.update(downloads=999_999, lastModified="2025-06-03T00:00:00.000Z")
    before = hub.page_requests()
    s = json.loads(sync(cache, hub, tmp_path, "--refresh", "--top-downloads", "0").stdout)
    assert s["mode"] == "refresh"
    assert hub.page_requests() - before == 1  # the newest page reached the high-water mark
    assert s["new"] == 1 and s["fetched"] < len(recs)
    assert cached(cache) == served(hub)
    with Store(cache, readonly=True) as st:
        assert st.parents("new/arrival") == [{"id": "gen0/model-0", "relation": "quantized", "source": "tag"}]
    assert "sort=lastModified" in hub.requests[-1]["path"] and "direction=-1" in hub.requests[-1]["path"]


def test_refresh_updates_top_download_counts(hub, cache, tmp_path):
    sync(cache, hub, tmp_path)
    top = max(hub.source.records, key=lambda r: r["downloads"])
    top["downloads"] += 1_000_000  # counts change without lastModified changing
    sync(cache, hub, tmp_path, "--refresh", "--top-downloads", "10")
    assert cached(cache)[top["id"]][0] == top["downloads"]


def test_refresh_before_any_sync_is_a_clear_error(hub, cache, tmp_path):
    p = sync(cache, hub, tmp_path, "--refresh", check=False)
    assert p.returncode == 1 and "run `hubatlas sync` first" in p.stderr


def test_offline_makes_no_request(hub, cache, tmp_path):
    p = sync(cache, hub, tmp_path, check=False, HF_HUB_OFFLINE="1")
    assert p.returncode == 1 and "HF_HUB_OFFLINE" in p.stderr
    assert hub.requests == []


def test_limit_author_and_filter(hub, cache, tmp_path):
    s = json.loads(sync(cache, hub, tmp_path, "--limit", "10").stdout)
    assert s["fetched"] == 10 and len(cached(cache)) == 10
    other = tmp_path / "other"
    sync(other, hub, tmp_path, "--author", "gen2")
    assert set(cached(other)) == {r["id"] for r in hub.source.records if r["id"].startswith("gen2/")}
    third = tmp_path / "third"
    sync(third, hub, tmp_path, "--filter", "gguf")
    assert set(cached(third)) == {r["id"] for r in hub.source.records if "gguf" in r.get("tags", [])}


def test_refresh_sees_changes_made_during_the_full_crawl(hub, cache, tmp_path):
    """A model changed while the full crawl ran, on a page already fetched, is older than changes seen on later
    pages: the refresh must still fetch it (its mark is when the crawl began)."""
    from datetime import datetime, timedelta, timezone

    fmt = "%Y-%m-%dT%H:%M:%S.000Z"
    now = datetime.now(timezone.utc)
    recs = hub.source.records
    early, late = recs[0], recs[-1]  # on the first and on the last page of the crawl
    late["lastModified"] = (now + timedelta(seconds=20)).strftime(fmt)  # seen by the crawl, newest of all

    def change_early(n):
        if hub.page_requests() == 2:  # the second page is asked for: the first one was served
            early.update(downloads=123_456_789, lastModified=(now + timedelta(seconds=10)).strftime(fmt))

    hub.on_request = change_early
    sync(cache, hub, tmp_path)
    hub.on_request = None
    assert cached(cache)[early["id"]][0] != 123_456_789  # the crawl had fetched it before the change
    sync(cache, hub, tmp_path, "--refresh", "--top-downloads", "0")
    assert cached(cache)[early["id"]][0] == 123_456_789
