"""Saved views: what a view shows, as a small JSON file people keep and send, and what remakes a figure.

    {"hubatlas_view": 1,
     "atlas": {"data_date": "2024-07-11", "models": 575738},
     "camera": {"center": [0.12, -0.4], "zoom": 3.5},
     "color_by": "license", "show_predicted": true, "hidden": ["(none)", "other"],
     "filters": {"license": ["mit", "apache-2.0"], "min_downloads": 10, "max_downloads": 0,
                 "since": "2023-01-01", "as_of": "2024-01-01", "hide_undated": false},
     "selection": {"model": "meta-llama/Llama-2-7b-hf", "family": true,
                   "region": {"how": "lasso", "outline": [[x, y], ...]} or {"how": "ids", "ids": [...]}},
     "labels": true, "density": false, "edges": false, "theme": "dark"}

Every key is optional but ``hubatlas_view``. Values are named as people read them (licence names, model ids,
ISO dates, legend labels), never as this atlas's internal codes, so a view opened on another atlas applies
what it can and says what it could not (a model or a licence that atlas does not have). A view file is
untrusted input: parsed as JSON only (never evaluated), at most MAX_BYTES, every value type-checked and
bounded; anything else is a ViewError that says which key is wrong. No Qt, no GL.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hubatlas.core.common.dates import day_text
from hubatlas.core.common.fields import FILTERED
from hubatlas.core.common.filters import Filters, parse_day
from hubatlas.viewer.layers.atlas_state import AtlasState, Region, Selection

VERSION = 1
MAX_BYTES = 4 * 2**20
MAX_LIST = 100_000  # ids of a selection, points of a lasso
MAX_VALUES = 2_000  # values of one filter, hidden legend classes
MAX_TEXT = 300
MODES = ("modality", "pipeline_tag", "license", "library_name", "relation", "created", "downloads")
KEYS = {
    "hubatlas_view",
    "atlas",
    "camera",
    "color_by",
    "show_predicted",
    "hidden",
    "filters",
    "selection",
    "labels",
    "density",
    "edges",
    "theme",
}


class ViewError(ValueError):
    """A view file that cannot be read; the message names the key."""


@dataclass
class View:
    """A validated view (see the module's text)."""

    data: dict
    notes: list[str] = field(default_factory=list)  # what could not be applied to this atlas

    def dumps(self, one_line: bool = False) -> str:
        return json.dumps(
            self.data, separators=(",", ":") if one_line else None, indent=None if one_line else 1
        )


# -- reading: validate and bound ------------------------------------------------------------------------------
def _reject_constant(name: str):
    raise ViewError(f"not a number: {name} (only finite numbers)")


def loads(text: str | bytes) -> View:
    """A View from JSON text (a file's content, or the one line Copy view puts on the clipboard)."""
    if len(text) > MAX_BYTES:
        raise ViewError(f"a view is at most {MAX_BYTES // 2**20} MB; this is {len(text):,} bytes")
    try:
        raw = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise ViewError("not a view: JSON nested too deeply") from None
    except (ValueError, UnicodeDecodeError) as e:
        if isinstance(e, ViewError):
            raise
        raise ViewError(f"not a view: not valid JSON ({str(e)[:120]})") from None
    if not isinstance(raw, dict) or raw.get("hubatlas_view") != VERSION:
        raise ViewError(f'not a view: a JSON object with "hubatlas_view": {VERSION} expected')
    unknown = sorted(set(raw) - KEYS)
    if unknown:
        raise ViewError(f"unknown key {_quote(unknown[0])} in the view")
    return View(_validated(raw))


def load(path: str | Path) -> View:
    p = Path(path)
    try:
        if p.stat().st_size > MAX_BYTES:
            raise ViewError(f"{p.name}: a view is at most {MAX_BYTES // 2**20} MB")
        return loads(p.read_bytes())
    except OSError as e:
        raise ViewError(f"{p}: cannot be read ({e.strerror or e})") from None


def _quote(v: object) -> str:
    return ascii(str(v)[:60])


def _text(v: object, key: str) -> str:
    if not isinstance(v, str) or not v or len(v) > MAX_TEXT:
        raise ViewError(f"{key}: text of 1 to {MAX_TEXT} characters expected")
    return v


def _bool(v: object, key: str) -> bool:
    if not isinstance(v, bool):
        raise ViewError(f"{key}: true or false expected")
    return v


def _number(v: object, key: str, lo: float, hi: float) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or not lo <= v <= hi:
        raise ViewError(f"{key}: a number from {lo:g} to {hi:g} expected")
    return float(v)


def _list(v: object, key: str, cap: int) -> list:
    if not isinstance(v, list) or len(v) > cap:
        raise ViewError(f"{key}: a list of at most {cap:,} items expected")
    return v


def _date(v: object, key: str) -> str | None:
    if v is None:
        return None
    text = _text(v, key)
    try:
        d = parse_day(text)
    except ValueError:
        d = None
    if d is None:
        raise ViewError(f"{key}: a date YYYY-MM-DD expected")
    return text[:10]


def _validated(raw: dict) -> dict:
    out: dict = {"hubatlas_view": VERSION}
    if "atlas" in raw:
        a = raw["atlas"] if isinstance(raw["atlas"], dict) else {}
        out["atlas"] = {
            "data_date": None if a.get("data_date") is None else _text(a["data_date"], "atlas.data_date"),
            "models": int(_number(a.get("models", 0), "atlas.models", 0, 1e10)),
        }
    if "camera" in raw:
        c = raw["camera"]
        if not isinstance(c, dict):
            raise ViewError("camera: an object with center and zoom expected")
        center = _list(c.get("center"), "camera.center", 2)
        if len(center) != 2:
            raise ViewError("camera.center: two numbers expected")
        out["camera"] = {
            "center": [_number(x, "camera.center", -100, 100) for x in center],
            "zoom": _number(c.get("zoom", 1), "camera.zoom", 0.01, 10_000),
        }
    if "color_by" in raw:
        if raw["color_by"] not in MODES:
            raise ViewError(f"color_by: one of {', '.join(MODES)} expected")
        out["color_by"] = raw["color_by"]
    for key in ("show_predicted", "labels", "density", "edges"):
        if key in raw:
            out[key] = _bool(raw[key], key)
    if "theme" in raw:
        if raw["theme"] not in ("dark", "light"):
            raise ViewError("theme: dark or light expected")
        out["theme"] = raw["theme"]
    if "hidden" in raw:
        out["hidden"] = [_text(x, "hidden") for x in _list(raw["hidden"], "hidden", MAX_VALUES)]
    if "filters" in raw:
        out["filters"] = _filters(raw["filters"])
    if "selection" in raw:
        out["selection"] = _selection(raw["selection"])
    return out


def _filters(f: object) -> dict:
    if not isinstance(f, dict):
        raise ViewError("filters: an object expected")
    known = set(FILTERED) | {"min_downloads", "max_downloads", "since", "as_of", "hide_undated"}
    unknown = sorted(set(f) - known)
    if unknown:
        raise ViewError(f"filters: unknown key {_quote(unknown[0])}")
    out: dict = {}
    for name in FILTERED:
        if f.get(name) is not None:
            out[name] = [_text(x, f"filters.{name}") for x in _list(f[name], f"filters.{name}", MAX_VALUES)]
    for name in ("min_downloads", "max_downloads"):
        if name in f:
            out[name] = int(_number(f[name], f"filters.{name}", 0, 1e15))
    for name in ("since", "as_of"):
        if f.get(name) is not None:
            out[name] = _date(f[name], f"filters.{name}")
    if "hide_undated" in f:
        out["hide_undated"] = _bool(f["hide_undated"], "filters.hide_undated")
    return out


def _selection(s: object) -> dict:
    if not isinstance(s, dict):
        raise ViewError("selection: an object expected")
    out: dict = {}
    if s.get("model") is not None:
        out["model"] = _text(s["model"], "selection.model")
        out["family"] = _bool(s.get("family", True), "selection.family")
    r = s.get("region")
    if r is not None:
        if not isinstance(r, dict) or r.get("how") not in ("box", "lasso", "ids", "all shown"):
            raise ViewError('selection.region: {"how": "box"|"lasso"|"ids"|"all shown", ...} expected')
        if r["how"] == "ids":
            ids = _list(r.get("ids"), "selection.region.ids", MAX_LIST)
            out["region"] = {"how": "ids", "ids": [_text(x, "selection.region.ids") for x in ids]}
        elif r["how"] == "all shown":
            out["region"] = {"how": "all shown"}
        else:
            pts = _list(r.get("outline"), "selection.region.outline", MAX_LIST)
            outline = []
            for p in pts:
                if not isinstance(p, list) or len(p) != 2:
                    raise ViewError("selection.region.outline: [x, y] pairs expected")
                outline.append([_number(x, "selection.region.outline", -100, 100) for x in p])
            if len(outline) < 3:
                raise ViewError("selection.region.outline: at least 3 points expected")
            out["region"] = {"how": r["how"], "outline": outline}
    return out


# -- writing: what a view shows now ---------------------------------------------------------------------------
def capture(model, state: AtlasState, camera: tuple[float, float, float], legend: list) -> View:
    """The view of ``state`` on ``model`` at ``camera`` (centre x, y and zoom); ``legend``: the legend entries
    of the colour mode (their labels name the hidden classes)."""
    f = state.filters
    filters: dict = {}
    for name, codes in f.values.items():
        if codes is not None and name in FILTERED:
            _, labels = model.snap.codes(name)
            filters[name] = sorted(labels[c] for c in codes if 0 <= c < len(labels))
    if f.min_downloads:
        filters["min_downloads"] = int(f.min_downloads)
    if f.max_downloads:
        filters["max_downloads"] = int(f.max_downloads)
    for name, day in (("since", f.since_day), ("as_of", f.as_of_day)):
        if day is not None:
            filters[name] = day_text(day) if day_text(day)[:1].isdigit() else "2022-03-02"
    if f.hide_undated:
        filters["hide_undated"] = True
    data: dict = {
        "hubatlas_view": VERSION,
        "atlas": {
            "data_date": model.snap.manifest.get("data_date"),
            "models": int(model.snap.manifest.get("models", 0)),
        },
        "camera": {"center": [round(camera[0], 9), round(camera[1], 9)], "zoom": round(camera[2], 6)},
        "color_by": state.mode,
        "show_predicted": bool(state.show_predicted),
        "hidden": [e.label for e in legend if e.key in state.hidden_classes],
        "filters": filters,
        "labels": bool(state.labels),
        "density": bool(state.density),
        "edges": bool(state.show_all_edges),
        "theme": state.theme,
    }
    sel: dict = {}
    if state.selection.node is not None:
        sel["model"] = model.model_id(state.selection.node)
        sel["family"] = state.selection.related is not None  # its family's rings and lineage drawn too
    region = state.region
    if region.nodes is not None:
        if region.outline is not None and region.how in ("box", "lasso"):
            sel["region"] = {"how": region.how, "outline": np.round(region.outline, 9).tolist()}
        elif region.how == "all shown":
            sel["region"] = {"how": "all shown"}
        else:
            ids = model.ids.take(region.nodes[:MAX_LIST]).to_pylist()
            sel["region"] = {"how": "ids", "ids": ids}
    if sel:
        data["selection"] = sel
    return View(_validated(data))


# -- applying: what this atlas has --------------------------------------------------------------------------
def apply(view: View, model, state: AtlasState, legend_for) -> tuple[float, float, float] | None:
    """Apply ``view`` to ``state`` on ``model``; returns the camera (centre x, y, zoom) or None. What this
    atlas cannot show is kept in ``view.notes``. ``legend_for()``: the legend entries once the colour mode is
    set (the hidden classes are named by their labels)."""
    d, notes = view.data, view.notes
    notes.clear()
    a = d.get("atlas") or {}
    here = model.snap.manifest.get("data_date")
    if a.get("data_date") and here and str(a["data_date"])[:10] != str(here)[:10]:
        notes.append(f"saved on data of {str(a['data_date'])[:10]}; this atlas's data is of {str(here)[:10]}")
    if "color_by" in d:
        state.color_by(d["color_by"])
    if "show_predicted" in d:
        on = d["show_predicted"] and model.predictions is not None
        if d["show_predicted"] and not on:
            notes.append("no predictions in this atlas: undocumented values shown as unknown")
        state.show_predictions(on)
    changes: dict = {k: d[k] for k in ("labels", "density", "theme") if k in d}
    if "edges" in d:
        changes["show_all_edges"] = d["edges"]
    if "filters" in d:
        changes["filters"] = _apply_filters(d["filters"], model, notes)
    state.update(**changes)
    if d.get("hidden"):
        legend = legend_for()
        by_label = {e.label: e.key for e in legend}
        keys = {by_label[x] for x in d["hidden"] if x in by_label}
        missing = [x for x in d["hidden"] if x not in by_label]
        if missing:
            notes.append(f"no legend class {', '.join(_quote(x) for x in missing[:5])} here: shown")
        state.update(hidden_classes=frozenset(keys))
    _apply_selection(d.get("selection") or {}, model, state, notes)
    cam = d.get("camera")
    return None if cam is None else (cam["center"][0], cam["center"][1], cam["zoom"])


def _apply_filters(f: dict, model, notes: list[str]) -> Filters:
    values: dict[str, frozenset[int] | None] = {}
    for name in FILTERED:
        if name not in f:
            values[name] = None
            continue
        _, labels = model.snap.codes(name)
        index = {x: i for i, x in enumerate(labels)}
        codes = {index[x] for x in f[name] if x in index}
        missing = [x for x in f[name] if x not in index]
        if missing:
            notes.append(f"no model here has {name} {', '.join(_quote(x) for x in missing[:5])}")
        values[name] = frozenset(codes)
    return Filters(
        values,
        min_downloads=f.get("min_downloads", 0),
        max_downloads=f.get("max_downloads", 0),
        since_day=parse_day(f["since"]) if f.get("since") else None,
        as_of_day=parse_day(f["as_of"]) if f.get("as_of") else None,
        hide_undated=f.get("hide_undated", False),
    )


def _apply_selection(s: dict, model, state: AtlasState, notes: list[str]) -> None:
    from hubatlas.viewer.layers.region import in_polygon

    node = None
    if s.get("model"):
        node = model.resolve(s["model"])
        if node is None:
            notes.append(f"no model {_quote(s['model'])} in this atlas: nothing selected")
    if node is None:
        state.update(selection=Selection())
    elif s.get("family", True):  # as the window selects: the model, its family's rings and its lineage
        state.update(selection=Selection(node, model.family_of(node), model.lineage(node)))
    else:
        state.update(selection=Selection(node))
    r = s.get("region")
    if r is None:
        state.update(region=Region())
        return
    shown = model.shown_mask(state)
    if r["how"] == "ids":
        import pyarrow as pa
        import pyarrow.compute as pc

        idx = pc.index_in(pa.array(r["ids"], pa.string()), value_set=model.ids).to_numpy(zero_copy_only=False)
        found = np.unique(idx[~np.isnan(idx.astype(np.float64))].astype(np.int64)) if len(idx) else idx
        found = np.asarray(found, np.int64)
        if len(found) < len(r["ids"]):
            notes.append(
                f"{len(r['ids']) - len(found):,} of the {len(r['ids']):,} selected models are not in this atlas"
            )
        state.update(region=Region(found, None, "ids"))
    elif r["how"] == "all shown":
        state.update(region=Region(np.flatnonzero(shown), None, "all shown"))
    else:
        outline = np.asarray(r["outline"], np.float64)
        xy = np.stack([model.column("x"), model.column("y")], 1)
        state.update(region=Region(in_polygon(xy, shown, outline), outline, r["how"]))


__all__ = ["MAX_BYTES", "VERSION", "View", "ViewError", "apply", "capture", "load", "loads"]
