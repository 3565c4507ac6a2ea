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
untrusted input: read from a regular file only (a FIFO or a device is refused without blocking), at most
MAX_BYTES (no more is ever read), parsed as JSON only (never evaluated), every value type-checked and bounded
(hubatlas.viewer.layers.view_checks); anything else is a ViewError that says which key is wrong. No Qt, no GL.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hubatlas.core.common.dates import day_text
from hubatlas.core.common.fields import FILTERED
from hubatlas.core.common.filters import Filters, parse_day
from hubatlas.core.common.regular_files import FileTooLarge, NotRegularFile, read_capped
from hubatlas.viewer.layers.atlas_state import AtlasState, Region, Selection
from hubatlas.viewer.layers.view_checks import (
    MAX_LIST,
    VERSION,
    ViewError,
    quote as _quote,
    validated,
    version,
)

MAX_BYTES = 4 * 2**20
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
    version(raw)
    unknown = sorted(set(raw) - KEYS)
    if unknown:
        raise ViewError(f"unknown key {_quote(unknown[0])} in the view")
    return View(validated(raw))


def load(path: str | Path) -> View:
    """A View from the regular file ``path`` (at most MAX_BYTES; a FIFO, device or folder is refused)."""
    p = Path(path)
    try:
        data = read_capped(p, MAX_BYTES, "view")
    except (NotRegularFile, FileTooLarge) as e:
        raise ViewError(str(e)) from None
    except OSError as e:
        raise ViewError(f"{p}: cannot be read ({e.strerror or e})") from None
    return loads(data)


# -- writing: what a view shows now ---------------------------------------------------------------------------
def capture(
    model,
    state: AtlasState,
    camera: tuple[float, float, float],
    legend: list,
    size: tuple[int, int] | None = None,
) -> View:
    """The view of ``state`` on ``model`` at ``camera`` (centre x, y and zoom); ``legend``: the legend entries
    of the colour mode (their labels name the hidden classes); ``size``: the image's size in pixels, kept as
    ``camera.size`` (an export's view is remade at its own size)."""
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
        "camera": {"center": [round(camera[0], 9), round(camera[1], 9)], "zoom": round(camera[2], 6)}
        | ({"size": [int(size[0]), int(size[1])]} if size else {}),
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
    return View(validated(data))


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
        found, missing = _nodes_of(model, r["ids"])
        if missing:
            notes.append(f"{missing:,} of the {len(r['ids']):,} selected models are not in this atlas")
        state.update(region=Region(found, None, "ids"))
    elif r["how"] == "all shown":
        state.update(region=Region(np.flatnonzero(shown), None, "all shown"))
    else:
        outline = np.asarray(r["outline"], np.float64)
        xy = np.stack([model.column("x"), model.column("y")], 1)
        state.update(region=Region(in_polygon(xy, shown, outline), outline, r["how"]))


ALIAS_LOOKUPS = 2_000  # ids of a selection looked up one by one (old ids the Hub moved); the rest are missing


def _nodes_of(model, ids: list[str]) -> tuple[np.ndarray, int]:
    """The nodes of a selection's ids, and how many are not in the atlas: as spelled, else in another case
    (ids differing in case are one model), else an old id the Hub moved (its model now; at most ALIAS_LOOKUPS
    of them are looked up)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    asked = pa.array(ids, pa.string())
    idx = pc.index_in(asked, value_set=model.ids)
    lower = pc.index_in(pc.utf8_lower(asked), value_set=pc.utf8_lower(model.ids))
    got = pc.coalesce(idx, lower).to_numpy(zero_copy_only=False).astype(np.float64)
    hit = ~np.isnan(got)
    rest = [ids[i] for i in np.flatnonzero(~hit)[:ALIAS_LOOKUPS]]
    moved = [n for n in (model.resolve(i) for i in rest) if n is not None]
    nodes = np.unique(np.concatenate([got[hit].astype(np.int64), np.asarray(moved, np.int64)]))
    return nodes, int((~hit).sum()) - len(moved)


__all__ = ["MAX_BYTES", "VERSION", "View", "ViewError", "apply", "capture", "load", "loads"]
