"""What is known about the models of an open atlas, for the window to show: finding a model by id or search,
its stored record, its predicted values, its family and its lineage. Reads the store and the snapshot; no Qt,
no OpenGL."""
from __future__ import annotations

import numpy as np
import pyarrow.compute as pc

from hubatlas.core.analysis.predict import PREDICTED, load_predictions
from hubatlas.core.store.database import Store
from hubatlas.core.store.snapshot import Snapshot
from hubatlas.viewer.layers import limits


class AtlasModel:
    """One atlas: its store (for records and search) and its laid-out snapshot (for everything per node)."""

    def __init__(self, store: Store, snap: Snapshot):
        self.store = store
        self.snap = snap
        self.ids = snap.nodes.column("id")
        self.predictions = load_predictions(store.dir, snap.manifest.get("data_version"), len(snap))

    def __len__(self) -> int:
        return len(self.snap)

    def model_id(self, node: int) -> str:
        return self.ids[node].as_py()

    def index_of(self, model_id: str) -> int | None:
        i = pc.index(self.ids, model_id).as_py()
        return None if i is None or i < 0 else int(i)

    def search(self, text: str, limit: int = 20) -> list[dict]:
        return self.store.search(text, limit)

    def find(self, text: str) -> int | None:
        """The node of a model id, else of the best search hit, else None."""
        text = text.strip()
        if not text:
            return None
        node = self.index_of(text)
        if node is None:
            hits = self.store.search(text, 1)
            node = self.index_of(hits[0]["id"]) if hits else None
        return node

    def record(self, node: int) -> dict | None:
        return self.store.info(self.model_id(node))

    def predicted_for(self, node: int) -> dict:
        """attribute -> (predicted value, confidence) for the node's undocumented values."""
        if self.predictions is None:
            return {}
        out = {}
        for a in PREDICTED:
            if a in self.predictions.column_names:
                v = self.predictions.column(a)[node].as_py()
                if v is not None:
                    out[a] = (v, float(self.predictions.column(f"{a}_confidence")[node].as_py()))
        return out

    def family_of(self, node: int) -> np.ndarray:
        fam = self.snap.column("family")
        return np.flatnonzero(fam == fam[node])

    def lineage(self, node: int, cap: int | None = None) -> list[tuple[int, int, str]]:
        """Edges (parent, child, relation) to all ancestors and descendants of a node (cycle-safe
        breadth-first walks); inferred edges carry no relation name ("": drawn grey)."""
        e = self.snap.edges
        src = e.column("source").to_numpy()
        dst = e.column("target").to_numpy()
        rel_codes = e.column("relation").to_numpy()
        names = self.snap.manifest.get("relations", [])
        inferred = e.column("inferred").to_numpy(zero_copy_only=False)
        cap = limits.LINEAGE_EDGES if cap is None else cap
        out: list[tuple[int, int, str]] = []
        for a_col, b_col in ((dst, src), (src, dst)):  # up: child->parent; down: parent->child
            frontier = [node]
            visited = {node}
            while frontier and len(out) < cap:
                hit = np.flatnonzero(np.isin(a_col, frontier))
                nxt = []
                for i in hit:
                    known = rel_codes[i] < len(names) and not inferred[i]
                    out.append((int(src[i]), int(dst[i]), names[rel_codes[i]] if known else ""))
                    b = int(b_col[i])
                    if b not in visited:
                        visited.add(b)
                        nxt.append(b)
                frontier = nxt
        return out

    def analysis_data(self):
        """The analysis columns, from a store connection of its own (safe in a background thread)."""
        from hubatlas.core.analysis.data import load

        with Store(self.store.dir, readonly=True) as store:
            return load(store, self.snap)
