"""Selecting a region of the map (a box or a lasso) and what it holds: the models inside, a summary (counts
by task, licence, library and modality; total downloads) and a CSV of them. No Qt, no OpenGL: O(models) with
numpy, plus matplotlib's compiled point-in-polygon test for the candidates inside the lasso's bounding box."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hubatlas.core.common.atomic import atomic_output
from hubatlas.core.common.dates import day_text
from hubatlas.core.common.text import csv_cell

MAX_OUTLINE = 512  # a lasso's vertices as kept: each costs a pass over the models inside its box

SUMMARY_FIELDS = (
    ("pipeline_tag", "task"),
    ("license", "licence"),
    ("library_name", "library"),
    ("modality", "modality"),
)
TOP = 8  # values listed per field; the rest are summed into one line
CSV_COLUMNS = (
    "id",
    "pipeline_tag",
    "library_name",
    "license",
    "modality",
    "relation",
    "downloads",
    "likes",
    "placeholder",
)


def in_box(xy: np.ndarray, shown: np.ndarray, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    """Nodes (sorted) of the shown points inside the box (corners in any order)."""
    xa, xb = sorted((x0, x1))
    ya, yb = sorted((y0, y1))
    m = shown & (xy[:, 0] >= xa) & (xy[:, 0] <= xb) & (xy[:, 1] >= ya) & (xy[:, 1] <= yb)
    return np.flatnonzero(m)


def simplified(outline: np.ndarray, cap: int = MAX_OUTLINE) -> np.ndarray:
    """A closed outline of at most ``cap`` vertices: evenly spaced along its length (every vertex of a shorter
    one kept). Bounds what a lasso costs: each vertex is one pass over the models inside its box."""
    pts = np.asarray(outline, np.float64)
    if len(pts) <= cap:
        return pts
    step = np.hypot(*np.diff(pts, axis=0, append=pts[:1]).T)
    along = np.concatenate([[0.0], np.cumsum(step)[:-1]])
    targets = np.linspace(0.0, float(along[-1]) if along[-1] > 0 else 0.0, cap, endpoint=False)
    idx = np.unique(np.searchsorted(along, targets, side="left").clip(0, len(pts) - 1))
    if len(idx) < 3:
        idx = np.linspace(0, len(pts) - 1, cap).round().astype(np.int64)
    return pts[np.unique(idx)]


def in_polygon(xy: np.ndarray, shown: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Nodes (sorted) of the shown points inside the closed polygon (a lasso: its vertices in order; one of
    more than MAX_OUTLINE vertices is simplified first, so the cost stays bounded)."""
    from matplotlib.path import Path as MplPath

    poly = simplified(polygon)
    if len(poly) < 3:
        return np.zeros(0, dtype=np.int64)
    lo, hi = poly.min(0), poly.max(0)
    cand = np.flatnonzero(
        shown & (xy[:, 0] >= lo[0]) & (xy[:, 0] <= hi[0]) & (xy[:, 1] >= lo[1]) & (xy[:, 1] <= hi[1])
    )
    if not len(cand):
        return cand
    inside = MplPath(poly, closed=False).contains_points(xy[cand].astype(np.float64))
    return cand[inside]


@dataclass
class RegionSummary:
    count: int
    downloads: int  # total over the selected models (unknown counted as 0)
    by_field: dict[str, list[tuple[str, int]]]  # field title -> [(value, models)], most first; "(none)"

    def lines(self) -> list[str]:
        """The summary as plain text lines (values are untrusted: the caller shows them as plain text)."""
        out = [f"{self.count:,} models selected · {self.downloads:,} downloads in all"]
        for title, rows in self.by_field.items():
            out.append("")
            out.append(f"by {title}:")
            out += [f"  {value}  {n:,}" for value, n in rows]
        return out


