"""AtlasModel: one open atlas, as the window, the renderer and exports receive it. It decodes the snapshot once
(positions, the categorical fields' codes, edges as arrays), loads the predictions and the labels once (core
computes labels; the renderer only draws them), and keeps one visible mask per state. It is the only part of
the viewer that reads core's store, layout and analyses; the Qt and VisPy tiers go through it. No Qt, no GL."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pyarrow.compute as pc

from hubatlas.core.analysis.predict import PREDICTED, load_predictions
from hubatlas.core.store.database import Store
from hubatlas.core.store.snapshot import Snapshot
from hubatlas.viewer.layers import limits
from hubatlas.viewer.layers.atlas_state import AtlasState
from hubatlas.viewer.layers.labels import LabelSet
from hubatlas.viewer.layers.lineage_lod import INFERRED
from hubatlas.viewer.layers.styling import AtlasStyle


@dataclass(frozen=True)
class Edges:
    """Every lineage edge as arrays (source = parent, target = child; node indices)."""

    source: np.ndarray
    target: np.ndarray
    relation: np.ndarray  # code into AtlasModel.relations
    inferred: np.ndarray  # proposed by `hubatlas infer`, or its relation type was inferred
    proposed: np.ndarray  # the edge itself was proposed (not documented)
    cross: np.ndarray  # between two families: a merge's parent other than its primary one

    def __len__(self) -> int:
        return len(self.source)


CROSS = (
    "cross-family"  # the name lineage() gives an edge between two families (colours.RELATION_COLORS has it)
)
SPARSE_GRID = 256  # cells a side of the density the point sizes follow
SPARSE_MAX = 3.0  # a point in the sparsest places is drawn this many times bigger (in diameter)


def sparse_size(xy: np.ndarray, placed: np.ndarray) -> np.ndarray:
    """Size factors from the local density (a blurred 256² histogram): sqrt(dense / density), in [1, SPARSE_MAX],
    where "dense" is the density around the 90th percentile of the points."""
    from scipy.ndimage import gaussian_filter

    out = np.ones(len(xy), np.float32)
    if placed.sum() < 10:
        return out
    g = SPARSE_GRID
    cell = np.clip(((xy[placed] + 1.0) / 2.0 * g).astype(np.int64), 0, g - 1)
    flat = cell[:, 1] * g + cell[:, 0]
    dens = gaussian_filter(np.bincount(flat, minlength=g * g).astype(np.float64).reshape(g, g), 1.0).ravel()
    d = np.maximum(dens[flat], 1e-6)
    dense = np.percentile(d, 90)
    out[placed] = np.clip(np.sqrt(dense / d), 1.0, SPARSE_MAX)
    return out


class AtlasModel:
    """One atlas: its laid-out snapshot (everything per node) and, where it was opened from a cache, its
    read-only store (records and search). ``predictions``: the table from `hubatlas predict`, loaded from the
    cache when not given (False: none)."""

    def __init__(self, snap: Snapshot, store: Store | None = None, *, predictions=None, labels=None):
        self.snap = snap
        self.store = store
        self.n = len(snap)
        self.manifest = snap.manifest
        self.ids = snap.nodes.column("id")
        if self.n:
            self.xy = np.stack([snap.column("x"), snap.column("y")], 1).astype(np.float32)
        else:
            self.xy = np.zeros((0, 2), np.float32)
        self.placed: np.ndarray = np.asarray(np.isfinite(self.xy).all(1), dtype=bool)
        self.relations: list[str] = list(self.manifest.get("relations", []))
        if predictions is None and store is not None:
            predictions = load_predictions(store.dir, self.manifest.get("data_version"), self.n)
        self.predictions = predictions if predictions is not False else None
        self.style = AtlasStyle(snap)
        self.style.attach_predictions(self.predictions)
        self._labels = labels
        self._masks: dict[tuple, np.ndarray] = {}

    def __len__(self) -> int:
        return self.n

    @property
    def synthetic(self) -> bool:
        return bool(self.manifest.get("synthetic"))

    # -- decoded once ------------------------------------------------------------------------------------------
    @cached_property
    def edges(self) -> Edges:
        e = self.snap.edges
        return Edges(
            e.column("source").to_numpy().astype(np.int64),
            e.column("target").to_numpy().astype(np.int64),
            e.column("relation").to_numpy(),
            e.column("inferred").to_numpy(zero_copy_only=False).astype(bool),
            e.column("proposed").to_numpy(zero_copy_only=False).astype(bool),
            e.column("cross").to_numpy(zero_copy_only=False).astype(bool)
            if "cross" in e.column_names
            else np.zeros(e.num_rows, bool),
        )

    @property
    def labels(self) -> LabelSet:
        """The map's labels, computed with the layout (now, when missing; kept in memory only where the atlas
        is read-only). A damaged or odd atlas still opens: without labels."""
        if self._labels is None:
            from hubatlas.core.layout.labels import ensure_labels

            try:
                self._labels = LabelSet(ensure_labels(self.snap))
            except Exception as e:  # labels are a convenience
                import warnings

                warnings.warn(f"labels unavailable: {type(e).__name__}: {e}", RuntimeWarning, stacklevel=2)
                self._labels = LabelSet(None)
        return self._labels

    @cached_property
    def sparse_size(self) -> np.ndarray:
        """Per node, how much bigger its point is drawn because the map is sparse around it (1 where it is
        dense, up to SPARSE_MAX): as datamapplot and Embedding Atlas do, the canvas is used by the points'
        size, not by moving them apart."""
        return sparse_size(self.xy, self.placed)

    def column(self, name: str) -> np.ndarray:
        """A numeric per-node column (downloads, likes, created_day, family, depth, ...)."""
        return self.snap.column(name)

    # -- what a state shows ------------------------------------------------------------------------------------
    def shown_mask(self, state: AtlasState, nodes: np.ndarray | None = None) -> np.ndarray:
        """Placed nodes (of ``nodes``, or all) that no filter or hidden legend class hides: the shader's rules.
        Over all nodes it is computed once per state (filters, hidden classes, colour mode)."""
        if nodes is not None:
            return self._shown(state, nodes)
        key = (
            state.filters.key(),
            state.hidden_classes,
            state.mode if state.hidden_classes else None,
            state.show_predicted if state.hidden_classes else None,
        )
        if key not in self._masks:
            if len(self._masks) > 8:
                self._masks.clear()
            self._masks[key] = self._shown(state, None)
        return self._masks[key]

    def _shown(self, state: AtlasState, nodes: np.ndarray | None) -> np.ndarray:
        sel = slice(None) if nodes is None else nodes
        m = self.placed[sel].copy()
        if state.hidden_classes:
            colors = self.style.colors(state.mode, state.show_predicted, (0, 0, 0, 1))
            hidden = np.isin(colors.lut_class, list(state.hidden_classes))
            m &= ~hidden[colors.codes[sel]]
        f = self.style.filter_mask(state.filters, nodes)
        if f is not None:
            m &= f
        return m

    def shown_count(self, state: AtlasState) -> int:
        return int(self.shown_mask(state).sum())

    # -- one model -----------------------------------------------------------------------------------------------
    def model_id(self, node: int) -> str:
        return self.ids[node].as_py()

    def is_placeholder(self, node: int) -> bool:
        return bool(self.snap.nodes.column("placeholder")[node].as_py())

    def index_of(self, model_id: str) -> int | None:
        i = pc.index(self.ids, model_id).as_py()
        return None if i is None or i < 0 else int(i)

    def search(self, text: str, limit: int = 20) -> list[dict]:
        return self.store.search(text, limit) if self.store is not None else []

    def resolve(self, model_id: str) -> int | None:
        """The node of a model id as the store resolves it (case-insensitive; an old id the Hub moved gives the
        model it names now): what ``export --focus`` and a view's selection name."""
        node = self.index_of(model_id)
        if node is None and self.store is not None:
            node = self.index_of(self.store.resolve_id(model_id))
        return node

    def find(self, text: str) -> int | None:
        """The node of the first of the search ranking (what the type-ahead lists first and ``hubatlas search``
        prints first), else of the id as resolved, else None."""
        text = text.strip()
        if not text:
            return None
        for hit in self.search(text, 1):
            node = self.index_of(hit["id"])
            if node is not None:
                return node
        return self.resolve(text)

    def record(self, node: int) -> dict | None:
        return self.store.info(self.model_id(node)) if self.store is not None else None

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

    # -- families and lineage ------------------------------------------------------------------------------------
    def family_of(self, node: int) -> np.ndarray:
        fam = self.snap.column("family")
        return np.flatnonzero(fam == fam[node])

    @cached_property
    def family_tree(self):
        """Children and parents over documented edges (``core.analysis.families.FamilyTree``)."""
        from hubatlas.core.analysis.families import FamilyTree

        e = self.edges
        doc = ~e.proposed
        names = self.snap.nodes.column_names
        primary = self.snap.column("parent") if "parent" in names else None
        return FamilyTree(self.n, e.source[doc], e.target[doc], self.snap.column("depth"), primary)

    @cached_property
    def family_sizes(self) -> np.ndarray:
        return np.bincount(self.snap.column("family")) if self.n else np.zeros(0, np.int64)

    def lineage(self, node: int, cap: int | None = None) -> list[tuple[int, int, str]]:
        """Edges (parent, child, relation) to all ancestors and descendants of a node (cycle-safe
        breadth-first walks). The relation is the documented one ("merge"); where the Hub documents none
        and inference typed it, that type marked so ("finetune (inferred)", ``lineage_lod.INFERRED``); an
        edge between two families is named CROSS (a merge's link to its other parents' family)."""
        e = self.edges
        cap = limits.LINEAGE_EDGES if cap is None else cap
        out: list[tuple[int, int, str]] = []
        for a_col, b_col in ((e.target, e.source), (e.source, e.target)):  # up: child->parent; down
            frontier = [node]
            visited = {node}
            while frontier and len(out) < cap:
                hit = np.flatnonzero(np.isin(a_col, frontier))
                nxt = []
                for i in hit:
                    typed = self.relations[e.relation[i]] if e.relation[i] < len(self.relations) else ""
                    if e.cross[i]:
                        name = CROSS
                    elif e.inferred[i]:
                        name = f"{typed or 'unknown'}{INFERRED}"
                    else:
                        name = typed or "unknown"
                    out.append((int(e.source[i]), int(e.target[i]), name))
                    b = int(b_col[i])
                    if b not in visited:
                        visited.add(b)
                        nxt.append(b)
                frontier = nxt
        return out[:cap]

    def analysis_data(self):
        """The analysis columns, from a store connection of its own (safe in a background thread)."""
        from hubatlas.core.analysis.data import load

        if self.store is None:
            raise RuntimeError("this atlas was opened without its store")
        with Store(self.store.dir, readonly=True) as store:
            return load(store, self.snap)

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
