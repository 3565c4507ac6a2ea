"""The map's labels: names a reader recognises, placed on the models they name, for whatever a view shows.

A view's labels are a function of the models it shows (filters, legend, downloads range, "as of" date): the
regions of a hierarchy computed once with the layout (label_basis.py: k-means at four scales, each model's
family, publisher, task, library and name word) are named by counting the shown models (label_regions.py).
The full map's labels are those of the view that shows everything, computed with the layout and cached
beside it; a narrowed view's are counted from a sample of at most VIEW_SAMPLE shown models, so they are ready
in a few tens of milliseconds at any size. Coarse regions are shown at the overview (``min_zoom`` 1), finer
ones from zoom 2, 4 and 8; sibling families side by side become one label of their common words, each still
named on its own from the next zoom; the most downloaded models' own names from zoom 16 and 32. Each label
says how many shown models it names (``count``) and keeps a sample of them (``members``). The texts come
from untrusted metadata: drawn as plain text.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
import pyarrow as pa

from hubatlas.core.common.text import printable
from hubatlas.core.layout import label_regions as lr
from hubatlas.core.layout.label_basis import REGIONS, LabelBasis, build_basis, ensure_basis
from hubatlas.core.store.snapshot import Snapshot, write_table

LABELS_FILE = "labels.arrow"
LABELS_VERSION = "7"  # labels cached by an older way of naming are named again
LEVELS = tuple(zip(lr.LEVEL_ZOOMS, REGIONS, strict=False))  # (min_zoom, regions) of the full map
MEMBERS_KEPT = lr.MEMBERS_KEPT
MAX_TEXT = 40
SCHEMA = pa.schema(
    [
        ("text", pa.string()),
        ("x", pa.float32()),
        ("y", pa.float32()),
        ("min_zoom", pa.float32()),
        ("count", pa.int64()),
        ("kind", pa.string()),
        ("members", pa.list_(pa.int32())),
    ]
)


def labels_from_basis(
    basis: LabelBasis,
    shown: np.ndarray | None = None,
    as_of_day: int | None = None,
    seed: int = 0,
    sample: int = 0,
) -> pa.Table:
    """The label table of the view showing the mask ``shown`` (None: everything) as of ``as_of_day`` (days
    since 1970; families made later are not named), counted from at most ``sample`` shown models (0: all)."""
    s = lr.Shown(basis, shown, as_of_day, seed, sample)
    if s.total < 20:
        return pa.Table.from_pylist([], schema=SCHEMA)
    rows: list[tuple] = []
    for level in range(len(lr.LEVEL_ZOOMS)):
        rows += lr.level_rows(basis, s, level, lr.region_level(basis, s, level))
    rows += lr.family_rows(basis, s, rows)
    rows = _dedupe(_merge_siblings(rows))
    rows += lr.model_rows(basis, shown)
    return _table(rows)


def _table(rows: list[tuple]) -> pa.Table:
    cols: list = list(zip(*rows, strict=True)) if rows else [()] * 7
    texts = [printable(t, MAX_TEXT) for t in cols[0]]  # plain, bounded text
    return pa.table(
        [
            pa.array(texts, pa.string()),
            pa.array(cols[1], pa.float32()),
            pa.array(cols[2], pa.float32()),
            pa.array(cols[3], pa.float32()),
            pa.array(cols[4], pa.int64()),
            pa.array(cols[5], pa.string()),
            pa.array(cols[6], pa.list_(pa.int32())),
        ],
        schema=SCHEMA,
    )


def compute_labels(snap: Snapshot, xy: np.ndarray, seed: int = 0) -> pa.Table:
    """The label table (text, x, y, min_zoom, count, kind, members) of a laid-out snapshot's whole map."""
    if np.isfinite(xy).all(1).sum() < 20:
        return pa.Table.from_pylist([], schema=SCHEMA)
    return labels_from_basis(build_basis(snap, xy, seed), seed=seed)


def view_labels(
    snap: Snapshot, shown: np.ndarray | None, as_of_day: int | None = None, basis: LabelBasis | None = None
) -> pa.Table:
    """The labels of a view of the snapshot: the cached full map's when it shows everything, else named for
    what it shows (from the cached basis; built now when missing)."""
    if shown is None and as_of_day is None:
        return ensure_labels(snap)
    basis = basis if basis is not None else ensure_basis(snap)
    if basis is None:
        return pa.Table.from_pylist([], schema=SCHEMA)
    return labels_from_basis(basis, shown, as_of_day, sample=lr.VIEW_SAMPLE)


def _common_words(texts: list[str]) -> str:
    words = [t.split() for t in texts]
    out = []
    for group in zip(*words, strict=False):
        if len({w.lower() for w in group}) != 1:
            break
        out.append(group[0])
    return " ".join(out)


