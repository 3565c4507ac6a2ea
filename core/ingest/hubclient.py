"""Fetching pages of the Hub's `/api/models` with huggingface_hub's session, headers, errors and endpoint,
plus the retry policy a 2,000-page crawl needs: Retry-After on 429, bounded exponential backoff with jitter on
5xx and dropped connections, and retries of malformed page bodies."""
from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

# Fields the atlas needs, fetched through `expand` (which cannot be combined with full/config/cardData=True).
# Tags carry licence (license:*), languages (ISO codes) and lineage (base_model:*), so cardData is not needed.
EXPAND = ("author", "createdAt", "lastModified", "downloads", "likes", "pipeline_tag", "library_name", "tags",
          "gated")
PAGE_SIZE = 1000


class HubUnavailable(RuntimeError):
    """The Hub could not be reached (offline mode, or retries exhausted); the message says how to resume."""


class Offline(HubUnavailable):
    pass


@dataclass
class RetryPolicy:
    retries: int = 6
    base: float = float(os.environ.get("HUBATLAS_BACKOFF_BASE", "1.0"))
    cap: float = 60.0
    max_retry_after: float = 300.0

    def delay(self, attempt: int) -> float:
        """Exponential backoff with full jitter."""
        return random.uniform(0, min(self.cap, self.base * (2 ** attempt)))


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

    return bool(constants.HF_HUB_OFFLINE) or os.environ.get("HF_HUB_OFFLINE", "").upper() in ("1", "ON", "YES", "TRUE")


def first_url(base: str, *, sort: str | None = None, direction: int | None = None, author: str | None = None,
              filters: list[str] | None = None, page_size: int = PAGE_SIZE) -> str:
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
    for name in ("TransportError", "ConnectionError", "RemoteProtocolError", "DecodingError", "ChunkedEncodingError"):
        e = getattr(mod, name, None)
        if isinstance(e, type) and issubclass(e, BaseException):
            errs.append(e)
    return tuple(errs)


def _next_link(resp) -> str | None:
    links = getattr(resp, "links", None) or {}
    nxt = links.get("next") or {}
    return nxt.get("url")


class HubClient:
    """Fetches pages with huggingface_hub's HTTP session and headers (the user's token, never logged)."""

    def __init__(self, policy: RetryPolicy | None = None, log: Callable[[str], None] | None = None,
                 timeout: float = 60.0):
        from huggingface_hub.utils import build_hf_headers, get_session

        if is_offline():
            raise Offline("HF_HUB_OFFLINE is set: hubatlas will not contact the Hub. Unset it to sync, or use "
                          "`hubatlas import` with files you already have.")
        self.session = get_session()
        self.headers = build_hf_headers()
        self.policy = policy or RetryPolicy()
        self.log = log or (lambda msg: None)
        self.timeout = timeout
        self.transport_errors = _transport_errors()
        self.faults = {"429": 0, "5xx": 0, "connection": 0, "malformed_page": 0}

    def get_page(self, url: str) -> Page:
        """One page, retried per the policy; HubUnavailable when retries run out."""
        from huggingface_hub.errors import HfHubHTTPError
        from huggingface_hub.utils import hf_raise_for_status

        last = ""
        for attempt in range(self.policy.retries + 1):
            wait = None
            try:
                resp = self.session.get(url, headers=self.headers, timeout=self.timeout)
                status = resp.status_code
                if status == 429:
                    self.faults["429"] += 1
                    ra = resp.headers.get("Retry-After")
                    try:
                        wait = min(float(ra), self.policy.max_retry_after) if ra is not None else None
                    except ValueError:
                        wait = None
                    last = f"HTTP 429 rate limited (Retry-After: {ra})"
                    wait = wait if wait is not None else self.policy.delay(attempt)
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
                        return Page(url=url, items=items, next_url=_next_link(resp))
            except HfHubHTTPError:
                raise
            except self.transport_errors as e:
                self.faults["connection"] += 1
                last = f"connection error: {type(e).__name__}: {str(e)[:160]}"
            if attempt == self.policy.retries:
                break
            wait = self.policy.delay(attempt) if wait is None else wait
            self.log(f"{last}; retrying in {wait:.1f} s ({attempt + 1}/{self.policy.retries})")
            time.sleep(wait)
        raise HubUnavailable(f"giving up on a page after {self.policy.retries} retries: {last}. Everything up to "
                             "the last committed page is saved; run the same `hubatlas sync` again to resume.")
