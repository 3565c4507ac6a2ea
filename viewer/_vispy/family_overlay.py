"""The selection drawn over the points (issue 36): the selected model (a red disc), its family (rings) and its
lineage (edges coloured by relation, typed-by-inference paler, bundled by level of detail:
``layers.lineage_lod``). Both follow the view: only what is in (a margin around) it is drawn, at most
``limits.FAMILY_RINGS`` rings (the most prominent first) and ``limits.LINEAGE_DRAWN`` segments; they are
laid out again only when the view has moved or zoomed by more than ``RELAYOUT`` of its width, so a gesture
re-uploads a few hundred vertices every few frames, never the family. Edges are one pixel wide (the cheapest
line a software renderer draws) and lie under the markers and the labels (draw order 3 < 4 < 5, 6)."""

from __future__ import annotations

import numpy as np
from vispy import scene

from hubatlas.viewer.layers import limits
from hubatlas.viewer.layers.lineage_lod import EMPTY, Drawn, LineageLOD

RELAYOUT = 0.15  # a pan or zoom beyond this share of the view's width lays the overlay out again
RING = (1.0, 0.85, 0.2, 0.9)
EDGE_ORDER, MARKER_ORDER = 3, 4  # under the labels (5, 6): a big family's lineage never buries their names


class SelectionOverlay:
    """The selected model, its family's rings and its lineage, for the current view."""

    def __init__(self, parent, xy: np.ndarray, placed: np.ndarray, order: np.ndarray | None = None):
        self.xy, self.placed = xy, placed
        self._order = order  # the buffer's priority order (most prominent first): which rings to keep
        self._rank: np.ndarray | None = None
        self.edges = scene.visuals.Line(parent=parent, connect="segments", width=1.0, antialias=False)
        self.edges.visible = False
        self.edges.order = EDGE_ORDER
        self.markers = scene.visuals.Markers(parent=parent)
        self.markers.visible = False
        self.markers.order = MARKER_ORDER
        self.node: int | None = None
        self.members = np.zeros(0, np.int64)
        self.lod: LineageLOD | None = None
        self.last: Drawn = EMPTY
        self.rings = 0
        self._key: tuple | None = None

    @property
    def drawn(self) -> int:
        """Segments of the lineage drawn now (bundles count one)."""
        return self.last.segments if self.edges.visible else 0

    def _ranked(self, nodes: np.ndarray) -> np.ndarray:
        if self._order is None:
            return nodes
        if self._rank is None:
            self._rank = np.full(len(self.xy), len(self.xy), np.int64)
            self._rank[self._order] = np.arange(len(self._order))
        return nodes[np.argsort(self._rank[nodes], kind="stable")]

    def show(self, node: int | None, related: np.ndarray | None, lineage: list | None) -> None:
        """Select ``node`` with its family ``related`` and its ``lineage`` (parent, child, relation) edges;
        drawn for the view at the next ``follow_view``."""
        self.node, self._key = node, None
        if node is None:
            self.markers.visible = self.edges.visible = False
            self.lod, self.members, self.last = None, np.zeros(0, np.int64), EMPTY
            return
        rel = np.zeros(0, np.int64) if related is None else np.asarray(related, np.int64)
        rel = rel[(rel != node) & self.placed[rel]] if len(rel) else rel
        self.members = self._ranked(rel)
        self.lod = LineageLOD(self.xy, self.placed, lineage or [])

    def follow_view(
        self, rect: tuple[float, float, float, float], px_world: float, force: bool = False
    ) -> bool:
        """Lay the overlay out for the view ``rect`` (x0, y0, x1, y1) at ``px_world`` map units a pixel, unless
        it moved less than RELAYOUT since the last layout. Returns whether it was laid out again."""
        if self.node is None:
            return False
        w = rect[2] - rect[0]
        key = self._key
        if (
            not force
            and key is not None
            and abs(np.log(w / key[2])) < RELAYOUT
            and abs(rect[0] - key[0]) < RELAYOUT * w
            and abs(rect[1] - key[1]) < RELAYOUT * w
        ):
            return False
        self._key = (rect[0], rect[1], w)
        self._rings(rect, px_world)
        self.last = self.lod.draw(rect, px_world) if self.lod is not None else EMPTY
        if self.last.segments:
            self.edges.set_data(pos=self.last.pos, color=self.last.color)
        self.edges.visible = bool(self.last.segments)
        return True

    def _rings(self, rect: tuple[float, float, float, float], px_world: float) -> None:
        x0, y0, x1, y1 = rect
        m = self.members
        if len(m):
            p = self.xy[m]
            inside = (p[:, 0] >= x0) & (p[:, 0] <= x1) & (p[:, 1] >= y0) & (p[:, 1] <= y1)
            m = m[inside][: limits.FAMILY_RINGS]  # the most prominent in view
        pts = np.r_[[self.node], m].astype(np.int64) if self.placed[self.node] else m
        self.rings = len(m)
        if not len(pts):
            self.markers.visible = False
            return
        face = np.tile(np.array([[1.0, 1.0, 1.0, 0.0]], np.float32), (len(pts), 1))
        edge = np.tile(np.array([RING], np.float32), (len(pts), 1))
        sizes = np.full(len(pts), 9.0 if len(m) < limits.FAMILY_RINGS else 7.0, np.float32)
        if self.placed[self.node]:
            face[0], edge[0], sizes[0] = (1.0, 0.2, 0.2, 1.0), (1.0, 1.0, 1.0, 1.0), 16.0
        self.markers.set_data(self.xy[pts], face_color=face, edge_color=edge, size=sizes, edge_width=2.0)
        self.markers.visible = True


class FollowsSelection:
    """The canvas's side (a mixin of AtlasCanvas): the state's selection drawn, laid out for the view as the
    camera moves. Needs ``self.selection``, ``self.state``, ``self.canvas`` and ``view_rect``."""

    def _show_selection(self) -> None:
        s = self.state.selection  # type: ignore[attr-defined]
        self.selection.show(s.node, s.related, s.lineage)  # type: ignore[attr-defined]
        self._follow_selection(force=True)

    def _follow_selection(self, force: bool = False) -> None:
        if self.selection.node is None:  # type: ignore[attr-defined]
            return
        # from the camera's rect (the scene's transforms follow it only at the next draw), widened as the
        # camera widens it to keep the canvas's aspect
        r = self.view.camera.rect  # type: ignore[attr-defined]
        w, h = (max(int(v), 1) for v in self.canvas.size)  # type: ignore[attr-defined]
        px_world = max(r.width / w, r.height / h)
        cx, cy = r.center
        rect = (cx - px_world * w / 2, cy - px_world * h / 2, cx + px_world * w / 2, cy + px_world * h / 2)
        if (
            getattr(self, "export_size", None) is not None
        ):  # an export's tiles: one layout for the whole image
            rect = (-1e9, -1e9, 1e9, 1e9)
        self.selection.follow_view(rect, px_world, force)  # type: ignore[attr-defined]
