"""`hubatlas sync`: crawl every public model from the Hub into the store, resumable and incremental.

Each page is written in one SQLite transaction together with the cursor of the next page, so a crash at any
moment (even SIGKILL) loses at most the page in flight: the next run resumes from the last committed cursor.
`--refresh` fetches models by lastModified, newest first, down to the high-water mark of the last complete
sync, plus the most downloaded models to refresh their counts.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from hubatlas.core.common.progress import bar
from hubatlas.core.ingest.hubclient import HubClient, endpoint as resolve_endpoint, first_url
from hubatlas.core.ingest.records import RecordError, check_storable, record_to_row
from hubatlas.core.store.database import Store, utcnow
from hubatlas.core.store.rows import Batch
from hubatlas.core.store.schema import RELATIONS

FULL, REFRESH, TOP = "full", "refresh", "top"


@dataclass
class SyncOptions:
    endpoint: str | None = None
    refresh: bool = False
    limit: int | None = None
    author: str | None = None
    filters: list[str] = field(default_factory=list)
    page_size: int = 1000
    top_downloads: int = (
        10_000  # refresh: also re-fetch this many most-downloaded models (counts change daily)
    )
    progress: bool | None = None


@dataclass
class SyncSummary:
    mode: str
    pages: int = 0
    fetched: int = 0
    new: int = 0
    updated: int = 0
    quarantined: int = 0
    removed: int = 0  # no longer listed by this complete full sync: kept, marked removed
    restored: int = 0  # marked removed before, listed again
    resumed: bool = False
    edges_by_relation: dict = field(default_factory=lambda: {r: 0 for r in RELATIONS})
    faults: dict = field(default_factory=dict)
    seconds: float = 0.0
    models_per_second: float = 0.0


def _params_key(o: SyncOptions, base: str, mode: str) -> str:
    return json.dumps(
        {
            "endpoint": base,
            "mode": mode,
            "author": o.author,
            "filters": sorted(o.filters),
            "limit": o.limit,
            "page_size": o.page_size,
        },
        sort_keys=True,
    )


def _state(store: Store, name: str) -> dict | None:
    cur = store.conn.execute("SELECT * FROM sync_state WHERE name=?", (name,))
    row = cur.fetchone()
    return dict(zip([d[0] for d in cur.description], row, strict=False)) if row else None


def _write_page(
    store: Store,
    items: list,
    name: str,
    next_url: str | None,
    summary: SyncSummary,
    budget: int | None,
    listed_in: str | None = None,
) -> tuple[int, str | None]:
    """Normalise, store and checkpoint one page in one transaction. Returns (models stored, min lastModified).
    ``listed_in``: the full crawl listing these models (what a complete one did not list was removed)."""
    batch, bad = Batch(), []
    oldest = None
    for rec in items[: budget if budget is not None else None]:
        try:
            row, parents, loop, junk = record_to_row(rec, "hub-api")
            check_storable(row, parents)
        except RecordError as err:  # quarantined with its raw JSON (escaped: it may hold a lone surrogate)
            bad.append((utcnow(), str(err), json.dumps(rec, ensure_ascii=True)[:100_000]))
            continue
        batch.add(row, parents, loop, junk)
        lm = row.last_modified
        if lm and (oldest is None or lm < oldest):
            oldest = lm
    c = store.conn
    with store.transaction():
        ids = [r.id for r in batch.rows]
        known, back = set(), 0
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            for x, gone in c.execute(
                f"SELECT id, removed_at IS NOT NULL FROM models WHERE placeholder=0 AND id IN "
                f"({','.join('?' * len(chunk))})",
                chunk,
            ):
                known.add(x)
                back += gone
        store.write_batch(batch)  # (clears `removed_at`: a model listed again is restored)
        if listed_in is not None:
            c.execute(
                "UPDATE models SET listed_in=? WHERE id IN (SELECT value FROM json_each(?))",
                (listed_in, json.dumps(ids)),
            )
        if bad:
            c.executemany("INSERT INTO quarantine (received_at, reason, raw) VALUES (?, ?, ?)", bad)
        c.execute(
            "UPDATE sync_state SET next_url=?, pages=pages+1, models=models+? WHERE name=?",
            (next_url, len(batch), name),
        )
    summary.pages += 1
    summary.fetched += len(batch)
    summary.new += len(batch) - len(known)
    summary.updated += len(known)
    summary.restored += back
    summary.quarantined += len(bad)
    for e in batch.edges:
        summary.edges_by_relation[e.relation] += 1
    return len(batch) + len(bad), oldest


HIGH_WATER_MARGIN = timedelta(hours=1)


def high_water(started_at: str) -> str:
    """The refresh mark for a crawl that began at ``started_at``, in the Hub's lastModified format."""
    t = datetime.strptime(started_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc) - HIGH_WATER_MARGIN
    return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _crawl(
    store: Store,
    client: HubClient,
    name: str,
    url: str,
    params: str,
    summary: SyncSummary,
    opts: SyncOptions,
    stop_before: str | None = None,
    total_hint: int | None = None,
    limit: int | None = None,
) -> bool:
    """Crawl pages from a checkpoint (or ``url``). Returns True when the listing was exhausted."""
    st = _state(store, name)
    if st and st["params"] == params and st["finished_at"] is None and st["next_url"]:
        url = client.absolute(st["next_url"])  # relative to the endpoint; a foreign one is refused
        summary.resumed = True
        done = st["models"]
    else:
        with store.transaction():
            store.conn.execute(
                "INSERT INTO sync_state (name, next_url, pages, models, started_at, finished_at, params) "
                "VALUES (?, ?, 0, 0, ?, NULL, ?) ON CONFLICT(name) DO UPDATE SET next_url=excluded.next_url, "
                "pages=0, models=0, started_at=excluded.started_at, finished_at=NULL, params=excluded.params",
                (name, client.relative(url), utcnow(), params),
            )
        done = 0
    state = _state(store, name)
    listed_in = state["started_at"] if name == FULL and state else None
    with bar(
        total=limit or total_hint, desc=f"sync {name}", unit="models", enabled=opts.progress, initial=done
    ) as pb:
        client.on_wait = lambda wait, used, budget: pb.set_postfix(
            pages=summary.pages, rate_limited=f"waiting {wait:.0f} s ({used:.0f}/{budget:.0f} s)"
        )
        next_url: str | None = url
        while next_url:
            budget = None if limit is None else max(0, limit - done)
            if budget == 0:
                return False
            page = client.get_page(next_url)
            n, oldest = _write_page(
                store, page.items, name, client.relative(page.next_url), summary, budget, listed_in
            )
            done += n
            pb.update(n)
            pb.set_postfix(pages=summary.pages, refresh=False)
            next_url = page.next_url
            if stop_before and oldest is not None and oldest < stop_before:
                with store.transaction():
                    store.conn.execute("UPDATE sync_state SET next_url=NULL WHERE name=?", (name,))
                return True
            if not page.items:
                break
    return True


