"""AtlasCanvas: the whole map in one VisPy SceneCanvas (owned, not inherited). It renders an AtlasState
(layers.atlas_state) of an atlas (layers.atlas_model) and follows its changes: the points are uploaded once
(points.py) and a state change becomes a small look-up table or a few uniforms (colour, legend, filters, "as
of", size; state_uniforms.py), drawn at the interactive level of detail first and in full when the map rests
(detail.py); the edge and selection overlays are small visuals of their own (overlays.py). No Qt widgets: the
same object renders in the desktop window, headless for export, and in tests."""

from __future__ import annotations

import time

import numpy as np
from vispy import scene

from hubatlas.viewer._vispy.cartography import Cartography
from hubatlas.viewer._vispy.detail import AdaptiveDetail
from hubatlas.viewer._vispy.family_overlay import FollowsSelection, SelectionOverlay
from hubatlas.viewer._vispy.gl_release import release
from hubatlas.viewer._vispy.lod import GridIndex, priority_order
from hubatlas.viewer._vispy.map_canvas import MapCanvas
from hubatlas.viewer._vispy.overlays import EdgeOverlay
from hubatlas.viewer._vispy.points import Points
from hubatlas.viewer._vispy.state_uniforms import StateUniforms
from hubatlas.viewer.layers.atlas_model import AtlasModel
from hubatlas.viewer.layers.atlas_state import AtlasState, Selection, Theme, theme_named
from hubatlas.viewer.layers.colors import ColorResult
from hubatlas.viewer.layers.limits import FRAME_BUDGET_MS, MIN_SAMPLE  # noqa: F401 (re-exported)

SETTLE_S = 0.2  # full detail this long after the last camera or state change


RESOLUTION_PX = 1000  # the short side of an image whose points have the base size (bigger images: bigger)
SPARSE_CAP_PX = 4.5  # sparse regions' points grow to at most this (at RESOLUTION_PX): the big atlases' help


def base_point_size(n: int) -> float:
    """Marker size at zoom 1: large for small atlases, about a pixel at 2M (never below 1 px)."""
    return float(np.clip(6.0 * (2000.0 / max(n, 1)) ** 0.25, 1.0, 6.0))


def base_alpha(n: int) -> int:
    """Point opacity: dense atlases are translucent so overlaps read as density."""
    return int(np.clip(255 * (20000.0 / max(n, 1)) ** 0.3, 70, 230))


def make_canvas(model: AtlasModel, size, theme: str = "dark") -> AtlasCanvas:
    """An offscreen AtlasCanvas: VisPy's default backend where there is a screen, EGL without one."""
    from hubatlas.viewer.display import use_headless_gl

    use_headless_gl()
    return AtlasCanvas(model, size=size, show=False, theme=theme)


