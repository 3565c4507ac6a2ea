"""The map's cartography over and under the points: region and model labels (chosen per view by
``layers.labels``, drawn as plain text on a translucent backing so they read on both themes) and a shaded
density layer (terrain: a blurred, log-scaled 2-D histogram of the shown models, computed when what is
shown changes, never per frame)."""

from __future__ import annotations

import numpy as np
from vispy import scene
from vispy.visuals.transforms import STTransform

from hubatlas.viewer.layers.labels import LabelSet, PlacedLabel
from hubatlas.viewer.layers.view_labels import ViewLabels

DENSITY_GRID = 512
DENSITY_EXTENT = 1.1  # the density image covers [-1.1, 1.1]^2 (the whole map)
DENSITY_SIGMA = 6.0  # blur, in cells (about 1% of the map): terrain reaching past the points into the ocean
TIERS = 5


class LabelOverlay:
    """Text visuals (one per label tier: one font size each) and the backing boxes behind them."""

    def __init__(self, parent, labels: LabelSet):
        self.labels = labels
        self.boxes = scene.visuals.Mesh(parent=parent)
        self.boxes.order = 5
        self.texts = []
        for _ in range(TIERS):
            t = scene.visuals.Text(parent=parent, anchor_x="center", anchor_y="center", face="OpenSans")
            t.order = 6
            t.visible = False
            self.texts.append(t)
        self.boxes.visible = False
        self.placed: list[PlacedLabel] = []
        self._key: tuple | None = None

    def hide(self) -> None:
        self.boxes.visible = False
        for t in self.texts:
            t.visible = False
        self.placed = []
        self._key = None

    def show(self, placed: list[PlacedLabel], rect, size, dpi: float, text_rgba, back_rgba) -> None:
        """Draw ``placed`` (from LabelSet.choose for the world ``rect`` on ``size`` pixels)."""
        key = (tuple(p.index for p in placed), tuple(np.round(rect, 9)), tuple(size), tuple(text_rgba))
        if key == self._key:
            return
        self._key = key
        self.placed = placed
        if not placed:
            return self.hide()
        x0, y0, x1, y1 = rect
        sx, sy = (x1 - x0) / size[0], (y1 - y0) / size[1]  # world units per pixel
        verts, faces = [], []
        for k, p in enumerate(placed):
            a, b, c, d = p.rect
            wx0, wx1 = x0 + (a - 2) * sx, x0 + (c + 2) * sx
            wy0, wy1 = y1 - (d + 1) * sy, y1 - (b - 1) * sy
            verts += [(wx0, wy0), (wx1, wy0), (wx1, wy1), (wx0, wy1)]
            faces += [(4 * k, 4 * k + 1, 4 * k + 2), (4 * k, 4 * k + 2, 4 * k + 3)]
        self.boxes.set_data(
            vertices=np.array(verts, np.float32), faces=np.array(faces, np.uint32), color=tuple(back_rgba)
        )
        self.boxes.visible = True
        for tier, t in enumerate(self.texts):
            mine = [p for p in placed if min(p.tier, TIERS - 1) == tier]
            if not mine:
                t.visible = False
                continue
            t.text = [p.text for p in mine]
            t.pos = np.array([(p.x, p.y) for p in mine], np.float32)
            t.font_size = mine[0].px * 72.0 / max(dpi, 1.0)
            t.bold = tier == 0
            t.color = tuple(text_rgba)
            t.visible = True


def density_image(xy: np.ndarray, shown: np.ndarray, grid: int = DENSITY_GRID) -> np.ndarray:
    """(grid, grid) float32 in [0, 1]: log density of the shown models, blurred (row 0 = bottom)."""
    from scipy.ndimage import gaussian_filter

    p = xy[shown]
    cell = np.clip(((p + DENSITY_EXTENT) / (2 * DENSITY_EXTENT) * grid).astype(np.int64), 0, grid - 1)
    h = (
        np.bincount(cell[:, 1] * grid + cell[:, 0], minlength=grid * grid)
        .reshape(grid, grid)
        .astype(np.float32)
    )
    h = gaussian_filter(np.log1p(h), DENSITY_SIGMA)
    top = float(h.max())
    return h / top if top > 0 else h


