"""AtlasCanvas: the whole map in one VisPy SceneCanvas (owned, not inherited). It renders an AtlasState
(layers.atlas_state) of a snapshot: points in level of detail (detail.py), colour by the state's mode, the
edge and selection overlays (overlays.py), hover picking. No Qt widgets: the same object renders in the
desktop window, headless for export, and in tests."""
from __future__ import annotations

import time

import numpy as np
from vispy import scene

from hubatlas.viewer._vispy.detail import FRAME_BUDGET_MS, MIN_SAMPLE, AdaptiveDetail  # noqa: F401 (re-exported)
from hubatlas.viewer._vispy.lod import GridIndex, priority_order
from hubatlas.viewer._vispy.overlays import EdgeOverlay, SelectionOverlay
from hubatlas.viewer._vispy.points import Points
from hubatlas.viewer.layers.atlas_state import AtlasState, Selection, Theme, theme_named
from hubatlas.viewer.layers.colors import ColorResult, color_by, predicted_labels, with_predictions

SETTLE_S = 0.2  # full detail this long after the last camera change


def base_point_size(n: int) -> float:
    """Marker size at zoom 1: large for small atlases, about a pixel at 2M (never below 1 px)."""
    return float(np.clip(6.0 * (2000.0 / max(n, 1)) ** 0.25, 1.0, 6.0))


def base_alpha(n: int) -> int:
    """Point opacity: dense atlases are translucent so overlaps read as density."""
    return int(np.clip(255 * (20000.0 / max(n, 1)) ** 0.3, 70, 230))


def make_canvas(snap, size, theme: str = "dark") -> AtlasCanvas:
    """An offscreen AtlasCanvas. VisPy picks its backend (PySide6 offscreen surface, or egl when set)."""
    import vispy

    try:
        vispy.use(app=None)
    except Exception:
        pass
    return AtlasCanvas(snap, size=size, show=False, theme=theme)


