"""The Selection panel's table over every selected model (issue 36), as Embedding Atlas pages its selected
rows: nothing is copied per row up front; a row's text is read when it is drawn, and sorting reorders one
array of nodes (ids through Arrow's sort, categories by their labels' order, numbers as numbers). A
selection of the whole atlas (575,738 real models) sorts in well under a second. No Qt, no GL."""

from __future__ import annotations

import numpy as np
import pyarrow.compute as pc

from hubatlas.core.common.dates import day_text

# (snapshot column, header)
COLUMNS = (
    ("id", "model"),
    ("pipeline_tag", "task"),
    ("license", "licence"),
    ("library_name", "library"),
    ("downloads", "downloads"),
    ("created", "created"),
)
CATEGORIES = {"pipeline_tag", "license", "library_name"}
NUMBERS = {"downloads", "created"}


class SelectionTable:
    """Rows over ``nodes`` of an AtlasModel, most downloaded first until ``sort`` is called."""

    def __init__(self, model, nodes: np.ndarray):
        self.model = model
        self.nodes = np.asarray(nodes, dtype=np.int64)
        self._codes: dict[str, tuple[np.ndarray, list[str]]] = {}
        self.order = self.nodes
        self.sort(4, descending=True)

    def __len__(self) -> int:
        return len(self.order)

    def node(self, row: int) -> int:
        return int(self.order[row])

    def codes(self, name: str) -> tuple[np.ndarray, list[str]]:
        if name not in self._codes:
            names = self.model.snap.nodes.column_names
            if name in names:
                self._codes[name] = self.model.snap.codes(name)
            else:
                self._codes[name] = (np.full(self.model.n, -1, np.int32), [])
        return self._codes[name]

    def value(self, row: int, col: int) -> str | int | None:
        """Column ``col`` of row ``row``: text, a number (downloads), or None where unknown."""
        n = int(self.order[row])
        name = COLUMNS[col][0]
        if name == "id":
            return self.model.ids[n].as_py()
        if name in CATEGORIES:
            codes, labels = self.codes(name)
            c = int(codes[n])
            return labels[c] if c >= 0 else None
        if name == "downloads":
            d = self.model.column("downloads")[n]
            return None if not np.isfinite(d) else int(d)
        day = int(self.model.column("created_day")[n])
        return day_text(day) if day >= 0 else None

    def text(self, row: int, col: int) -> str:
        """The cell as shown: numbers with thousands separators, "-" where unknown."""
        v = self.value(row, col)
        if v is None:
            return "-"
        return f"{v:,}" if isinstance(v, int) else str(v)

    def _key(self, col: int) -> np.ndarray | None:
        name = COLUMNS[col][0]
        nodes = self.nodes
        if name in CATEGORIES:
            codes, labels = self.codes(name)
            rank = np.argsort(np.argsort(np.array(labels, dtype=object), kind="stable"), kind="stable")
            rank = np.append(rank, -1)  # code -1 (none) sorts first ascending, last descending
            return rank[codes[nodes]].astype(np.float64)
        if name == "downloads":
            return np.nan_to_num(self.model.column("downloads").astype(np.float64)[nodes], nan=-1.0)
        if name == "created":
            return self.model.column("created_day")[nodes].astype(np.float64)
        return None

    def sort(self, col: int, descending: bool = False) -> None:
        """Order the rows by column ``col`` (ties keep the selection's order)."""
        key = self._key(col)
        if key is None:  # ids: Arrow sorts the strings
            ids = self.model.ids.take(self.nodes)
            idx = pc.array_sort_indices(ids, order="descending" if descending else "ascending")
            self.order = self.nodes[np.asarray(idx, dtype=np.int64)]
        else:
            self.order = self.nodes[np.argsort(-key if descending else key, kind="stable")]
        self.sorted_by = (col, descending)