def _merge_siblings(rows: list[tuple]) -> list[tuple]:
    """Sibling families side by side at one level ("Whisper small", "Whisper tiny"; "Mistral 7B v0.1",
    "Mistral 7B Instruct v0.2") are one name to a reader: they become one label of their common words
    ("Whisper", "Mistral 7B"), placed on the largest one's spot, naming all their models, so the name
    outranks what the two halves could not. Zoomed in, each sibling is named on its own again: from twice
    the merged label's zoom (at least 2), so the overview's "Llama" splits into its families by zoom 2."""
    fam = sorted((r for r in rows if r[5] == "family"), key=lambda r: (r[3], -r[4]))
    used: set[int] = set()
    merged: list[tuple] = []
    for i, r in enumerate(fam):
        if i in used:
            continue
        near = 0.35 / r[3]
        group = [i] + [
            j
            for j in range(i + 1, len(fam))
            if j not in used
            and fam[j][3] == r[3]
            and fam[j][0].split()[:1] == r[0].split()[:1]
            and abs(fam[j][1] - r[1]) < near
            and abs(fam[j][2] - r[2]) < near
        ]
        text = _common_words([fam[j][0] for j in group]) if len(group) > 1 else r[0]
        if len(group) == 1 or len(text) < 3:
            merged.append(r)
            continue
        used.update(group)
        count = sum(fam[j][4] for j in group)
        lists = [fam[j][6] for j in group]  # a share of each family's sample, so every one is named
        members = [lst[k] for k in range(max(map(len, lists))) for lst in lists if k < len(lst)][
            :MEMBERS_KEPT
        ]
        # the largest sibling's spot: on its own models (a centre between may be on others')
        merged.append((text, r[1], r[2], r[3], int(count), "family", members))
        deeper = max(2.0, 2.0 * r[3])
        merged += [(*fam[j][:3], deeper, *fam[j][4:]) for j in group if fam[j][0] != text]
    return [r for r in rows if r[5] != "family"] + merged


def _dedupe(rows: list[tuple]) -> list[tuple]:
    """Drop a finer label that repeats the text of a coarser one close by (within the finer level's scale)."""
    kept: list[tuple] = []
    by_text: dict[str, list[tuple]] = {}
    for r in sorted(rows, key=lambda r: (r[3], -r[4])):
        near = 0.35 / r[3]
        if any(abs(o[1] - r[1]) < near and abs(o[2] - r[2]) < near for o in by_text.get(r[0], [])):
            continue
        kept.append(r)
        by_text.setdefault(r[0], []).append(r)
    return kept


def labels_path(snap_dir: Path) -> Path:
    return Path(snap_dir) / LABELS_FILE


def write_labels(snap_dir: Path, table: pa.Table, layout_key: str) -> None:
    t = table.replace_schema_metadata({"layout_key": layout_key, "labels_version": LABELS_VERSION})
    write_table(t, labels_path(snap_dir))


def _read(path: Path) -> pa.Table | None:
    """A label table from ``path``, or None when it is missing, damaged or of another schema."""
    try:
        t = pa.ipc.open_file(pa.memory_map(str(path))).read_all()
    except (OSError, pa.ArrowException):
        return None
    version = (t.schema.metadata or {}).get(b"labels_version", b"").decode()
    return t if t.schema.equals(SCHEMA, check_metadata=False) and version == LABELS_VERSION else None


def read_labels(snap: Snapshot) -> pa.Table | None:
    """The cached labels of the snapshot's current layout, or None (missing, damaged or for another layout)."""
    t = _read(labels_path(snap.dir))
    if t is None:
        return None
    key = (t.schema.metadata or {}).get(b"layout_key", b"").decode()
    want = (snap.manifest.get("layout") or {}).get("key")
    return t if want and key == want else None


def labels_for_layout(path: Path, snap: Snapshot, seed: int) -> pa.Table:
    """The labels of a layout: from ``path`` (beside the cached layout) when computed before, else computed
    for the snapshot's positions and kept there. The snapshot's label basis (what narrowed views are named
    from) is made now too, so a first filter in the window does not wait for it."""
    basis = ensure_basis(snap, seed)
    t = _read(path)
    if t is None:
        t = (
            labels_from_basis(basis, seed=seed)
            if basis is not None
            else pa.Table.from_pylist([], schema=SCHEMA)
        )
        write_table(t.replace_schema_metadata({"labels_version": LABELS_VERSION}), path)
    return t


def ensure_labels(snap: Snapshot, seed: int = 0, write: bool = True) -> pa.Table:
    """The snapshot's labels: cached ones when they belong to its layout, else computed (and cached, when
    ``write`` and the folder is writable). An atlas without a layout has none."""
    t = read_labels(snap)
    if t is not None:
        return t
    basis = ensure_basis(snap, seed, write)
    if basis is None:
        return pa.Table.from_pylist([], schema=SCHEMA)
    t = labels_from_basis(basis, seed=seed)
    key = (snap.manifest.get("layout") or {}).get("key")
    if write and key:
        with contextlib.suppress(OSError):  # a read-only atlas: the labels live in memory for this session
            write_labels(snap.dir, t, key)
    return t
