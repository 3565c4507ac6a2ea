"""Fetching pages of the Hub's `/api/models` with huggingface_hub's session, headers, errors and endpoint,
plus the retry policy a 2,000-page crawl needs: Retry-After on 429 (RFC 9110: seconds or an HTTP-date, clamped)
with its own patient budget, bounded exponential backoff with jitter on 5xx and dropped connections, and
retries of malformed page bodies. Requests, and with them the user's token, go only to the endpoint's origin: a
next-page link to another scheme, host or port is refused, never followed; cursors are kept relative to the
endpoint."""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import urlencode, urljoin, urlsplit

# Fields the atlas needs, fetched through `expand` (which cannot be combined with full/config/cardData=True).
# Tags carry licence (license:*), languages (ISO codes) and lineage (base_model:*), so cardData is not needed.
EXPAND = (
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
PAGE_SIZE = 1000


class HubUnavailable(RuntimeError):
    """The Hub could not be reached (offline mode, or retries exhausted); the message says how to resume."""


class Offline(HubUnavailable):
    pass


class ForeignLink(HubUnavailable):
    """A next-page link (or a stored cursor) that leaves the endpoint's origin: never followed."""


@dataclass
class RetryPolicy:
    retries: int = 6  # for errors: 5xx, dropped connections, malformed pages
    base: float = float(os.environ.get("HUBATLAS_BACKOFF_BASE", "1.0"))
    cap: float = 60.0
    max_retry_after: float = 120.0  # one wait on a 429 at most (absurd Retry-After values are clamped)
    rate_limit_budget: float = 900.0  # seconds a page may wait on 429s in all before the sync gives up

    def delay(self, attempt: int) -> float:
        """Exponential backoff with full jitter."""
        return random.uniform(0, min(self.cap, self.base * (2**attempt)))


@dataclass
class Page:
    url: str
    items: list
    next_url: str | None


def endpoint(override: str | None = None) -> str:
    """`--endpoint`, else huggingface_hub's endpoint (which honours HF_ENDPOINT)."""
    from huggingface_hub import constants

    return (override or os.environ.get("HF_ENDPOINT") or constants.ENDPOINT).rstrip("/")


def is_offline() -> bool:
    from huggingface_hub import constants

    return bool(constants.HF_HUB_OFFLINE) or os.environ.get("HF_HUB_OFFLINE", "").upper() in (
        "1",
        "ON",
        "YES",
        "TRUE",
    )


def first_url(
    base: str,
    *,
    sort: str | None = None,
    direction: int | None = None,
    author: str | None = None,
    filters: list[str] | None = None,
    page_size: int = PAGE_SIZE,
) -> str:
    params: list[tuple[str, str]] = [("limit", str(page_size))]
    params += [("expand", e) for e in EXPAND]
    if sort:
        params.append(("sort", sort))
    if direction is not None:
        params.append(("direction", str(direction)))
    if author:
        params.append(("author", author))
    for f in filters or []:
        params.append(("filter", f))
    return f"{base}/api/models?{urlencode(params)}"


def _transport_errors() -> tuple[type[BaseException], ...]:
    """The HTTP client's connection-level errors (huggingface_hub's session may be httpx or requests)."""
    from huggingface_hub.utils import get_session

    mod = __import__(type(get_session()).__module__.split(".")[0])
    errs: list[type[BaseException]] = [OSError]
    for name in (
        "TransportError",
        "ConnectionError",
        "RemoteProtocolError",
        "DecodingError",
        "ChunkedEncodingError",
    ):
        e = getattr(mod, name, None)
        if isinstance(e, type) and issubclass(e, BaseException):
            errs.append(e)
    return tuple(errs)


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """RFC 9110 Retry-After: delay-seconds (digits only) or an HTTP-date; None when absent or invalid (then the
    caller backs off on its own). A date in the past means now (0)."""
    if value is None:
        return None
    v = value.strip()
    if v.isdigit():
        return float(int(v[:12]))
    try:
        when = parsedate_to_datetime(v)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) with the scheme's default port made explicit."""
    u = urlsplit(url)
    port = u.port or {"http": 80, "https": 443}.get(u.scheme.lower())
    return u.scheme.lower(), (u.hostname or "").lower(), port


def _short(url: str, n: int = 120) -> str:
    return url if len(url) <= n else url[:n] + "…"


def _next_link(resp) -> str | None:
    links = getattr(resp, "links", None) or {}
    nxt = links.get("next") or {}
    return nxt.get("url")


