"""AtlasCanvas: the whole map in one VisPy SceneCanvas (owned, not inherited), with level of detail,
colour modes, visibility filters, hover picking, selection highlight and lineage overlay. No Qt widgets:
the same object renders in the desktop window, headless for export, and in tests."""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from vispy import scene

from .colors import ColorResult, color_by, predicted_labels, relation_rgba, with_predictions
from .lod import GridIndex, priority_order
from .points import Points

INTERACTION_POINTS = 200_000  # the sample drawn while the camera moves, until measured
FRAME_BUDGET_MS = 30.0        # adaptive level of detail: the gesture sample is sized to draw in this time
MIN_SAMPLE = 20_000
SETTLE_S = 0.2                # full detail this long after the last camera change


@dataclass
class Theme:
    name: str
    background: tuple
    text: tuple


THEMES = {"dark": Theme("dark", (0.07, 0.07, 0.09, 1.0), (0.9, 0.9, 0.9, 1.0)),
          "light": Theme("light", (0.98, 0.98, 0.97, 1.0), (0.1, 0.1, 0.1, 1.0))}


def base_point_size(n: int) -> float:
    """Marker size at zoom 1: large for small atlases, about a pixel at 2M (never below 1 px)."""
    return float(np.clip(6.0 * (2000.0 / max(n, 1)) ** 0.25, 1.0, 6.0))


def base_alpha(n: int) -> int:
    """Point opacity: dense atlases are translucent so overlaps read as density."""
    return int(np.clip(255 * (20000.0 / max(n, 1)) ** 0.3, 70, 230))


