"""A saved view's values, checked and bounded (see hubatlas.viewer.layers.view_file for the format).

Every value is type-checked: numbers finite and in range (an integer of 400 digits too), text of 1 to MAX_TEXT
characters that UTF-8 can store (no lone surrogate), dates strict (``YYYY-MM-DD`` or ``YYYY-MM``, years
FIRST_YEAR to LAST_YEAR: no ``today``, ``NaT`` or ``-200000-01-01``), ``"hubatlas_view"`` the number 1 (not
``true``). A lasso's outline is simplified to at most region.MAX_OUTLINE vertices, so a view of 100,000 vertices costs
no more to open than one drawn by hand. Anything else is a ViewError naming the key. No Qt, no GL.
"""

from __future__ import annotations

import math

import numpy as np

from hubatlas.core.common.dates import FIRST_YEAR, LAST_YEAR, parse_date
from hubatlas.core.common.fields import FILTERED
from hubatlas.viewer.layers.region import simplified

VERSION = 1
MAX_LIST = 100_000  # ids of a selection, points of a lasso as read
MAX_VALUES = 2_000  # values of one filter, hidden legend classes
MAX_TEXT = 300
MAX_SIDE = 16384  # pixels a side of a saved export size (camera.size)
MODES = ("modality", "pipeline_tag", "license", "library_name", "relation", "created", "downloads")


class ViewError(ValueError):
    """A view file that cannot be read; the message names the key."""


def quote(v: object) -> str:
    """A value as an error message or note shows it: escaped (ascii) and bounded."""
    return ascii(str(v)[:60])


def text(v: object, key: str) -> str:
    """Text of 1 to MAX_TEXT characters that can be stored as UTF-8."""
    if not isinstance(v, str) or not v or len(v) > MAX_TEXT:
        raise ViewError(f"{key}: text of 1 to {MAX_TEXT} characters expected")
    try:
        v.encode("utf-8")
    except UnicodeEncodeError:  # "\ud800": JSON allows it, no file, database or Arrow column does
        raise ViewError(f"{key}: {quote(v)} holds a lone surrogate (not a character)") from None
    return v


def boolean(v: object, key: str) -> bool:
    if not isinstance(v, bool):
        raise ViewError(f"{key}: true or false expected")
    return v


def number(v: object, key: str, lo: float, hi: float) -> float:
    """A finite number from ``lo`` to ``hi`` (never a bool; an integer too large for a float is out of range)."""
    bad = ViewError(f"{key}: a number from {lo:g} to {hi:g} expected, not {quote(v)}")
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise bad
    try:
        f = float(v)
    except OverflowError:  # an integer of hundreds of digits
        raise bad from None
    if not math.isfinite(f) or not lo <= f <= hi:
        raise bad
    return f


def items(v: object, key: str, cap: int) -> list:
    if not isinstance(v, list) or len(v) > cap:
        raise ViewError(f"{key}: a list of at most {cap:,} items expected")
    return v


def date(v: object, key: str) -> str | None:
    """A date as the view keeps it (``YYYY-MM-DD``), or None."""
    if v is None:
        return None
    t = text(v, key)
    try:
        day = parse_date(t)
    except ValueError:
        raise ViewError(
            f"{key}: {quote(t)} is not a date YYYY-MM-DD from {FIRST_YEAR} to {LAST_YEAR}"
        ) from None
    return str(np.datetime64("1970-01-01", "D") + np.timedelta64(day, "D"))


def version(raw: object) -> None:
    """``raw`` is a JSON object whose ``hubatlas_view`` is this format's number (``true`` equals 1 in Python:
    refused)."""
    v = raw.get("hubatlas_view") if isinstance(raw, dict) else None
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v != VERSION:
        raise ViewError(f'not a view: a JSON object with "hubatlas_view": {VERSION} expected')