def mark_removed(store: Store, crawl: str | None) -> int:
    """After a complete, unfiltered full crawl: models it did not list (synced from the Hub before) are gone
    from the Hub. They are kept, marked with when, and left out of views; listed again, they are restored.
    (`--refresh` lists only changed models, so it cannot see removals.)"""
    if not crawl:
        return 0
    cur = store.conn.execute(
        "UPDATE models SET removed_at=? WHERE source='hub-api' AND placeholder=0 AND removed_at IS NULL "
        "AND (listed_in IS NULL OR listed_in != ?)",
        (utcnow(), crawl),
    )
    return cur.rowcount


def sync(store: Store, opts: SyncOptions, log: Callable[[str], None] | None = None) -> SyncSummary:
    """Run a full (resumable) crawl or an incremental refresh; rebuilds nothing (the caller does)."""
    t0 = time.perf_counter()
    base = resolve_endpoint(opts.endpoint)
    client = HubClient(base, log=log)
    mode = REFRESH if opts.refresh else FULL
    summary = SyncSummary(mode=mode)
    meta = store.meta()
    if opts.refresh:
        hwm = meta.get("sync_high_water")
        if not hwm:
            raise ValueError("no complete sync to refresh from yet: run `hubatlas sync` first")
        params = _params_key(opts, base, REFRESH) + hwm
        url = first_url(
            base,
            sort="lastModified",
            direction=-1,
            author=opts.author,
            filters=opts.filters,
            page_size=opts.page_size,
        )
        _crawl(store, client, REFRESH, url, params, summary, opts, stop_before=hwm, limit=opts.limit)
        if opts.top_downloads and not opts.limit:
            url = first_url(
                base,
                sort="downloads",
                direction=-1,
                author=opts.author,
                filters=opts.filters,
                page_size=min(opts.page_size, opts.top_downloads),
            )
            _crawl(
                store,
                client,
                TOP,
                url,
                _params_key(opts, base, TOP) + hwm,
                summary,
                opts,
                limit=opts.top_downloads,
            )
        finished = True
        name = REFRESH
    else:
        params = _params_key(opts, base, FULL)
        url = first_url(base, author=opts.author, filters=opts.filters, page_size=opts.page_size)
        hint = (
            int(meta["sync_total"]) if meta.get("sync_total") and not (opts.author or opts.filters) else None
        )
        finished = _crawl(store, client, FULL, url, params, summary, opts, limit=opts.limit, total_hint=hint)
        name = FULL
    with store.transaction():
        if finished:
            store.conn.execute(
                "UPDATE sync_state SET finished_at=?, next_url=NULL WHERE name IN (?, ?)",
                (utcnow(), name, TOP),
            )
            if not opts.limit and not opts.author and not opts.filters:
                # the next --refresh goes down to when this crawl began (less a margin for clock skew), not to
                # the newest change it saw: a model changed during the crawl, on a page already fetched, is older
                # than changes seen on later pages and would be missed
                started = store.conn.execute(
                    "SELECT started_at FROM sync_state WHERE name=?", (name,)
                ).fetchone()
                if started and started[0]:
                    store.set_meta(sync_high_water=high_water(started[0]))
                if name == FULL:
                    total = store.conn.execute(
                        "SELECT models FROM sync_state WHERE name=?", (FULL,)
                    ).fetchone()[0]
                    store.set_meta(sync_total=str(total))
                    summary.removed = mark_removed(store, started[0] if started else None)
        store.finish(source="hub-api", endpoint=base, synced_at=utcnow())
    summary.faults = dict(client.faults)
    summary.seconds = round(time.perf_counter() - t0, 2)
    summary.models_per_second = round(summary.fetched / summary.seconds, 1) if summary.seconds else 0.0
    return summary