class HubClient:
    """Fetches pages with huggingface_hub's HTTP session and headers (the user's token, never logged)."""

    def __init__(
        self,
        base: str,
        policy: RetryPolicy | None = None,
        log: Callable[[str], None] | None = None,
        timeout: float = 60.0,
        on_wait: Callable[[float, float, float], None] | None = None,
    ):
        """``base``: the endpoint; every request stays on its origin. ``on_wait(seconds, used, budget)`` hears
        each wait on a 429 (for a progress bar)."""
        from huggingface_hub.utils import build_hf_headers, get_session

        if is_offline():
            raise Offline(
                "HF_HUB_OFFLINE is set: hubatlas will not contact the Hub. Unset it to sync, or use "
                "`hubatlas import` with files you already have."
            )
        self.base = base.rstrip("/")
        self.origin = origin(self.base)
        self.on_wait = on_wait or (lambda wait, used, budget: None)
        self.session = get_session()
        self.headers = build_hf_headers()
        self.policy = policy or RetryPolicy()
        self.log = log or (lambda msg: None)
        self.timeout = timeout
        self.transport_errors = _transport_errors()
        self.faults = {"429": 0, "5xx": 0, "connection": 0, "malformed_page": 0}

    # -- cursors: kept relative to the endpoint, followed only on its origin -----------------------------------
    def check(self, url: str) -> str:
        if origin(url) != self.origin:
            raise ForeignLink(
                f"refusing {_short(url)!r}: it is not on the endpoint {self.base} (your token is "
                "only ever sent there). Nothing was fetched from it or stored."
            )
        return url

    def relative(self, url: str | None) -> str | None:
        """What to store for a cursor: the path and query (the endpoint may change between runs)."""
        if url is None:
            return None
        u = urlsplit(self.check(url))
        return u.path + (f"?{u.query}" if u.query else "")

    def absolute(self, cursor: str) -> str:
        """A stored cursor as a URL on the endpoint (an absolute one from an older cache must be on it)."""
        if cursor.startswith("/"):
            return self.check(urljoin(self.base + "/", cursor))
        return self.check(cursor)

    def get_page(self, url: str) -> Page:
        """One page, retried per the policy; HubUnavailable when retries or the rate-limit budget run out."""
        from huggingface_hub.errors import HfHubHTTPError
        from huggingface_hub.utils import hf_raise_for_status

        self.check(url)
        last = ""
        attempt = 0
        waited_429 = 0.0
        while True:
            wait = None
            try:
                resp = self.session.get(url, headers=self.headers, timeout=self.timeout)
                status = resp.status_code
                if status == 429:  # rate limited: its own patient budget, not the error retries
                    self.faults["429"] += 1
                    ra = resp.headers.get("Retry-After")
                    asked = retry_after_seconds(ra)
                    wait = (
                        min(asked, self.policy.max_retry_after)
                        if asked is not None
                        else self.policy.delay(min(self.faults["429"], 6))
                    )
                    if waited_429 + wait > self.policy.rate_limit_budget:
                        raise HubUnavailable(
                            f"the Hub kept rate-limiting this sync for {waited_429:.0f} s (HTTP 429). Everything up "
                            "to the last committed page is saved; run the same `hubatlas sync` again later."
                        )
                    waited_429 += wait
                    self.on_wait(wait, waited_429, self.policy.rate_limit_budget)
                    self.log(
                        f"rate limited by the Hub (HTTP 429, Retry-After: {_short(str(ra), 40)}); waiting "
                        f"{wait:.1f} s ({waited_429:.0f} of {self.policy.rate_limit_budget:.0f} s allowed)"
                    )
                    time.sleep(wait)
                    continue
                elif status >= 500:
                    self.faults["5xx"] += 1
                    last = f"HTTP {status}"
                else:
                    hf_raise_for_status(resp)  # 4xx: a request the Hub refuses; not retried
                    body = resp.content
                    try:
                        items = json.loads(body)
                        if not isinstance(items, list):
                            raise ValueError(f"expected a JSON list, got {type(items).__name__}")
                    except ValueError as e:
                        self.faults["malformed_page"] += 1
                        last = f"malformed page body ({len(body)} bytes): {str(e)[:120]}"
                    else:
                        link = _next_link(resp)
                        return Page(
                            url=url, items=items, next_url=self.check(urljoin(url, link)) if link else None
                        )
            except HfHubHTTPError:
                raise
            except self.transport_errors as e:
                self.faults["connection"] += 1
                last = f"connection error: {type(e).__name__}: {str(e)[:160]}"
            if attempt == self.policy.retries:
                break
            wait = self.policy.delay(attempt)
            attempt += 1
            self.log(f"{last}; retrying in {wait:.1f} s ({attempt}/{self.policy.retries})")
            time.sleep(wait)
        raise HubUnavailable(
            f"giving up on a page after {self.policy.retries} retries: {last}. Everything up to "
            "the last committed page is saved; run the same `hubatlas sync` again to resume."
        )
