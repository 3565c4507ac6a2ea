"""Adaptive level of detail: while the camera moves, draw a prefix of the density-weighted order sized to a
frame budget measured on this machine; at rest, draw everything in view. A mixin of AtlasCanvas (it reads the
canvas's points, grid index, camera and interaction flag)."""
from __future__ import annotations

import time

import numpy as np

from hubatlas.viewer._vispy.lod import CHUNK

INTERACTION_POINTS = 200_000  # the sample drawn while the camera moves, until measured
FRAME_BUDGET_MS = 30.0        # the gesture sample is sized to draw in this time
MIN_SAMPLE = 20_000
HIDDEN_BOOST = 3.0           # at most this many times the sample when the state hides most points
FINISH_EVERY = 4            # frames per timed frame while the sample size is tuned


class AdaptiveDetail:
    adaptive: bool
    interaction_points: int
    ms_per_point: float | None
    _calib_size: float | None

    def _init_detail(self, interaction_points: int | None) -> None:
        # None: measure this machine's cost per point at the first gesture and size the sample to the budget
        self.adaptive = interaction_points is None
        self.interaction_points = INTERACTION_POINTS if interaction_points is None else interaction_points
        self.ms_per_point = None
        self._calib_size = None  # point size when ms_per_point was measured
        self.last_frame_ms = 0.0

    def _fill_factor(self) -> float:
        """How much more a point costs now than at calibration: its area on screen, relative (≥ 1)."""
        return max(1.0, (self.point_size / self._calib_size) ** 2) if self._calib_size else 1.0

    def gesture_points(self) -> int:
        """The gesture sample size: fixed when given, else the measured one scaled for the current point size."""
        if not self.adaptive:
            return self.interaction_points
        return int(max(MIN_SAMPLE, self.interaction_points / self._fill_factor()))

    def _choose_detail(self) -> None:
        """What to draw. Moving (camera or state changes): at most the gesture sample of points on screen:
        over the whole map a prefix of the buffer; zoomed in, the points in view that come first in the
        buffer's density-weighted order (a thinned view, not a prefix that would mostly fall off screen).
        At rest: everything in view, in buffer order (blending as in the full view). The buffer holds every
        placed node: what the state hides is dropped in the vertex shader, so the sample grows by the share
        hidden (up to HIDDEN_BOOST times: a hidden point still costs its vertex)."""
        total = len(self.order)
        if not total:
            self.points.show_all()
            return
        x0, y0, x1, y1 = self.view_rect()
        if self._interacting and self.adaptive and self.ms_per_point is None and total > MIN_SAMPLE:
            self.calibrate()
        cap = int(self.gesture_points() / max(self.shown_fraction(), 1 / HIDDEN_BOOST))
        if cap > CHUNK:
            cap -= cap % CHUNK  # whole chunks: each is a density-weighted sample of the whole map
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
            if self._grid.count_in_rect(x0, y0, x1, y1) >= 0.5 * total:
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
        n = max(len(self.order), 1)
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

    def _on_draw(self, event=None) -> None:
        self._t_draw = time.perf_counter()

    def _after_draw(self, event=None) -> None:
        # time a frame to completion only where the sample size is being tuned (the prefix binds), and only
        # one frame in FINISH_EVERY: glFinish stalls a real GPU's pipeline, and where every point fits the
        # budget (a real GPU) it never runs after the calibration
        timed = self._interacting and self.adaptive and self.points.drawn < len(self.order)
        self._frames = getattr(self, "_frames", 0) + 1
        if timed and self._frames % FINISH_EVERY == 0:
            from vispy.gloo import gl

            gl.glFinish()
            self.note_frame((time.perf_counter() - getattr(self, "_t_draw", time.perf_counter())) * 1000)
        else:
            self.last_frame_ms = (time.perf_counter() - getattr(self, "_t_draw", time.perf_counter())) * 1000

    def note_frame(self, ms: float) -> None:
        """Feed a frame's measured time (drawn to completion) back into the gesture sample size. The cost of a
        point grows with its size on screen (it grows with zoom) and with what else the machine does, so the
        first calibration is only a starting point: frames where the sample size binds refine it."""
        self.last_frame_ms = ms
        drawn = getattr(self, "_on_screen", self.points.drawn)  # points on screen: those off it cost little
        if not (self._interacting and self.adaptive) or drawn < MIN_SAMPLE:
            return
        per = ms / drawn / self._fill_factor()  # as if drawn at the calibration's point size
        # a frame over budget is believed at once (the next frame must fit); cheaper frames only slowly
        # (one cheap frame is often a lucky one): no oscillation between too big and too small samples
        old = self.ms_per_point
        self.ms_per_point = per if old is None or per > old else 0.8 * old + 0.2 * per
        self.interaction_points = int(np.clip(FRAME_BUDGET_MS / self.ms_per_point, MIN_SAMPLE, max(self.n, 1)))