def camera(c: object) -> dict:
    if not isinstance(c, dict):
        raise ViewError("camera: an object with center and zoom expected")
    center = items(c.get("center"), "camera.center", 2)
    if len(center) != 2:
        raise ViewError("camera.center: two numbers expected")
    out = {
        "center": [number(x, "camera.center", -100, 100) for x in center],
        "zoom": number(c.get("zoom", 1), "camera.zoom", 0.01, 10_000),
    }
    if "size" in c:  # the export's size in pixels (export --save-view), used by export --view
        size = items(c.get("size"), "camera.size", 2)
        if len(size) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in size):
            raise ViewError("camera.size: two whole numbers of pixels expected")
        out["size"] = [int(number(v, "camera.size", 16, MAX_SIDE)) for v in size]
    return out


def filters(f: object) -> dict:
    if not isinstance(f, dict):
        raise ViewError("filters: an object expected")
    known = set(FILTERED) | {"min_downloads", "max_downloads", "since", "as_of", "hide_undated"}
    unknown = sorted(set(f) - known)
    if unknown:
        raise ViewError(f"filters: unknown key {quote(unknown[0])}")
    out: dict = {}
    for name in FILTERED:
        if f.get(name) is not None:
            out[name] = [text(x, f"filters.{name}") for x in items(f[name], f"filters.{name}", MAX_VALUES)]
    for name in ("min_downloads", "max_downloads"):
        if name in f:
            out[name] = int(number(f[name], f"filters.{name}", 0, 1e15))
    for name in ("since", "as_of"):
        if f.get(name) is not None:
            out[name] = date(f[name], f"filters.{name}")
    if "hide_undated" in f:
        out["hide_undated"] = boolean(f["hide_undated"], "filters.hide_undated")
    return out


def _outline(r: dict) -> list[list[float]]:
    pts = items(r.get("outline"), "selection.region.outline", MAX_LIST)
    outline = []
    for p in pts:
        if not isinstance(p, list) or len(p) != 2:
            raise ViewError("selection.region.outline: [x, y] pairs expected")
        outline.append([number(x, "selection.region.outline", -100, 100) for x in p])
    if len(outline) < 3:
        raise ViewError("selection.region.outline: at least 3 points expected")
    return simplified(np.asarray(outline)).tolist()


def selection(s: object) -> dict:
    if not isinstance(s, dict):
        raise ViewError("selection: an object expected")
    out: dict = {}
    if s.get("model") is not None:
        out["model"] = text(s["model"], "selection.model")
        out["family"] = boolean(s.get("family", True), "selection.family")
    r = s.get("region")
    if r is not None:
        if not isinstance(r, dict) or r.get("how") not in ("box", "lasso", "ids", "all shown"):
            raise ViewError('selection.region: {"how": "box"|"lasso"|"ids"|"all shown", ...} expected')
        if r["how"] == "ids":
            ids = items(r.get("ids"), "selection.region.ids", MAX_LIST)
            out["region"] = {"how": "ids", "ids": [text(x, "selection.region.ids") for x in ids]}
        elif r["how"] == "all shown":
            out["region"] = {"how": "all shown"}
        else:
            out["region"] = {"how": r["how"], "outline": _outline(r)}
    return out


def validated(raw: dict) -> dict:
    """The view's data, every key checked (see the module's text)."""
    out: dict = {"hubatlas_view": VERSION}
    if "atlas" in raw:
        a = raw["atlas"] if isinstance(raw["atlas"], dict) else {}
        out["atlas"] = {
            "data_date": None if a.get("data_date") is None else text(a["data_date"], "atlas.data_date"),
            "models": int(number(a.get("models", 0), "atlas.models", 0, 1e10)),
        }
    if "camera" in raw:
        out["camera"] = camera(raw["camera"])
    if "color_by" in raw:
        if raw["color_by"] not in MODES:
            raise ViewError(f"color_by: one of {', '.join(MODES)} expected")
        out["color_by"] = raw["color_by"]
    for key in ("show_predicted", "labels", "density", "edges"):
        if key in raw:
            out[key] = boolean(raw[key], key)
    if "theme" in raw:
        if raw["theme"] not in ("dark", "light"):
            raise ViewError("theme: dark or light expected")
        out["theme"] = raw["theme"]
    if "hidden" in raw:
        out["hidden"] = [text(x, "hidden") for x in items(raw["hidden"], "hidden", MAX_VALUES)]
    if "filters" in raw:
        out["filters"] = filters(raw["filters"])
    if "selection" in raw:
        out["selection"] = selection(raw["selection"])
    return out
