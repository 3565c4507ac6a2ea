"""The SceneCanvas under the map: VisPy's, keeping what went wrong in a frame (see MapCanvas)."""

from __future__ import annotations

import logging

from vispy import scene

log = logging.getLogger("hubatlas.viewer")


class MapCanvas(scene.SceneCanvas):
    """VisPy's SceneCanvas that keeps what went wrong in a frame instead of only logging it: VisPy catches an
    exception in a draw handler, logs it and goes on, so a map that cannot be drawn would look like an empty
    one. ``draw_error`` is the first failed frame's reason until someone deals with it (``AtlasCanvas.recover``):
    a failed frame can drop GL commands queued before it, so frames after it may "work" and still miss
    points; ``draw_failures`` counts failed frames."""

    draw_error: str | None = None
    draw_failures = 0

    def on_draw(self, event):
        try:
            super().on_draw(event)
        except Exception as e:
            if self.draw_error is None:
                self.draw_error = f"{type(e).__name__}: {e}"[:300]
                log.warning("the map could not be drawn: %s", self.draw_error, exc_info=True)
            self.draw_failures += 1