def summarise(snap, nodes: np.ndarray) -> RegionSummary:
    nodes = np.asarray(nodes, dtype=np.int64)
    dl = snap.nodes.column("downloads").to_numpy(zero_copy_only=False)
    dl = np.nan_to_num(np.asarray(dl, dtype=np.float64)[nodes], nan=0.0)
    by: dict[str, list[tuple[str, int]]] = {}
    for col, title in SUMMARY_FIELDS:
        codes, labels = snap.codes(col)
        c = codes[nodes].astype(np.int64)
        counts = np.bincount(c[c >= 0], minlength=len(labels)) if len(labels) else np.zeros(0, np.int64)
        order = [int(i) for i in np.argsort(-counts, kind="stable") if counts[i] > 0]
        rows = [(str(labels[i]), int(counts[i])) for i in order[:TOP]]
        rest = int(sum(counts[i] for i in order[TOP:]))
        if rest:
            rows.append((f"{len(order) - TOP:,} other values", rest))
        missing = int((c < 0).sum())
        if missing:
            rows.append(("(none)", missing))
        by[title] = rows
    return RegionSummary(len(nodes), int(dl.sum()), by)


def _cell(v) -> str:
    """A CSV cell: untrusted text through ``csv_cell`` (control characters shown as U+FFFD; what a spreadsheet
    would read as a formula quoted with a leading ')."""
    return str(csv_cell(v))


def selection_rows(model, nodes: np.ndarray, limit: int) -> list[tuple]:
    """The Selection panel's table: the ``limit`` most downloaded of ``nodes`` (most first), each as (node, id,
    task, library, downloads, created, relation to its parent). Values are untrusted: shown as plain text."""
    nodes = np.asarray(nodes, dtype=np.int64)
    dl = model.column("downloads").astype(np.float64)[nodes]
    top = nodes[np.argsort(-np.nan_to_num(dl, nan=-1.0), kind="stable")[:limit]]
    t = model.snap.nodes
    cols = [t.column(c).take(top).to_pylist() for c in ("id", "pipeline_tag", "library_name", "downloads")]
    day = model.column("created_day")[top]
    rel = t.column("relation").take(top).to_pylist()
    return [
        (int(n), i, task, lib, d, day_text(dd), None if r in (None, "none") else r)
        for n, i, task, lib, d, dd, r in zip(top, *cols, day, rel, strict=True)
    ]


def _columns(snap, nodes: np.ndarray) -> dict[str, list]:
    """The exported columns of ``nodes``: CSV_COLUMNS and the creation date."""
    cols = {
        c: snap.nodes.column(c).take(nodes).to_pylist() for c in CSV_COLUMNS if c in snap.nodes.column_names
    }
    day = snap.column("created_day")[nodes]
    cols["created"] = [day_text(d) if d >= 0 else None for d in day]
    return cols


EXPORT_FORMATS = {".csv": "CSV", ".jsonl": "JSON Lines", ".parquet": "Parquet"}


def write_selection(path: str | Path, snap, nodes: np.ndarray) -> int:
    """The selected models as CSV, JSON Lines or Parquet by the file's suffix (the same columns in each);
    written beside the target and renamed (see atomic_path). Returns the number of rows."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in EXPORT_FORMATS:
        raise ValueError(f"{path.name}: choose a .csv, .jsonl or .parquet file")
    nodes = np.asarray(nodes, dtype=np.int64)
    cols = _columns(snap, nodes)
    with atomic_output(path) as tmp:  # a FIFO, device or folder at ``path`` is refused, never replaced
        if suffix == ".csv":
            with open(tmp, "w", newline="", encoding="utf-8") as f:
                w = csv.writer(f)
                w.writerow(list(cols))
                for row in zip(*cols.values(), strict=True):
                    w.writerow([_cell(v) for v in row])
        elif suffix == ".jsonl":
            with open(tmp, "w", encoding="utf-8") as f:
                for row in zip(*cols.values(), strict=True):
                    f.write(json.dumps(dict(zip(cols, row, strict=True)), ensure_ascii=False) + "\n")
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            pq.write_table(pa.table(cols), tmp)
    return len(nodes)


def write_csv(path: str | Path, snap, nodes: np.ndarray) -> int:
    """The selected models as CSV (one row per model, header first); returns the number of rows."""
    path = Path(path)
    return write_selection(path if path.suffix.lower() == ".csv" else path.with_suffix(".csv"), snap, nodes)