class AtlasCanvas(AdaptiveDetail, Cartography, StateUniforms, FollowsSelection):
    """The map of an open atlas (``layers.atlas_model.AtlasModel``, laid out)."""

    def __init__(
        self,
        model: AtlasModel,
        *,
        size=(1200, 800),
        show: bool = False,
        theme: str = "dark",
        app=None,
        parent=None,
        interaction_points: int | None = None,
        state: AtlasState | None = None,
        order: np.ndarray | None = None,
    ):
        """``state``: the state to follow (a window's own; None: a new one). An export copies it first."""
        self.model = model
        self.state = state if state is not None else AtlasState(theme=theme)
        self.canvas = MapCanvas(
            keys=None, size=size, show=show, bgcolor=self.theme.background, app=app, parent=parent
        )
        self.view = self.canvas.central_widget.add_view()
        self.view.camera = scene.PanZoomCamera(aspect=1)
        self.points = Points(parent=self.view.scene)
        self._init_detail(interaction_points)
        self.point_size = 1.0
        self.fixed_point_size: float | None = None  # exports: sizes from the whole image, not a tile
        self.fixed_zoom: float | None = None  # ... and the whole image's zoom
        self.export_size: tuple[int, int] | None = None  # ... and its size
        self.offscreen = parent is None and not show
        n = self.n = model.n
        self.xy, self.placed, self.style = model.xy, model.placed, model.style
        if order is None:
            order = priority_order(np.where(self.placed[:, None], self.xy, 0), seed=0)
            order = order[self.placed[order]]
        self.order = order  # the buffer: every placed node, most important first
        self.selection = SelectionOverlay(self.view.scene, self.xy, self.placed, self.order)
        self.edge_overlay = EdgeOverlay(self.view.scene, model.edges, model.relations, self.xy, self.order)
        self.alpha = base_alpha(n)
        self._last_cam_change = 0.0
        self._interacting = False
        self._fraction: float | None = None
        self._visible_in_buffer: np.ndarray | None = None  # the same mask in buffer order (picking)
        self._grid_index: GridIndex | None = None  # built on first use (zoom, hover): not needed to open
        dl = self.style.log_downloads()
        self._log_dl_max = max(float(np.nanmax(dl, initial=0)) if len(dl) else 0.0, 1.0)
        self.safe_mode = False
        self.colors: ColorResult
        self.reset_view()
        self._upload_points()
        self._choose_detail()
        self._init_cartography(model.labels)
        self._labels_stale = self.state.filters.active or bool(self.state.hidden_classes)
        self._unsubscribe = self.state.on_change(self._on_state)
        self.view.camera.transform.changed.connect(self._on_camera)
        self.canvas.events.draw.connect(self._on_draw, position="first")
        self.canvas.events.draw.connect(self._after_draw, position="last")
        if self.state.selection.node is not None:
            self._show_selection()

    @property
    def _grid(self) -> GridIndex | None:
        """The buffer's points in a grid (positions in the buffer), for picking and the points in view."""
        if self._grid_index is None and len(self.order):
            self._grid_index = GridIndex(self.xy[self.order])
        return self._grid_index

    def _upload_points(self) -> None:
        """The point buffer (once per visual) and every table and uniform the state sets."""
        self.points.set_data(
            self.xy[self.order], self.style.packed(self.order), self.model.sparse_size[self.order]
        )
        self.points.set_uniforms(mult=self.style.multipliers(), log_dl_max=self._log_dl_max)
        self.colors = self._apply_colors()
        self._allowed_key = None
        self._apply_filters()
        self._apply_region()
        self.points.use_scale(self.state.size_by_downloads)
        self._apply_size()

    @property
    def draw_error(self) -> str | None:
        """Why the last frame could not be drawn (None: it was)."""
        return self.canvas.draw_error

    def recover(self) -> None:
        """Safe mode, after a frame that could not be drawn: a new points visual with its buffer, tables and
        uniforms uploaded again (a failed frame can drop GL commands queued before it), the GL context's
        state reset (VisPy replays its 'current' command before the next frame), and no sample and no frame
        timing from now on: every point in view, every frame."""
        self.safe_mode = True
        self.adaptive = False
        self.interaction_points = max(len(self.order), 1)
        self.points.parent = None
        self.points = Points(parent=self.view.scene)
        self._upload_points()
        self._choose_detail()
        self.canvas.draw_error = None
        self.canvas.set_current()
        self.canvas.update()

    # -- the state, read through ---------------------------------------------------------------------------------
    @property
    def theme(self) -> Theme:
        return theme_named(self.state.theme)

    @property
    def mode(self) -> str:
        return self.state.mode

    @property
    def hidden_classes(self) -> frozenset[int]:
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
        """True while the camera or the state changes (until SETTLE_S after the last change)."""
        return self._interacting

    edges_drawn = property(lambda self: self.edge_overlay.drawn)
    edges_in_view = property(lambda self: self.edge_overlay.in_view)

    # -- following the state: tables and uniforms, never the point buffer ---------------------------------------
    def _on_state(self, changed: set[str]) -> None:
        if changed & {"mode", "show_predicted", "theme", "hidden_classes"}:
            self.colors = self._apply_colors()
        if "theme" in changed:
            self.canvas.bgcolor = self.theme.background
        if "filters" in changed:
            self._apply_filters()
        if "size_by_downloads" in changed:
            self.points.use_scale(self.state.size_by_downloads)
            self._apply_size()
        if changed & {"mode", "show_predicted", "hidden_classes", "filters"}:
            self._fraction = self._visible_in_buffer = None
            self._labels_stale = True
            self.keep_current_labels()
            self._restyled()
        if "show_all_edges" in changed:
            self._update_edges()
        if "region" in changed:
            self._apply_region()
        if "selection" in changed:
            self._show_selection()
        self.canvas.update()

    def _restyled(self) -> None:
        """A change of what is shown: drawn at the interactive level of detail now, in full once it rests."""
        self._last_cam_change = time.perf_counter()
        self._interacting = True
        if self.state.show_all_edges:
            self.edge_overlay.hide()
        self._choose_detail()

    # -- what is visible (computed on the CPU only when asked: picking, edges, counts) -------------------------
    def visible_mask(self) -> np.ndarray:
        """Placed nodes that no legend entry or filter hides (the model's mask for this state: the shader's
        rules)."""
        return self.model.shown_mask(self.state)

    @property
    def filtered(self) -> bool:
        return bool(self.state.hidden_classes) or self.state.filters.active

    @property
    def visible_count(self) -> int:
        return int(self.visible_mask().sum()) if self.filtered else len(self.order)

    def shown_fraction(self, sample: int = 4096) -> float:
        """The share of the buffer that the state shows, estimated on its first ``sample`` nodes (a
        density-weighted random sample): sizes the gesture prefix without a pass over every node."""
        if not self.filtered or not len(self.order):
            return 1.0
        if self._fraction is None:
            self._fraction = float(self.model.shown_mask(self.state, self.order[:sample]).mean())
        return self._fraction

    def _update_edges(self) -> None:
        if not self.state.show_all_edges or self._interacting:
            self.edge_overlay.hide()
        else:
            self.edge_overlay.update(self.visible_mask(), self.view_rect())

    # -- camera ----------------------------------------------------------------------------------------------
    def zoom_level(self) -> float:
        return 2.2 / max(self.view.camera.rect.width, 1e-9)

    def reset_view(self) -> None:
        self.view.camera.rect = (-1.1, -1.1, 2.2, 2.2)

    def zoom(self, factor: float, center=None) -> None:
        self.view.camera.zoom(factor, center)

    def camera(self) -> tuple[float, float, float]:
        """The camera as a saved view keeps it: the centre (world x, y) and the zoom (1 = whole map)."""
        r = self.view.camera.rect
        return float(r.center[0]), float(r.center[1]), self.zoom_level()

    def set_camera(self, x: float, y: float, zoom: float) -> None:
        """Centre the camera on (x, y) at ``zoom`` (1 = whole map)."""
        half = 1.1 / max(zoom, 1e-6)
        self.view.camera.rect = (float(x) - half, float(y) - half, 2 * half, 2 * half)

    def fly_to(self, node: int, zoom: float = 40.0) -> None:
        """Centre the camera on a node at the given zoom (1 = whole map)."""
        self.set_camera(*self.xy[node], zoom)

    def _on_camera(self, event=None) -> None:
        self._last_cam_change = time.perf_counter()
        self._interacting = True
        if self.state.show_all_edges:
            self.edge_overlay.hide()  # redrawn for the new view when the gesture ends
        self._apply_size()
        self._choose_detail()
        self._follow_selection()

    def settle(self) -> None:
        """End of a gesture or of a run of state changes: draw full detail (and the labels of what is shown)."""
        if self._labels_stale:
            self.follow_shown_labels()
            self._labels_stale = False
        self._interacting = False
        self._choose_detail()
        self._update_edges()
        self.canvas.update()

    def maybe_settle(self) -> bool:
        if self._interacting and time.perf_counter() - self._last_cam_change > SETTLE_S:
            self.settle()
            return True
        return False

    def point_size_for(self, zoom: float, size: tuple[int, int] | None = None) -> float:
        """Pixels of a point at ``zoom`` on an image of ``size`` (the canvas's own when None): bigger zoomed in,
        and in proportion to the image beyond 1000 pixels on its short side, so an export at twice the
        resolution looks like the window, not twice as dim."""
        w, h = size or self.canvas.size
        res = max(1.0, min(int(w), int(h)) / RESOLUTION_PX)
        return float(np.clip(base_point_size(self.n) * np.sqrt(max(zoom, 1e-3)), 1.0, 24.0) * res)

    def _apply_size(self) -> None:
        zoom = self.fixed_zoom or self.zoom_level()
        self.point_size = self.fixed_point_size or self.point_size_for(zoom)
        self.points.set_size(self.point_size)
        # sparse regions' bigger points matter at the overview; zoomed in, every point is already bigger
        size = self.export_size or self.canvas.size
        res = max(1.0, min(int(size[0]), int(size[1])) / RESOLUTION_PX)
        self.points.set_uniforms(
            sparse_weight=float(1.0 / np.sqrt(max(zoom, 1.0))), sparse_cap=float(SPARSE_CAP_PX * res)
        )

    def view_rect(self) -> tuple[float, float, float, float]:
        """The world rectangle the canvas shows (x0, y0, x1, y1): from its corners, so it includes what the
        camera adds to keep the aspect (the camera's own rect is only the part it was asked to show)."""
        w, h = self.canvas.size
        x0, y0 = self.scene_coords(0, h)
        x1, y1 = self.scene_coords(w, 0)
        return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)

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
        if self.filtered and self._visible_in_buffer is None:  # once per state, not per mouse move
            self._visible_in_buffer = self.visible_mask()[self.order]
        mask = self._visible_in_buffer if self.filtered else None
        j = self._grid.nearest(x, y, abs(x2 - x), mask=mask)
        return None if j is None else int(self.order[j])

    def select(
        self,
        node: int | None,
        related: np.ndarray | None = None,
        lineage: list[tuple[int, int, str]] | None = None,
    ) -> None:
        """Highlight a node, optionally its family (``related``) and lineage edges (parent, child, relation)."""
        self.state.update(selection=Selection(node, related, lineage))

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
        self._update_cartography()  # SceneCanvas.render emits no draw event
        if full_detail:
            was = self._interacting
            self._interacting = False
            self._choose_detail()
            img = self.canvas.render(alpha=True)
            self._interacting = was
            return img
        return self.canvas.render(alpha=True)

    def offscreen_copy(self, size: tuple[int, int]) -> AtlasCanvas:
        """A hidden canvas of exactly ``size`` pixels rendering a copy of this state and view (VisPy renders
        reliably only at a canvas's own size)."""
        other = AtlasCanvas(
            self.model,
            size=size,
            show=False,
            interaction_points=self.interaction_points,
            state=self.state.copy(),
            order=self.order,
        )
        r = self.view.camera.rect
        other.view.camera.rect = (r.left, r.bottom, r.width, r.height)
        other.settle()
        return other

    def close(self) -> None:
        self._unsubscribe()
        self.canvas.close()
        release(self.canvas)  # EGL keeps a closed canvas's context and scene otherwise (gl_release)
