"""Untrusted model metadata in the UI: plain text only, and only https links to huggingface.co."""

from __future__ import annotations

import re
from urllib.parse import quote, urlparse

from hubatlas.core.common.text import printable

# the Hub's repository id alphabet: ASCII letters, digits, '-', '_', '.'
_ID = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)?$")


def hub_url(model_id: str) -> str | None:
    """https://huggingface.co/<id> for a well-formed id, else None (never anything else)."""
    if not isinstance(model_id, str) or not _ID.match(model_id) or len(model_id) > 256:
        return None
    if any(part.startswith(".") for part in model_id.split("/")):
        return None
    url = "https://huggingface.co/" + "/".join(quote(part, safe="-_.") for part in model_id.split("/"))
    return url if is_safe_hub_url(url) else None


def is_safe_hub_url(url: str) -> bool:
    p = urlparse(url)
    return (
        p.scheme == "https"
        and p.hostname == "huggingface.co"
        and not p.username
        and not p.password
        and p.port in (None, 443)
    )


def plain(value: object, limit: int = 2000) -> str:
    """A value as a single plain-text line: ``printable`` (control, bidi and format characters shown as U+FFFD,
    length bounded), the one function every untrusted text goes through."""
    return printable(value, limit)
