"""Untrusted text (model metadata, user input) made safe to print on a terminal: control characters, bidi
overrides and zero-width characters replaced, length bounded. Nothing is interpreted."""

from __future__ import annotations

LIMIT = 200


def printable(value: object, limit: int = LIMIT) -> str:
    """One line of plain text: every character that is not printable (escape sequences, BEL, NUL, newlines,
    U+202E and other format characters) becomes '\ufffd', and the result is cut to ``limit`` characters."""
    s = value if isinstance(value, str) else str(value)
    if len(s) > limit:
        s = s[: limit - 1] + "…"
    return "".join(ch if ch.isprintable() else "\ufffd" for ch in s)


def shown(value: object, limit: int = 80) -> str:
    """A value quoted for an error message: its repr (which escapes what is not printable), bounded; a cut
    string says how long it was."""
    r = repr(value)
    if len(r) <= limit:
        return r
    size = f" ({len(value)} characters)" if isinstance(value, str) else ""
    return r[: limit - 1] + "…" + size
