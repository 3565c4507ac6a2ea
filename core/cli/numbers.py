"""What the command line accepts, checked where it is parsed: every whole number is one (no 1e3, no
9223372036854775808), every number is finite and in its range, no argument is undecodable text, no path is
empty. ``harden`` gives every option still declared with plain ``int`` or ``float`` the default bounds, so a
new option cannot forget them; options with their own range use ``whole`` or ``number`` directly."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Sequence

WHOLE_MAX = 2**31 - 1  # seeds, limits, sizes: more than any atlas needs, less than anything overflows at
NUMBER_MAX = 1e6  # seconds, zooms, sizes given as decimals


def _shown(text: str) -> str:
    return ascii(text[:40]) + ("..." if len(text) > 40 else "")


def whole(lo: int = 0, hi: int = WHOLE_MAX) -> Callable[[str], int]:
    """An argparse type: a whole number from ``lo`` to ``hi``."""

    def parse(text: str) -> int:
        try:
            v = int(text.strip(), 10)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{_shown(text)} is not a whole number") from None
        if not lo <= v <= hi:
            raise argparse.ArgumentTypeError(f"{_shown(text)} is out of range ({lo:,} to {hi:,})")
        return v

    parse.__name__ = "whole number"
    return parse


def number(lo: float = 0.0, hi: float = NUMBER_MAX, *, above_lo: bool = False) -> Callable[[str], float]:
    """An argparse type: a finite number from ``lo`` (or above it, with ``above_lo``) to ``hi``."""

    def parse(text: str) -> float:
        try:
            v = float(text.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"{_shown(text)} is not a number") from None
        if not math.isfinite(v):
            raise argparse.ArgumentTypeError(f"{_shown(text)} is not a finite number")
        if not (lo < v if above_lo else lo <= v) or v > hi:
            bound = f"above {lo:g}" if above_lo else f"{lo:g}"
            raise argparse.ArgumentTypeError(f"{_shown(text)} is out of range ({bound} to {hi:g})")
        return v

    parse.__name__ = "number"
    return parse


def date(text: str) -> str:
    """An argparse type: a date ``YYYY-MM-DD`` or ``YYYY-MM``, strictly as
    :func:`hubatlas.core.common.dates.parse_date` reads dates (no ``today``, ``NaT``, far years)."""
    from hubatlas.core.common.dates import parse_date

    try:
        parse_date(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    return text.strip()


def month(text: str) -> str:
    """An argparse type: a month ``YYYY-MM`` (a ``YYYY-MM-DD`` gives its month), strictly as
    :func:`hubatlas.core.common.dates.parse_date` reads dates (no ``today``, ``NaT``, far years)."""
    return date(text)[:7]


def nonempty_path(text: str) -> str:
    """An argparse type: a path that is not empty (an empty --cache would quietly mean the default)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty path (give a folder, or leave the option out)")
    return text


def harden(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Give every option of ``parser`` and its subcommands declared with ``int`` or ``float`` the default
    bounds (``whole()``, ``number()``)."""
    for action in parser._actions:
        if action.type is int:
            action.type = whole()
        elif action.type is float:
            action.type = number()
        if isinstance(action, argparse._SubParsersAction):
            for sub in set(action.choices.values()):
                harden(sub)
    return parser


def undecodable(argv: Sequence[str]) -> str | None:
    """The first argument that is not valid UTF-8 text (Python keeps such bytes as lone surrogates), or None."""
    for a in argv:
        try:
            a.encode("utf-8")
        except UnicodeEncodeError:
            return a
    return None


__all__ = [
    "NUMBER_MAX",
    "WHOLE_MAX",
    "date",
    "harden",
    "month",
    "nonempty_path",
    "number",
    "undecodable",
    "whole",
]
