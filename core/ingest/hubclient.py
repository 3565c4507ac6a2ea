"""Fetching pages of the Hub's `/api/models` with huggingface_hub's session, headers, errors and endpoint,
plus the retry policy a 2,000-page crawl needs: Retry-After on 429 (RFC 9110: seconds or an HTTP-date, clamped)
with its own patient budget, bounded exponential backoff with jitter on 5xx and dropped connections, and
retries of malformed page bodies. Requests, and with them the user's token, go only to the endpoint's origin: a
next-page link or a redirect to another scheme, host or port is refused, never followed; cursors are kept
relative to the endpoint. Each page is streamed and read to MAX_PAGE_BYTES at most (decompressed), so an
endless body or a gzip bomb costs that much memory and no more."""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any
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
MAX_PAGE_BYTES = (
    64 * 2**20
)  # one page, decompressed: 1,000 models with every field are 1-5 MB on the real Hub
MAX_REDIRECTS = 5
REDIRECTS = (301, 302, 303, 307, 308)


class HubUnavailable(RuntimeError):
    """The Hub could not be reached (offline mode, or retries exhausted); the message says how to resume."""


class Offline(HubUnavailable):
    pass


class ForeignLink(HubUnavailable):
    """A next-page link, a redirect (or a stored cursor) that leaves the endpoint's origin: never followed."""


class HubRefused(RuntimeError):
    """A request the Hub refuses (HTTP 4xx): not retried."""

    def __init__(self, status: int, detail: str):
        super().__init__(f"the Hub refused the request (HTTP {status}): {detail}")
        self.status = status


class _TooLarge(Exception):
    pass


def _bounded(chunks) -> bytes:
    """The chunks joined, or _TooLarge once they pass MAX_PAGE_BYTES (the rest is never read)."""
    out, size = [], 0
    for c in chunks:
        size += len(c)
        if size > MAX_PAGE_BYTES:
            raise _TooLarge
        out.append(c)
    return b"".join(out)


def _refusal_detail(body: bytes) -> str:
    """What a 4xx body says (its JSON "error", else its text), bounded and printable."""
    try:
        msg = json.loads(body).get("error")
    except (ValueError, AttributeError):
        msg = None
    text = msg if isinstance(msg, str) else body[:300].decode("utf-8", "replace")
    return " ".join(text.split())[:300] or "no detail"


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


class EndpointRefused(ValueError):
    """An endpoint hubatlas will not use (not http(s), or with credentials in the URL)."""


@dataclass
class Page:
    url: str
    items: list
    next_url: str | None


def endpoint(override: str | None = None) -> str:
    """`--endpoint`, else huggingface_hub's endpoint (which honours HF_ENDPOINT)."""
    from huggingface_hub import constants

    url = (override or os.environ.get("HF_ENDPOINT") or constants.ENDPOINT).rstrip("/")
    u = urlsplit(url)
    if u.scheme.lower() not in ("http", "https") or not u.hostname:
        raise EndpointRefused(
            f"the endpoint must be an http(s) URL with a host, not {_short(_no_userinfo(url), 80)!r}"
        )
    if "@" in u.netloc:  # user:password@host: printed in errors, stored with the crawl's state
        raise EndpointRefused(
            f"the endpoint {_no_userinfo(url)!r} carries credentials in its URL: they would be printed and stored. "
            "Give the URL without them and the token in HF_TOKEN (or `huggingface-cli login`)."
        )
    return url


def _no_userinfo(url: str) -> str:
    """``url`` with any user:password@ part replaced by ***@ (for messages)."""
    u = urlsplit(url)
    if "@" not in u.netloc:
        return url
    return u._replace(netloc="***@" + u.netloc.rpartition("@")[2]).geturl()


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

    def _fetch(self, url: str):
        """(response, body) for one GET without following redirects; the body streamed and bounded."""
        if hasattr(self.session, "stream"):  # huggingface_hub >= 1.0: an httpx client
            with self.session.stream(
                "GET", url, headers=self.headers, timeout=self.timeout, follow_redirects=False
            ) as resp:
                return resp, _bounded(resp.iter_bytes())
        legacy: Any = self.session  # huggingface_hub < 1.0: a requests session
        resp = legacy.get(url, headers=self.headers, timeout=self.timeout, stream=True, allow_redirects=False)
        try:
            return resp, _bounded(resp.iter_content(65536))
        finally:
            resp.close()

    def get_page(self, url: str) -> Page:
        """One page, retried per the policy; HubUnavailable when retries or the rate-limit budget run out,
        HubRefused on a 4xx, ForeignLink on a redirect or next link off the endpoint's origin."""
        self.check(url)
        last = ""
        attempt = 0
        waited_429 = 0.0
        redirects = 0
        while True:
            wait = None
            try:
                resp, body = self._fetch(url)
                status = resp.status_code
                if status in REDIRECTS:  # followed only on the endpoint's origin, a few times
                    target = urljoin(url, resp.headers.get("location") or "")
                    self.check(target)
                    redirects += 1
                    if redirects > MAX_REDIRECTS:
                        raise HubUnavailable(f"more than {MAX_REDIRECTS} redirects for one page; giving up")
                    url = target
                    continue
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
                elif status >= 400:  # a request the Hub refuses; not retried
                    raise HubRefused(status, _refusal_detail(body))
                else:
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
            except _TooLarge:
                self.faults["malformed_page"] += 1
                last = f"a page body over {MAX_PAGE_BYTES // 2**20} MB (decompressed): stopped reading it"
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
