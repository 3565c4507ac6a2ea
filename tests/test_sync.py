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
from conftest import DATA, run_cli
from hubserver import HubServer, ListSource

from hubatlas.core.store.database import Store

TOKEN = "hf_TESTtokenNEVERstoredXYZ123"
PAGE = 7


def served_records(n_extra: int = 60) -> list[dict]:
    recs = json.loads((DATA / "list_models_page_10_items.json").read_text())
    recs += [json.loads(line) for line in (DATA / "model_info_mistral_small_24b_family.jsonl").read_text().splitlines()]
    out = []
    for i, r in enumerate(recs):
        r = {k: r[k] for k in ("_id", "id", "author", "createdAt", "lastModified", "downloads", "likes",
                               "pipeline_tag", "library_name", "tags", "gated") if k in r}
        r.setdefault("lastModified", f"2025-01-{1 + i % 28:02d}T00:00:00.000Z")
        r.setdefault("author", r["id"].split("/")[0])
        out.append(r)
    for i in range(n_extra):
        parent = out[i % 20]["id"]
        out.append({"_id": f"{i:024x}", "id": f"gen{i % 5}/model-{i}", "author": f"gen{i % 5}",
                    "createdAt": "2025-02-01T00:00:00.000Z", "lastModified": f"2025-02-{1 + i % 28:02d}T00:00:00.000Z",
                    "downloads": i * 3, "likes": i % 4, "pipeline_tag": "text-generation",
                    "library_name": "transformers", "gated": False,
                    "tags": ["transformers", "en", f"base_model:adapter:{parent}", f"base_model:{parent}",
                             "license:mit"]})
    return out


@pytest.fixture
def hub():
    srv = HubServer(ListSource(served_records()), page_cap=1000).start()
    yield srv
    srv.stop()


def env_for(srv: HubServer, tmp_path, **extra) -> dict:
    e = {"HF_ENDPOINT": srv.url, "HF_TOKEN": TOKEN, "HF_HOME": str(tmp_path / "hfhome"),
         "HUBATLAS_BACKOFF_BASE": "0.01", "HF_HUB_DISABLE_TELEMETRY": "1"}
    e.update(extra)
    return e


def cached(cache) -> dict[str, tuple]:
    with Store(cache, readonly=True) as s:
        return {r[0]: r[1:] for r in s.conn.execute(
            "SELECT id, downloads, likes, last_modified FROM models WHERE placeholder=0")}


def served(srv: HubServer) -> dict[str, tuple]:
    return {r["id"]: (r.get("downloads"), r.get("likes"), r.get("lastModified")) for r in srv.source.records}


def sync(cache, srv, tmp_path, *args, check=True, **env):
    return run_cli("sync", "--page-size", str(PAGE), "--json", "-q", *args, cache=cache,
                   env=env_for(srv, tmp_path, **env), check=check)


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
    for e in ("author", "createdAt", "lastModified", "downloads", "likes", "pipeline_tag", "library_name", "tags"):
        assert f"expand={e}" in first
    assert "full=" not in first and "cardData" not in first
    assert s["edges_by_relation"]["adapter"] >= 60
    with Store(cache, readonly=True) as st:
        assert st.parents("gen0/model-0")[0]["relation"] == "adapter"
        assert st.get("gen0/model-0")["license"] == "mit"
        # the next --refresh goes down to when this crawl began, less an hour for clock skew (not to the newest
        # change seen: a change during the crawl, on a page already fetched, would be missed)
        hw = datetime.strptime(st.meta()["sync_high_water"], "%Y-%m-%dT%H:%M:%S.000Z").replace(tzinfo=timezone.utc)
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
    cmd = [sys.executable, "-m", "hubatlas.viewer.cli", "--cache", str(cache), "sync", "--page-size", str(PAGE), "-q"]
    proc = subprocess.Popen(cmd, env={**os.environ, **env_for(hub, tmp_path)}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)

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
    recs.append({"_id": "n" * 24, "id": "new/arrival", "author": "new", "createdAt": "2025-06-01T00:00:00.000Z",
                 "lastModified": "2025-06-02T00:00:00.000Z", "downloads": 5, "likes": 1,
                 "tags": ["base_model:quantized:gen0/model-0", "gguf"], "library_name": "gguf"})
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


@pytest.mark.parametrize("fault", ["429", "500", "reset", "truncated"])
def test_transient_faults_are_retried(hub, cache, tmp_path, fault):
    hub.retry_after = 1
    hub.faults = [None, None, fault, fault]  # the third and fourth requests fail
    t = time.perf_counter()
    s = json.loads(sync(cache, hub, tmp_path).stdout)
    assert cached(cache) == served(hub)
    key = {"429": "429", "500": "5xx", "reset": "connection", "truncated": "malformed_page"}[fault]
    assert s["faults"][key] == 2
    if fault == "429":
        assert time.perf_counter() - t >= 2.0  # Retry-After: 1 honoured twice