class DensityLayer:
    """An RGBA image under the points: the theme's text colour, more opaque where models are denser."""

    def __init__(self, parent):
        self.image = scene.visuals.Image(parent=parent, interpolation="linear", clim=(0.0, 1.0))
        self.image.order = -2
        self.image.transform = STTransform(
            scale=(2 * DENSITY_EXTENT / DENSITY_GRID,) * 2, translate=(-DENSITY_EXTENT, -DENSITY_EXTENT)
        )
        self.image.visible = False
        self.image.set_gl_state("translucent", depth_test=False)
        self._key: tuple | None = None

    def hide(self) -> None:
        self.image.visible = False

    def show(self, xy: np.ndarray, shown: np.ndarray, key: object, rgb) -> None:
        """Recompute only when ``key`` (what is shown, the theme) changed."""
        k = (key, tuple(rgb))
        if k != self._key:
            d = density_image(xy, shown)
            img = np.empty((*d.shape, 4), np.float32)
            img[..., :3] = rgb[:3]
            img[..., 3] = np.where(d > 0.02, 0.08 + 0.42 * d, 0.0)
            self.image.set_data(img)
            self._key = k
        self.image.visible = True


class Cartography:
    """Mixin for AtlasCanvas: the label and density layers following the state and the camera."""

    def _init_cartography(self, labels: LabelSet) -> None:
        self.label_set = labels
        self.label_overlay = LabelOverlay(self.view.scene, labels)
        self.density = DensityLayer(self.view.scene)
        self.label_ms = 0.0  # the last label choice's cost
        self.label_avoid: list[tuple[int, int, int, int]] = []  # screen boxes kept clear (e.g. a minimap)
        self.labels_allowed: np.ndarray | None = None  # labels a view may draw (None: all of label_set)
        self._labels_key: tuple | None = None  # what the drawn labels were named for (None: the full map)
        self._view_labels = ViewLabels(self.model)  # names a narrowed view
        self.canvas.events.draw.connect(self._update_cartography, position="first")

    def follow_shown_labels(self) -> None:
        """Name the map for what the state shows (filters, legend, downloads range, "as of"): the full map's
        labels when nothing is narrowed, else labels counted from the shown models (core.layout.labels)."""
        st = self.state
        narrowed = st.filters.active or bool(st.hidden_classes)
        key = (st.filters.key(), st.hidden_classes, st.mode, st.show_predicted) if narrowed else None
        if key == self._labels_key and self._labels_key is not None:
            return
        self._labels_key = key
        labels = self.model.labels
        if narrowed:
            try:
                labels = self._view_labels.for_view(self.visible_mask(), st.filters.as_of_day)
            except Exception as e:  # labels are a convenience: the map keeps its full names
                import warnings

                warnings.warn(
                    f"labels of this view unavailable: {type(e).__name__}: {e}", RuntimeWarning, stacklevel=2
                )
        self.label_set = self.label_overlay.labels = labels
        self.labels_allowed = None

    def keep_current_labels(self) -> None:
        """Between a change of what is shown and the labels named for it (a replay, a dragged slider), draw
        only the labels whose models are mostly still shown: the map never names what it hides (the future)."""
        if len(self.label_set):
            self.labels_allowed = self.label_set.mostly_shown(self.visible_mask())

    @property
    def labels_drawn(self) -> list[PlacedLabel]:
        return self.label_overlay.placed

    def _update_cartography(self, event=None) -> None:
        import time

        st = self.state
        if st.labels and self.fixed_point_size is None and len(self.label_set):
            t = time.perf_counter()
            rect, size = self.view_rect(), tuple(self.canvas.size)
            placed = self.label_set.choose(
                rect, size, self.zoom_level(), self.label_avoid, allowed=self.labels_allowed
            )
            self.label_ms = (time.perf_counter() - t) * 1000
            back = (*tuple(self.theme.background[:3]), 0.62)
            self.label_overlay.show(placed, rect, size, float(self.canvas.dpi or 96), self.theme.text, back)
        else:
            self.label_overlay.hide()
        if st.density:
            key = (st.filters, st.hidden_classes, st.mode if st.hidden_classes else None, st.show_predicted)
            self.density.show(self.xy, self.visible_mask(), key, self.theme.text)
        else:
            self.density.hide()