class AtlasCanvas:
    """The map of a snapshot (``hubatlas.core.snapshot.Snapshot`` with a layout)."""

    def __init__(self, snap, *, size=(1200, 800), show: bool = False, theme: str = "dark", app=None,
                 parent=None, interaction_points: int | None = None):
        self.snap = snap
        self.theme = THEMES.get(theme, THEMES["dark"])
        self.canvas = scene.SceneCanvas(keys=None, size=size, show=show, bgcolor=self.theme.background, app=app,
                                        parent=parent)
        self.view = self.canvas.central_widget.add_view()
        self.view.camera = scene.PanZoomCamera(aspect=1)
        self.points = Points(parent=self.view.scene)
        self.edges = scene.visuals.Line(parent=self.view.scene, connect="segments", width=1.5,
                                        antialias=False)
        self.edges.visible = False
        self.highlight = scene.visuals.Markers(parent=self.view.scene)
        self.highlight.visible = False
        # None: measure this machine's cost per point at the first gesture and size the sample to the budget
        self.adaptive = interaction_points is None
        self.interaction_points = INTERACTION_POINTS if interaction_points is None else interaction_points
        self.ms_per_point: float | None = None
        self._calib_size: float | None = None  # point size when ms_per_point was measured
        self.point_size = 1.0
        self.offscreen = parent is None and not show
        self._selection_args: tuple = (None, None, None)
        n = len(snap)
        self.n = n
        x, y = snap.column("x"), snap.column("y")
        self.xy = np.stack([x, y], 1).astype(np.float32) if n else np.zeros((0, 2), np.float32)
        self.placed = np.isfinite(self.xy).all(1)
        self.order = priority_order(np.where(self.placed[:, None], self.xy, 0), seed=0)
        self.order = self.order[self.placed[self.order]]
        self.hidden_classes: set[int] = set()   # legend entries switched off
        self.extra_mask: np.ndarray | None = None
        self.mode = "modality"
        self.predictions = None  # pyarrow Table from `hubatlas predict`, aligned with the snapshot
        self.show_predicted = False
        self.colors: ColorResult = color_by(snap, self.mode)
        self.alpha = base_alpha(n)
        self.size_by_downloads = False
        self.selected: int | None = None
        self.last_frame_ms = 0.0
        self._last_cam_change = 0.0
        self._interacting = False
        self._buffer_nodes = np.zeros(0, dtype=np.int64)
        self._grid: GridIndex | None = None
        dl = snap.column("downloads").astype(np.float64) if n else np.zeros(0)
        # size factor by downloads: 0.6x for none, up to 4x for the most downloaded (log scale)
        ld = np.log10(np.maximum(dl, 0) + 1)
        self._dl_scale = (0.6 + 3.4 * ld / max(float(ld.max(initial=0)), 1.0)).astype(np.float32)
        self.show_all_edges = False
        self.edge_budget = 50_000
        self.all_edges = scene.visuals.Line(parent=self.view.scene, connect="segments", width=1.0)
        self.all_edges.visible = False
        self.all_edges.order = -1  # under the points
        self._rebuild_buffer()
        self.reset_view()
        self.view.camera.transform.changed.connect(self._on_camera)
        self.edges_drawn = 0
        self.canvas.events.draw.connect(self._on_draw, position="first")
        self.canvas.events.draw.connect(self._after_draw, position="last")

    # -- data -> GPU -----------------------------------------------------------------------------------------
    def _node_rgba(self, nodes: np.ndarray) -> np.ndarray:
        rgba = self.colors.rgba[nodes].copy()
        rgba[:, 3] = np.minimum(rgba[:, 3], self.alpha)
        return rgba

    def visible_mask(self) -> np.ndarray:
        """Placed nodes that no legend entry or filter hides."""
        m = self.placed.copy()
        if self.hidden_classes:
            m &= ~np.isin(self.colors.classes, list(self.hidden_classes))
        if self.extra_mask is not None:
            m &= self.extra_mask
        return m

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

    # -- colour, filters ---------------------------------------------------------------------------------------
    def set_color_mode(self, mode: str) -> ColorResult:
        self.mode = mode
        self.colors = color_by(self.snap, mode)
        if self.show_predicted:
            predicted = predicted_labels(self.predictions, mode, self.n)
            if predicted is not None:
                self.colors = with_predictions(self.colors, predicted, self.theme.background)
        self.hidden_classes = set()
        self._rebuild_buffer()
        return self.colors

    def set_predictions(self, table, show: bool) -> ColorResult:
        """Colour undocumented values by their predictions (paler), or not."""
        self.predictions, self.show_predicted = table, show
        return self.set_color_mode(self.mode)

    def set_class_visible(self, key: int, visible: bool) -> None:
        (self.hidden_classes.discard if visible else self.hidden_classes.add)(key)
        self._rebuild_buffer()

    def set_filter_mask(self, mask: np.ndarray | None) -> None:
        """Restrict the map to ``mask`` (filters, time slider); None shows everything placed."""
        self.extra_mask = None if mask is None else np.asarray(mask, dtype=bool)
        self._rebuild_buffer()

    def set_size_by_downloads(self, on: bool) -> None:
        self.size_by_downloads = on
        self.points.use_scale(on)
        self._apply_size()

    def set_show_all_edges(self, on: bool) -> None:
        """Overlay the lineage edges in view (level of detail: at most ``edge_budget``, most important first)."""
        self.show_all_edges = on
        self._update_edges()

    def _update_edges(self) -> None:
        if not self.show_all_edges or self._interacting:
            self.all_edges.visible = False
            return
        e = self.snap.edges
        if e.num_rows == 0:
            self.all_edges.visible = False
            return
        if not hasattr(self, "_edge_arrays"):
            src = e.column("source").to_numpy().astype(np.int64)
            dst = e.column("target").to_numpy().astype(np.int64)
            big = np.iinfo(np.int64).max
            # importance of an edge: the better-ranked of its two endpoints in the density-weighted order
            full_rank = np.full(self.n, big, dtype=np.int64)
            full_rank[self.order] = np.arange(len(self.order))
            imp = np.minimum(full_rank[src], full_rank[dst])
            keep = np.argsort(imp, kind="stable")
            inferred = e.column("inferred").to_numpy(zero_copy_only=False)
            self._edge_arrays = (src[keep], dst[keep], e.column("relation").to_numpy()[keep], inferred[keep])
        src, dst, rel, inferred = self._edge_arrays
        vis = self._visible  # as of the last buffer rebuild: filters and legend both rebuild it
        x0, y0, x1, y1 = self.view_rect()
        a, b = self.xy[src], self.xy[dst]
        inside = vis[src] & vis[dst] & (
            ((a[:, 0] >= x0) & (a[:, 0] <= x1) & (a[:, 1] >= y0) & (a[:, 1] <= y1)) |
            ((b[:, 0] >= x0) & (b[:, 0] <= x1) & (b[:, 1] >= y0) & (b[:, 1] <= y1)))
        idx = np.flatnonzero(inside)[: self.edge_budget]
        if not len(idx):
            self.all_edges.visible = False
            return
        names = self.snap.manifest.get("relations", [])
        palette = np.array([relation_rgba(nm, 0.35) for nm in names] + [relation_rgba("", 0.35)], np.float32)
        codes = np.minimum(rel[idx].astype(np.int64), len(names))
        seg = np.empty((2 * len(idx), 2), np.float32)
        seg[0::2], seg[1::2] = a[idx], b[idx]
        col = palette[codes]
        inf = inferred[idx]
        col[inf, :3] = 0.35 * col[inf, :3] + 0.65  # inferred lineage: washed out toward white, fainter
        col[inf, 3] = 0.2
        col = np.repeat(col, 2, axis=0)
        self.all_edges.set_data(pos=seg, color=col)
        self.all_edges.visible = True
        self.edges_drawn = len(idx)

    def set_theme(self, name: str) -> None:
        self.theme = THEMES.get(name, THEMES["dark"])
        self.canvas.bgcolor = self.theme.background
        self.canvas.update()

    # -- camera ------------------------------------------------------------------------------------------------
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
        if self.show_all_edges:
            self.all_edges.visible = False  # redrawn for the new view when the gesture ends
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

    def _fill_factor(self) -> float:
        """How much more a point costs now than at calibration: its area on screen, relative (≥ 1)."""
        return max(1.0, (self.point_size / self._calib_size) ** 2) if self._calib_size else 1.0

    def gesture_points(self) -> int:
        """The gesture sample size: fixed when given, else the measured one scaled for the current point size."""
        if not self.adaptive:
            return self.interaction_points
        return int(max(MIN_SAMPLE, self.interaction_points / self._fill_factor()))

    def view_rect(self) -> tuple[float, float, float, float]:
        r = self.view.camera.rect
        return r.left, r.bottom, r.right, r.top

    def _choose_detail(self) -> None:
        """Interaction: the prefix sample (or all visible points when few). Rest: everything in view."""
        if self._grid is None:
            self.points.show_all()
            return
        x0, y0, x1, y1 = self.view_rect()
        zoomed_in = (x1 - x0) < 1.5
        in_view = self._grid.count_in_rect(x0, y0, x1, y1) if zoomed_in else self.visible_count
        if self._interacting and self.adaptive and self.ms_per_point is None and self.visible_count > MIN_SAMPLE:
            self.calibrate()
        cap = self.gesture_points()
        if self._interacting and in_view > cap:
            self.points.show_prefix(cap)
        elif zoomed_in and in_view < 0.5 * self.visible_count:
            self.points.show_subset(self._grid.in_rect(x0, y0, x1, y1))
        else:
            self.points.show_all()

    def calibrate(self, sample: int = 50_000, rounds: int = 5) -> float:
        """Size the gesture sample so its frame draws in FRAME_BUDGET_MS, timed to completion (glFinish).
        The sample is a prefix of the density-weighted order, so its cost grows faster than its length (later
        points fall in dense, overdrawn regions): start from ``sample`` points and correct the size from the
        measured time of the size itself, a few rounds, growing at most 4× a round."""
        from vispy import gloo
        from vispy.gloo import gl

        c = self.canvas
        w, h = (max(1, int(v)) for v in c.size)
        fbo = gloo.FrameBuffer(color=gloo.RenderBuffer((h, w)))
        drawn_before, ib_before = self.points.drawn, self.points._index_buffer
        n = max(self.visible_count, 1)
        k = int(min(sample, n))

        def draw() -> float:
            # one frame, pushed and popped like a real one: a second draw inside the same push is far cheaper
            # on llvmpipe than any real frame, which once made this calibration 10x too optimistic
            c.push_fbo(fbo, (0, 0), c.size)
            try:
                t = time.perf_counter()
                c._draw_scene()
                gl.glFinish()
                return (time.perf_counter() - t) * 1000
            finally:
                c.pop_fbo()

        def timed(k: int) -> float:
            self.points.show_prefix(k)
            return min(draw(), draw())  # the faster of two: one timing is at the mercy of the scheduler

        try:
            c.set_current()
            self.points.show_prefix(k)
            draw()  # warm-up: shader compile and upload
            for _ in range(rounds):
                dt = timed(k)
                nxt = int(np.clip(k * FRAME_BUDGET_MS / max(dt, 1e-6), MIN_SAMPLE, min(4 * k, n)))
                if abs(nxt - k) <= 0.15 * k:
                    break
                k = nxt
        finally:
            self.points._index_buffer, self.points.drawn = ib_before, drawn_before
        self.ms_per_point = max(dt / max(k, 1), 1e-9)
        self.interaction_points = int(np.clip(k * FRAME_BUDGET_MS / max(dt, 1e-6), MIN_SAMPLE, max(self.n, 1)))
        self._calib_size = self.point_size
        return self.ms_per_point

    # -- picking, selection ------------------------------------------------------------------------------------
    def scene_coords(self, px: float, py: float) -> tuple[float, float]:
        tr = self.view.scene.transform
        p = tr.imap([px, py, 0, 1])
        return float(p[0]), float(p[1])

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
        self.selected = node
        self._selection_args = (node, related, lineage)
        if node is None:
            self.highlight.visible = False
            self.edges.visible = False
            self.canvas.update()
            return
        pts = [node] + ([] if related is None else [int(i) for i in related[:50_000] if i != node])
        pts = [p for p in pts if self.placed[p]]
        face = np.tile(np.array([[1.0, 1.0, 1.0, 0.0]], np.float32), (len(pts), 1))
        edge = np.tile(np.array([[1.0, 0.85, 0.2, 0.9]], np.float32), (len(pts), 1))
        sizes = np.full(len(pts), 9.0, np.float32)
        if pts:
            face[0] = (1.0, 0.2, 0.2, 1.0)
            edge[0] = (1.0, 1.0, 1.0, 1.0)
            sizes[0] = 16.0
            self.highlight.set_data(self.xy[pts], face_color=face, edge_color=edge, size=sizes, edge_width=2.0)
            self.highlight.visible = True
        if lineage:
            seg, col = [], []
            for a, b, rel in lineage:
                if self.placed[a] and self.placed[b]:
                    seg += [self.xy[a], self.xy[b]]
                    c = relation_rgba(rel, 0.9)
                    col += [c, c]
            if seg:
                self.edges.set_data(pos=np.array(seg, np.float32), color=np.array(col, np.float32))
                self.edges.visible = True
            else:
                self.edges.visible = False
        else:
            self.edges.visible = False
        self.canvas.update()

    # -- drawing -----------------------------------------------------------------------------------------------
    def _on_draw(self, event=None) -> None:
        self._t_draw = time.perf_counter()

    def _after_draw(self, event=None) -> None:
        if self._interacting and self.adaptive:
            from vispy.gloo import gl

            gl.glFinish()  # time the frame to completion while the sample size is being tuned
        self.note_frame((time.perf_counter() - getattr(self, "_t_draw", time.perf_counter())) * 1000)

    def note_frame(self, ms: float) -> None:
        """Feed a frame's measured time (drawn to completion) back into the gesture sample size. The cost of a
        point grows with its size on screen (it grows with zoom) and with what else the machine does, so the
        first calibration is only a starting point: frames where the sample size binds refine it."""
        self.last_frame_ms = ms
        drawn = self.points.drawn
        if not (self._interacting and self.adaptive) or drawn < max(MIN_SAMPLE, self.gesture_points() // 2):
            return
        per = ms / drawn / self._fill_factor()  # as if drawn at the calibration's point size
        self.ms_per_point = per if self.ms_per_point is None else 0.5 * self.ms_per_point + 0.5 * per
        self.interaction_points = int(np.clip(FRAME_BUDGET_MS / self.ms_per_point, MIN_SAMPLE, max(self.n, 1)))

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

    def world_to_pixel(self, x: float, y: float) -> tuple[float, float]:
        """Canvas pixel (x right, y down) of a scene point."""
        p = self.view.scene.transform.map([x, y, 0, 1])
        return float(p[0] / p[3]), float(p[1] / p[3])

    def offscreen_copy(self, size: tuple[int, int]) -> AtlasCanvas:
        """A hidden canvas of exactly ``size`` pixels showing the same view, colours, filters and selection
        (VisPy renders reliably only at a canvas's own size)."""
        other = AtlasCanvas(self.snap, size=size, show=False, theme=self.theme.name,
                            interaction_points=self.interaction_points)
        other.predictions, other.show_predicted = self.predictions, self.show_predicted
        other.set_color_mode(self.mode)
        other.hidden_classes = set(self.hidden_classes)
        other.extra_mask = self.extra_mask
        other._rebuild_buffer()
        other.set_size_by_downloads(self.size_by_downloads)
        other.select(*self._selection_args)
        r = self.view.camera.rect
        other.view.camera.rect = (r.left, r.bottom, r.width, r.height)
        other.set_show_all_edges(self.show_all_edges)
        return other

    def close(self) -> None:
        self.canvas.close()
