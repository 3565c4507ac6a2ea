"""Untrusted text (model metadata, user input) made safe wherever it is shown: ``printable`` is the one
function every such text goes through before it reaches a terminal, a figure (PNG, SVG, PDF: legends, titles,
labels, captions), a chart or a CSV file. Control characters (NUL, ESC, BEL, newlines, tabs), bidi overrides
and isolates (U+202A-202E, U+2066-2069), zero-width and other format characters (U+FEFF), lone surrogates and
non-characters become U+FFFD, visibly; the length is bounded. Nothing is interpreted. Two thin wrappers add
what one kind of output needs besides: ``csv_cell`` (a cell a spreadsheet would run as a formula is quoted)
and ``chart_text`` (matplotlib's mathtext never parses data)."""

from __future__ import annotations

from numbers import Number

LIMIT = 200
REPLACEMENT = "\ufffd"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run these as formulas
CSV_LIMIT = 32_767  # a spreadsheet cell holds at most this many characters


def printable(value: object, limit: int = LIMIT) -> str:
    """One line of plain text: every character that is not printable (escape sequences, BEL, NUL, newlines,
    U+202E and other format characters) becomes '\ufffd', and the result is cut to ``limit`` characters."""
    s = value if isinstance(value, str) else str(value)
    if len(s) > limit:
        s = s[: limit - 1] + "…"
    if s.isprintable():  # the common case, checked in C
        return s
    return "".join(ch if ch.isprintable() else REPLACEMENT for ch in s)


def csv_cell(value: object) -> object:
    """A CSV cell: numbers as they are, None empty, text through ``printable`` and quoted with a leading '
    where a spreadsheet would read it as a formula (it starts with = + - @, a tab or a carriage return)."""
    if value is None:
        return ""
    if isinstance(value, Number):  # numbers are the atlas's own counts and measures (numpy's too)
        return value
    s = value if isinstance(value, str) else str(value)
    clean = printable(s, CSV_LIMIT)
    return "'" + clean if s.startswith(FORMULA_START) or clean.startswith(FORMULA_START) else clean


def chart_text(value: object, limit: int = LIMIT) -> str:
    """``printable`` text for a matplotlib artist that parses mathtext (chart titles, legends, tick labels):
    every '$' escaped, so a value such as 'a$_$b' is drawn as written, never parsed as a formula."""
    return printable(value, limit).replace("$", "\\$")


def shown(value: object, limit: int = 80) -> str:
    """A value quoted for an error message: its repr (which escapes what is not printable), bounded; a cut
    string says how long it was."""
    r = repr(value)
    if len(r) <= limit:
        return r
    size = f" ({len(value)} characters)" if isinstance(value, str) else ""
    return r[: limit - 1] + "…" + size