def test_persistent_failure_says_how_to_resume_then_resumes(hub, cache, tmp_path):
    hub.faults = [None, None] + ["500"] * 7  # page 3 fails past the 6 retries
    p = sync(cache, hub, tmp_path, check=False)
    assert p.returncode == 1
    assert "HTTP 500" in p.stderr and "run the same `hubatlas sync` again to resume" in p.stderr
    assert "Traceback" not in p.stderr
    assert len(cached(cache)) == 2 * PAGE
    s = json.loads(sync(cache, hub, tmp_path).stdout)
    assert s["resumed"] is True and cached(cache) == served(hub)


def test_malformed_records_are_quarantined_not_fatal(hub, cache, tmp_path):
    hub.source.records.insert(3, {"id": "bad id with spaces", "downloads": 1})
    hub.source.records.insert(9, {"id": "ok/wrongtypes", "downloads": "lots"})
    s = json.loads(sync(cache, hub, tmp_path).stdout)
    assert s["quarantined"] == 2
    good = {k: v for k, v in served(hub).items() if k not in ("bad id with spaces", "ok/wrongtypes")}
    assert cached(cache) == good
    with Store(cache, readonly=True) as st:
        rows = st.conn.execute("SELECT reason, raw FROM quarantine ORDER BY n").fetchall()
    assert "invalid model id" in rows[0][0] and json.loads(rows[1][1])["id"] == "ok/wrongtypes"
    p = sync(cache, hub, tmp_path, "--json", check=True)
    assert json.loads(p.stdout)["quarantined"] == 2


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


def test_hub_refusal_is_reported(hub, cache, tmp_path, monkeypatch, capsys):
    from hubatlas.core.ingest import hubclient

    monkeypatch.setattr(hubclient, "EXPAND", hubclient.EXPAND + ("notAField",))
    from hubatlas.core.cli.main import main

    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "h"))
    rc = main(["--cache", str(cache), "sync", "-q"])
    err = capsys.readouterr().err
    assert "HTTP 400" in err and "expand" in err
    assert rc == 1 and hub.page_requests() == 1  # a 400 is not retried


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


def test_token_stays_on_the_endpoint_and_foreign_links_are_refused(hub, cache, tmp_path):
    """A next-page link to another origin (here: another port) is refused with a clear error, never followed,
    and not stored; cursors are stored relative to the endpoint."""
    other = HubServer(ListSource(served_records(5)), page_cap=1000).start()
    try:
        hub.link_base = other.url
        p = sync(cache, hub, tmp_path, check=False)
        assert p.returncode == 1 and "is not on the endpoint" in p.stderr and "Traceback" not in p.stderr
        assert other.requests == []  # never followed: the token never reached the other server
        with Store(cache, readonly=True) as st:
            cursors = [r[0] for r in st.conn.execute("SELECT next_url FROM sync_state")]
        assert cursors and all(c is None or c.startswith("/api/models?") for c in cursors)
        assert not any(other.url in (c or "") for c in cursors)
        hub.link_base = None  # the Hub mends its links: the same sync resumes on the endpoint
        s = json.loads(sync(cache, hub, tmp_path).stdout)
        assert s["resumed"] and cached(cache) == served(hub)
    finally:
        other.stop()


@pytest.mark.parametrize("value,expect", [("-1", None), ("nan", None), ("1e9", None), ("", None),
                                          ("7", 7.0), ("1000000000", 1e9),
                                          ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0)])
def test_retry_after_follows_rfc_9110(value, expect):
    from hubatlas.core.ingest.hubclient import retry_after_seconds

    assert retry_after_seconds(value) == expect


def test_retry_after_http_date_in_the_future_and_clamped_waits():
    from datetime import datetime, timedelta, timezone
    from email.utils import format_datetime

    from hubatlas.core.ingest.hubclient import RetryPolicy, retry_after_seconds

    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=90), usegmt=True), now) == 90.0
    assert RetryPolicy().max_retry_after <= 120  # a 1e9-second Retry-After waits at most this long


def test_rate_limits_have_their_own_budget(hub, cache, tmp_path):
    """Eight 429s in a row (more than the six retries meant for errors) with a bad Retry-After still complete:
    429s wait on their own budget, and the wait is said."""
    hub.retry_after = "-1"
    hub.faults = [None] + ["429"] * 8
    p = sync(cache, hub, tmp_path)
    s = json.loads(p.stdout)
    assert s["faults"]["429"] == 8 and cached(cache) == served(hub)
    assert "rate limited by the Hub" in p.stderr
