"""Adaptive level of detail: while the camera moves, draw a prefix of the density-weighted order sized to a
frame budget measured on this machine; at rest, draw everything in view. A mixin of AtlasCanvas (it reads the
canvas's points, grid index, camera and interaction flag).

The sample size is measured on real frames only: the first moving frames are timed to completion (glFinish
after the frame, in the frame's own framebuffer) and the sample resized from them; later, one moving frame in
``FINISH_EVERY`` refines it. Nothing is drawn outside a frame and no framebuffer of its own is bound: an
earlier calibration drew into its own framebuffer before the window's GL context existed (a colour mode
restored at start-up), and its framebuffer took the same GL name as Qt's, which emptied VisPy's framebuffer
stack at the first paint and dropped the points' uploads: a blank map on every relaunch above 20K models."""

from __future__ import annotations

import time

import numpy as np

from hubatlas.viewer.layers import limits


class AdaptiveDetail:
    adaptive: bool
    interaction_points: int
    ms_per_point: float | None
    _calib_size: float | None

    def _init_detail(self, interaction_points: int | None) -> None:
        # None: measure this machine's cost per point on the first moving frames and size the sample to the budget
        self.adaptive = interaction_points is None
        self.interaction_points = limits.START_SAMPLE if interaction_points is None else interaction_points
        self.ms_per_point = None
        self._calib_size = None  # point size when ms_per_point was first measured
        self._measured = 0  # moving frames timed to completion so far
        self._frames = 0
        self._t_draw = time.perf_counter()
        self.last_frame_ms: float | None = None  # the last frame's time (None: none drawn yet)
        self.last_frame_at = 0.0  # when it ended (perf_counter)

    def _fill_factor(self) -> float:
        """How much more a point costs now than when measured: its area on screen, relative (≥ 1)."""
        return max(1.0, (self.point_size / self._calib_size) ** 2) if self._calib_size else 1.0

    def gesture_points(self) -> int:
        """The gesture sample size: fixed when given, else the measured one scaled for the current point size."""
        if not self.adaptive:
            return self.interaction_points
        return int(max(limits.MIN_SAMPLE, self.interaction_points / self._fill_factor()))

    def _choose_detail(self) -> None:
        """What to draw. Moving (camera or state changes): at most the gesture sample of points on screen:
        over the whole map a prefix of the buffer; zoomed in, the points in view that come first in the
        buffer's density-weighted order (a thinned view, not a prefix that would mostly fall off screen).
        At rest: everything in view, in buffer order (blending as in the full view). The buffer holds every
        placed node: what the state hides is dropped in the vertex shader, so the sample grows by the share
        hidden (up to HIDDEN_BOOST times: a hidden point still costs its vertex). Only chooses index ranges:
        no GL call, so it is safe anywhere (before the window's context exists, inside a paint)."""
        total = len(self.order)
        if not total:
            self.points.show_all()
            return
        x0, y0, x1, y1 = self.view_rect()
        cap = int(self.gesture_points() / max(self.shown_fraction(), 1 / limits.HIDDEN_BOOST))
        if cap > limits.CHUNK:
            cap -= cap % limits.CHUNK  # whole chunks: each is a density-weighted sample of the whole map
        if (x1 - x0) >= 1.5:  # the whole map, or most of it
            if self._interacting and total > cap:
                self.points.show_prefix(cap)
            else:
                self.points.show_all()
            self._on_screen = self.points.drawn
            return
        # pad by a point's radius: points whose disc reaches into the view are drawn too
        pad = 0.5 * self.point_size * (x1 - x0) / max(int(self.canvas.size[0]), 1)
        cells = self._grid.cells(x0 - pad, y0 - pad, x1 + pad, y1 + pad)
        if not self._interacting:
            if self._grid.count_in_rect(x0, y0, x1, y1) >= limits.FULL_DETAIL_SHARE * total:
                self.points.show_all()
            elif cells != self.points.subset_key:
                self.points.show_subset(np.sort(self._grid.in_cells(*cells)), key=cells)
            else:
                self.points.show_subset(None, key=cells)
            self._on_screen = self.points.drawn
            return
        idx = self._grid.in_cells(*cells)
        if len(idx) > cap:  # buffer positions are the priority order: keep the first ones in view
            idx = idx[idx < int(cap * total / len(idx))]
        self.points.show_subset(idx)
        self._on_screen = len(idx)

    @property
    def sampling(self) -> bool:
        """Whether this frame draws a sample of the points (moving, adaptive, and the sample binds)."""
        return self._interacting and self.adaptive and self.points.drawn < len(self.order)

    def _on_draw(self, event=None) -> None:
        self._t_draw = time.perf_counter()

    def _after_draw(self, event=None) -> None:
        # time a frame to completion only where the sample size is being tuned (the prefix binds): the first
        # MEASURE_FRAMES moving frames, then one in FINISH_EVERY. glFinish stalls a real GPU's pipeline, and
        # where every point fits the budget (a real GPU) it never runs once measured
        self._frames += 1
        if self.sampling and (
            self._measured < limits.MEASURE_FRAMES or self._frames % limits.FINISH_EVERY == 0
        ):
            from vispy.gloo import gl

            gl.glFinish()
            self.note_frame((time.perf_counter() - self._t_draw) * 1000)
        else:
            self.last_frame_ms = (time.perf_counter() - self._t_draw) * 1000
        self.last_frame_at = time.perf_counter()

    def note_frame(self, ms: float) -> None:
        """Feed a frame's measured time (drawn to completion) back into the gesture sample size. The cost of a
        point grows with its size on screen (it grows with zoom) and with what else the machine does, so every
        measured frame where the sample binds refines it. A frame over budget is believed at once (the next
        frame must fit); cheaper frames only slowly once measured (one cheap frame is often a lucky one), and
        the sample grows at most 4x a frame: a longer prefix reaches denser, overdrawn regions and costs more
        than its length says."""
        self.last_frame_ms = ms
        self.last_frame_at = time.perf_counter()
        drawn = getattr(self, "_on_screen", self.points.drawn)  # points on screen: those off it cost little
        if not (self._interacting and self.adaptive) or drawn < limits.MIN_SAMPLE:
            return
        if self._calib_size is None:
            self._calib_size = self.point_size
        per = ms / drawn / self._fill_factor()  # as if drawn at the first measurement's point size
        old = self.ms_per_point
        first = self._measured < limits.MEASURE_FRAMES
        self.ms_per_point = per if old is None or per > old or first else 0.8 * old + 0.2 * per
        self._measured += 1
        target = limits.FRAME_BUDGET_MS / self.ms_per_point
        self.interaction_points = int(np.clip(target, limits.MIN_SAMPLE, max(min(4 * drawn, self.n), 1)))
