"""Sync under faults and attacks: transient errors retried, persistent ones resumable, malformed records
quarantined, refusals reported, the token kept on the endpoint, Retry-After as RFC 9110 says, rate limits on
their own budget."""

from __future__ import annotations

import json
import time

import pytest
from hubserver import HubServer, ListSource
from sync_helpers import PAGE, TOKEN, cached, env_for, served, served_records, sync  # noqa: F401

from hubatlas.core.store.database import Store


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


def test_hub_refusal_is_reported(hub, cache, tmp_path, monkeypatch, capsys):
    from hubatlas.core.ingest import hubclient

    monkeypatch.setattr(hubclient, "EXPAND", (*hubclient.EXPAND, "notAField"))
    from hubatlas.core.cli.main import main

    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "h"))
    rc = main(["--cache", str(cache), "sync", "-q"])
    err = capsys.readouterr().err
    assert "HTTP 400" in err and "expand" in err
    assert rc == 1 and hub.page_requests() == 1  # a 400 is not retried


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


@pytest.mark.parametrize(
    "value,expect",
    [
        ("-1", None),
        ("nan", None),
        ("1e9", None),
        ("", None),
        ("7", 7.0),
        ("1000000000", 1e9),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
    ],
)
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
