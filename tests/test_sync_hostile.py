"""A hostile Hub (issue 30): redirects off the endpoint's origin refused (on it, followed), endless bodies and
gzip bombs read to a bound and retried, a record with a lone surrogate quarantined while the crawl goes on,
credentials in the endpoint's URL never printed or stored."""

from __future__ import annotations

import json
import time

from sync_helpers import TOKEN, cached, served, sync

from hubatlas.core.store.database import Store


def test_a_redirect_to_another_origin_is_refused_and_one_on_it_followed(hub, cache, tmp_path):
    hub.faults = [None, "redirect_foreign"]
    p = sync(cache, hub, tmp_path, check=False)
    assert p.returncode == 1 and "is not on the endpoint" in p.stderr and "Traceback" not in p.stderr
    hub.faults = [None, "redirect_same", None]
    s = json.loads(sync(cache, hub, tmp_path).stdout)
    assert cached(cache) == served(hub) and s["resumed"]
    assert any("moved=1" in r["path"] for r in hub.requests)  # the same-origin redirect was followed
    assert all(r["authorization"] in (None, f"Bearer {TOKEN}") for r in hub.requests)


def test_an_endless_body_and_a_gzip_bomb_are_read_to_a_bound(hub, cache, tmp_path):
    from hubserver import gzip_bomb

    gzip_bomb()  # made before the clock starts
    hub.faults = [None, "endless", "gzip_bomb"]
    t = time.perf_counter()
    p = sync(cache, hub, tmp_path)
    s = json.loads(p.stdout)
    assert s["faults"]["malformed_page"] == 2 and cached(cache) == served(hub)
    assert "over 64 MB" in p.stderr and time.perf_counter() - t < 60


def test_a_record_with_a_lone_surrogate_is_quarantined_and_the_crawl_goes_on(hub, cache, tmp_path):
    hub.source.records.insert(4, {"id": "odd/surrogate", "pipeline_tag": "\ud800", "downloads": 1})
    s = json.loads(sync(cache, hub, tmp_path).stdout)
    assert s["quarantined"] == 1
    good = {k: v for k, v in served(hub).items() if k != "odd/surrogate"}
    assert cached(cache) == good
    with Store(cache, readonly=True) as st:
        reason, raw = st.conn.execute("SELECT reason, raw FROM quarantine").fetchone()
    assert "not valid Unicode" in reason and json.loads(raw)["id"] == "odd/surrogate"
    again = json.loads(sync(cache, hub, tmp_path).stdout)  # every rerun completes too
    assert cached(cache) == good and again["quarantined"] == 1


def test_credentials_in_the_endpoint_are_never_printed_or_stored(hub, cache, tmp_path):
    secret = "S3cretPW"
    url = hub.url.replace("http://", f"http://user:{secret}@")
    p = sync(cache, hub, tmp_path, "--endpoint", url, check=False)
    assert p.returncode == 1 and "credentials" in p.stderr and secret not in p.stderr + p.stdout
    assert "Traceback" not in p.stderr and hub.requests == []
    with Store(cache, readonly=True) as st:
        rows = st.conn.execute("SELECT * FROM sync_state").fetchall()
    assert secret not in repr(rows)
    p = sync(cache, hub, tmp_path, "--endpoint", "file:///etc", check=False)
    assert p.returncode == 1 and "http(s) URL" in p.stderr