class AtlasCanvas(AdaptiveDetail):
    """The map of a snapshot (``hubatlas.core.store.snapshot.Snapshot`` with a layout)."""

    def __init__(self, snap, *, size=(1200, 800), show: bool = False, theme: str = "dark", app=None,
                 parent=None, interaction_points: int | None = None, state: AtlasState | None = None):
        self.snap = snap
        self.state = state.copy() if state is not None else AtlasState(theme=theme)
        self.canvas = scene.SceneCanvas(keys=None, size=size, show=show, bgcolor=self.theme.background, app=app,
                                        parent=parent)
        self.view = self.canvas.central_widget.add_view()
        self.view.camera = scene.PanZoomCamera(aspect=1)
        self.points = Points(parent=self.view.scene)
        self._init_detail(interaction_points)
        self.point_size = 1.0
        self.offscreen = parent is None and not show
        n = len(snap)
        self.n = n
        x, y = snap.column("x"), snap.column("y")
        self.xy = np.stack([x, y], 1).astype(np.float32) if n else np.zeros((0, 2), np.float32)
        self.placed = np.isfinite(self.xy).all(1)
        order = priority_order(np.where(self.placed[:, None], self.xy, 0), seed=0)
        self.order = order[self.placed[order]]
        self.selection = SelectionOverlay(self.view.scene, self.xy, self.placed)
        self.edge_overlay = EdgeOverlay(self.view.scene, snap, self.xy, self.order)
        self.alpha = base_alpha(n)
        self._last_cam_change = 0.0
        self._interacting = False
        self._buffer_nodes = np.zeros(0, dtype=np.int64)
        self._grid: GridIndex | None = None
        dl = snap.column("downloads").astype(np.float64) if n else np.zeros(0)
        # size factor by downloads: 0.6x for none, up to 4x for the most downloaded (log scale)
        ld = np.log10(np.maximum(dl, 0) + 1)
        self._dl_scale = (0.6 + 3.4 * ld / max(float(ld.max(initial=0)), 1.0)).astype(np.float32)
        self.colors: ColorResult = self._colors()
        self._rebuild_buffer()
        self.points.use_scale(self.state.size_by_downloads)
        self.reset_view()
        self.view.camera.transform.changed.connect(self._on_camera)
        self.canvas.events.draw.connect(self._on_draw, position="first")
        self.canvas.events.draw.connect(self._after_draw, position="last")
        if self.state.selection.node is not None:
            self.select(self.state.selection.node, self.state.selection.related, self.state.selection.lineage)

    # -- the state, read through ---------------------------------------------------------------------------------
    @property
    def theme(self) -> Theme:
        return theme_named(self.state.theme)

    @property
    def mode(self) -> str:
        return self.state.mode

    @property
    def hidden_classes(self) -> set[int]:
        return self.state.hidden_classes

    @property
    def show_predicted(self) -> bool:
        return self.state.show_predicted

    @property
    def size_by_downloads(self) -> bool:
        return self.state.size_by_downloads

    @property
    def show_all_edges(self) -> bool:
        return self.state.show_all_edges

    @property
    def selected(self) -> int | None:
        return self.state.selection.node

    @property
    def interacting(self) -> bool:
        """True while the camera moves (until SETTLE_S after its last change)."""
        return self._interacting

    @property
    def edges_drawn(self) -> int:
        return self.edge_overlay.drawn

    # -- data -> GPU -----------------------------------------------------------------------------------------
    def _colors(self) -> ColorResult:
        colors = color_by(self.snap, self.state.mode)
        if self.state.show_predicted:
            predicted = predicted_labels(self.state.predictions, self.state.mode, self.n)
            if predicted is not None:
                colors = with_predictions(colors, predicted, self.theme.background)
        return colors

    def _node_rgba(self, nodes: np.ndarray) -> np.ndarray:
        rgba = self.colors.rgba[nodes].copy()
        rgba[:, 3] = np.minimum(rgba[:, 3], self.alpha)
        return rgba

    def visible_mask(self) -> np.ndarray:
        """Placed nodes that no legend entry or filter hides."""
        return self.state.visible_mask(self.placed, self.colors.classes)

    def _rebuild_buffer(self) -> None:
        """Upload the visible nodes in priority order (on filter or legend changes only)."""
        self._visible = vis = self.visible_mask()
        self._buffer_nodes = self.order[vis[self.order]]
        self.points.set_data(self.xy[self._buffer_nodes], self._node_rgba(self._buffer_nodes),
                             self._dl_scale[self._buffer_nodes])
        self._grid = GridIndex(self.xy[self._buffer_nodes]) if len(self._buffer_nodes) else None
        self._apply_size()
        self._choose_detail()

    @property
    def visible_count(self) -> int:
        return int(len(self._buffer_nodes))

    # -- colour, filters -------------------------------------------------------------------------------------
    def set_color_mode(self, mode: str) -> ColorResult:
        self.state.mode = mode
        self.state.hidden_classes = set()
        self.colors = self._colors()
        self._rebuild_buffer()
        return self.colors

    def set_predictions(self, table, show: bool) -> ColorResult:
        """Colour undocumented values by their predictions (paler), or not."""
        self.state.predictions, self.state.show_predicted = table, show
        return self.set_color_mode(self.state.mode)

    def set_class_visible(self, key: int, visible: bool) -> None:
        (self.state.hidden_classes.discard if visible else self.state.hidden_classes.add)(key)
        self._rebuild_buffer()

    def set_filter_mask(self, mask: np.ndarray | None) -> None:
        """Restrict the map to ``mask`` (filters, time slider); None shows everything placed."""
        self.state.filter_mask = None if mask is None else np.asarray(mask, dtype=bool)
        self._rebuild_buffer()

    def set_size_by_downloads(self, on: bool) -> None:
        self.state.size_by_downloads = on
        self.points.use_scale(on)
        self._apply_size()

    def set_show_all_edges(self, on: bool) -> None:
        """Overlay the lineage edges in view (level of detail: at most the overlay's budget)."""
        self.state.show_all_edges = on
        self._update_edges()

    def _update_edges(self) -> None:
        if not self.state.show_all_edges or self._interacting:
            self.edge_overlay.hide()
        else:  # visibility as of the last buffer rebuild: filters and legend both rebuild it
            self.edge_overlay.update(self._visible, self.view_rect())

    def set_theme(self, name: str) -> None:
        self.state.theme = name
        self.canvas.bgcolor = self.theme.background
        self.canvas.update()

    # -- camera ----------------------------------------------------------------------------------------------
    def zoom_level(self) -> float:
        return 2.2 / max(self.view.camera.rect.width, 1e-9)

    def reset_view(self) -> None:
        self.view.camera.rect = (-1.1, -1.1, 2.2, 2.2)

    def zoom(self, factor: float, center=None) -> None:
        self.view.camera.zoom(factor, center)

    def fly_to(self, node: int, zoom: float = 40.0) -> None:
        """Centre the camera on a node at the given zoom (1 = whole map)."""
        x, y = self.xy[node]
        half = 1.1 / zoom
        self.view.camera.rect = (float(x) - half, float(y) - half, 2 * half, 2 * half)

    def _on_camera(self, event=None) -> None:
        self._last_cam_change = time.perf_counter()
        self._interacting = True
        if self.state.show_all_edges:
            self.edge_overlay.hide()  # redrawn for the new view when the gesture ends
        self._apply_size()
        self._choose_detail()

    def settle(self) -> None:
        """End of a gesture: draw full detail."""
        self._interacting = False
        self._choose_detail()
        self._update_edges()
        self.canvas.update()

    def maybe_settle(self) -> bool:
        if self._interacting and time.perf_counter() - self._last_cam_change > SETTLE_S:
            self.settle()
            return True
        return False

    def _apply_size(self) -> None:
        size = base_point_size(self.n) * np.sqrt(max(self.zoom_level(), 1e-3))
        self.point_size = float(np.clip(size, 1.0, 24.0))
        self.points.set_size(self.point_size)

    def view_rect(self) -> tuple[float, float, float, float]:
        r = self.view.camera.rect
        return r.left, r.bottom, r.right, r.top

    # -- picking, selection ------------------------------------------------------------------------------------
    def scene_coords(self, px: float, py: float) -> tuple[float, float]:
        p = self.view.scene.transform.imap([px, py, 0, 1])
        return float(p[0]), float(p[1])

    def world_to_pixel(self, x: float, y: float) -> tuple[float, float]:
        """Canvas pixel (x right, y down) of a scene point."""
        p = self.view.scene.transform.map([x, y, 0, 1])
        return float(p[0] / p[3]), float(p[1] / p[3])

    def pick(self, px: float, py: float, radius_px: float = 6.0) -> int | None:
        """The visible node under a canvas pixel (within ``radius_px``), via the grid index."""
        if self._grid is None:
            return None
        x, y = self.scene_coords(px, py)
        x2, _ = self.scene_coords(px + radius_px, py)
        j = self._grid.nearest(x, y, abs(x2 - x))
        return None if j is None else int(self._buffer_nodes[j])

    def select(self, node: int | None, related: np.ndarray | None = None,
               lineage: list[tuple[int, int, str]] | None = None) -> None:
        """Highlight a node, optionally its family (``related``) and lineage edges (parent, child, relation)."""
        self.state.selection = Selection(node, related, lineage)
        self.selection.show(node, related, lineage)
        self.canvas.update()

    # -- drawing -----------------------------------------------------------------------------------------------
    def render(self, size: tuple[int, int] | None = None, full_detail: bool = True) -> np.ndarray:
        """Render offscreen to an (h, w, 4) uint8 image (full detail unless asked otherwise). A ``size`` other
        than the canvas's own is rendered by a hidden copy of that size (same view, widened to its aspect)."""
        if size is not None and tuple(size) != tuple(self.canvas.size):
            other = self.offscreen_copy(tuple(size))
            try:
                return other.render(None, full_detail)
            finally:
                other.close()
        if full_detail:
            was = self._interacting
            self._interacting = False
            self._choose_detail()
            if self.points.drawn < self.visible_count and self._grid is not None:
                x0, y0, x1, y1 = self.view_rect()
                if (x1 - x0) >= 1.5:
                    self.points.show_all()
            img = self.canvas.render(alpha=True)
            self._interacting = was
            return img
        return self.canvas.render(alpha=True)

    def offscreen_copy(self, size: tuple[int, int]) -> AtlasCanvas:
        """A hidden canvas of exactly ``size`` pixels rendering the same state and view (VisPy renders
        reliably only at a canvas's own size)."""
        other = AtlasCanvas(self.snap, size=size, show=False, interaction_points=self.interaction_points,
                            state=self.state)
        r = self.view.camera.rect
        other.view.camera.rect = (r.left, r.bottom, r.width, r.height)
        other._update_edges()
        return other

    def close(self) -> None:
        self.canvas.close()
