"""The minimap: the whole map as a small picture in the map's corner (the map's colours, brighter where denser),
with a box where the view is. Click or drag in it to move the view there; View › Minimap (M) hides it
(remembered). The picture is made once per colour mode and theme (2-D histograms, O(models)); moving the view
only repaints the box."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QObject, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QWidget

from hubatlas.viewer._qt import menus
from hubatlas.viewer._qt.settings import settings

SIZE = 160  # pixels on each side
MARGIN = 10  # from the map's corner
LO, HI = -1.0, 1.0  # the layout's square (coordinates are normalised to [-1, 1])


def density_image(
    xy: np.ndarray, placed: np.ndarray, size: int, background, ink, rgb: np.ndarray | None = None
) -> np.ndarray:
    """(size, size, 4) uint8: the placed points over the layout's square, row 0 at the top: each cell in the
    mean of its points' colours ``rgb`` ((n, 3+) uint8: the map's; else ``ink``), brighter where denser (log)."""
    from scipy.ndimage import grey_dilation

    cell = np.clip(((xy[placed] - LO) / (HI - LO) * size).astype(np.int64), 0, size - 1)
    flat = (size - 1 - cell[:, 1]) * size + cell[:, 0]  # y up on the map, row 0 at the top of the image
    count = np.bincount(flat, minlength=size * size).astype(np.float64)
    if rgb is None:
        mean = np.tile(np.asarray(ink[:3], np.float64) * 255, (size * size, 1))
    else:
        c = np.asarray(rgb)[placed, :3].astype(np.float64)
        mean = np.stack([np.bincount(flat, weights=c[:, i], minlength=size * size) for i in range(3)], 1)
        mean /= np.maximum(count, 1)[:, None]
    t = np.sqrt(np.log1p(count) / max(float(np.log1p(count).max()), 1e-9))
    t = np.where(count > 0, 0.45 + 0.55 * t, 0.0)
    bg = np.array(background[:3], np.float64) * 255
    img = (bg[None, :] * (1 - t[:, None]) + mean * t[:, None]).reshape(size, size, 3)
    lit = (count > 0).reshape(size, size)
    # a lone model still shows: empty cells next to a lit one take its colour (3x3)
    grown = np.stack([grey_dilation(np.where(lit, img[..., i], -1), size=3) for i in range(3)], -1)
    img = np.where(lit[..., None], img, np.where(grown >= 0, grown, img))
    out = np.empty((size, size, 4), np.uint8)
    out[..., :3] = np.clip(img, 0, 255).round().astype(np.uint8)
    out[..., 3] = 225
    return out


class Minimap(QWidget):
    """The whole map in the map's corner, over the canvas widget; its box is kept clear of labels."""

    def __init__(self, canvas, state):
        host = canvas.canvas.native
        super().__init__(host)
        self.canvas, self.state = canvas, state
        self.setFixedSize(SIZE, SIZE)
        self.setCursor(Qt.PointingHandCursor)
        self.setToolTip("The whole map; the box is the view. Click or drag to go there (M hides this)")
        self._image: QImage | None = None
        self._pixels: np.ndarray | None = None
        self._key = None  # (theme, colours) the picture was made for
        host.installEventFilter(self)
        canvas.view.camera.transform.changed.connect(lambda *_: self.update())
        self._unsubscribe = state.on_change(
            lambda names: (
                self.update() if names & {"mode", "theme", "hidden_classes", "show_predicted"} else None
            )
        )
        self._place()

    # -- geometry ------------------------------------------------------------------------------------------------
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Resize:
            self._place()
        return False

    def _place(self) -> None:
        host = self.parentWidget()
        self.move(MARGIN, host.height() - SIZE - MARGIN)  # bottom left (the legend is a panel on the right)
        self.raise_()
        self._keep_labels_clear()

    def _keep_labels_clear(self) -> None:
        """The map places no label under the minimap (its box in the canvas's pixels, with a margin)."""
        avoid = [b for b in self.canvas.label_avoid if getattr(b, "minimap", False) is False]
        if self.isVisible():
            g = self.geometry()
            avoid.append(_Box(g.left() - 4, g.top() - 4, g.right() + 4, g.bottom() + 4))
        self.canvas.label_avoid = avoid
        self.canvas.canvas.update()

    def setVisible(self, visible: bool) -> None:
        super().setVisible(visible)
        self._keep_labels_clear()

    @staticmethod
    def to_pixel(x: float, y: float) -> tuple[float, float]:
        return (x - LO) / (HI - LO) * SIZE, (HI - y) / (HI - LO) * SIZE

    @staticmethod
    def to_world(px: float, py: float) -> tuple[float, float]:
        return LO + px / SIZE * (HI - LO), HI - py / SIZE * (HI - LO)

    def view_box(self) -> QRectF:
        """Where the view is, in the minimap's pixels."""
        x0, y0, x1, y1 = self.canvas.view_rect()
        (a, b), (c, d) = self.to_pixel(x0, y1), self.to_pixel(x1, y0)
        return QRectF(a, b, max(c - a, 2.0), max(d - b, 2.0))

    @property
    def picture_key(self):
        """(theme, colours) the picture was last drawn for (None: not drawn yet)."""
        return self._key

    # -- drawing -------------------------------------------------------------------------------------------------
    def _ensure_image(self) -> None:
        a = self.canvas
        key = (a.theme.name, id(a.colors))  # a new colour mode, legend or theme: a new picture
        if self._image is None or self._key != key:
            self._pixels = np.ascontiguousarray(
                density_image(a.xy, a.placed, SIZE, a.theme.background, a.theme.text, a.colors.rgba)
            )
            self._image = QImage(self._pixels.data, SIZE, SIZE, 4 * SIZE, QImage.Format_RGBA8888)
            self._key = key

    def paintEvent(self, event) -> None:
        self._ensure_image()
        p = QPainter(self)
        p.drawImage(0, 0, self._image)
        text = QColor.fromRgbF(*self.canvas.theme.text)
        p.setPen(QPen(QColor(text.red(), text.green(), text.blue(), 120), 1))
        p.drawRect(0, 0, SIZE - 1, SIZE - 1)
        p.setClipRect(0, 0, SIZE, SIZE)
        p.setPen(QPen(QColor(255, 200, 40), 2))
        p.drawRect(self.view_box())
        p.end()

    # -- moving the view -----------------------------------------------------------------------------------------
    def centre_on(self, px: float, py: float) -> None:
        x, y = self.to_world(px, py)
        cam = self.canvas.view.camera
        r = cam.rect
        cam.rect = (x - r.width / 2, y - r.height / 2, r.width, r.height)

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.LeftButton:
            self.centre_on(event.position().x(), event.position().y())
            event.accept()

    def mouseMoveEvent(self, event) -> None:
        if event.buttons() & Qt.LeftButton:
            self.centre_on(event.position().x(), event.position().y())
            event.accept()

    def set_shown(self, on: bool) -> None:
        self.setVisible(bool(on))
        settings().setValue("minimap", bool(on))

    def close_views(self) -> None:
        self._unsubscribe()


class _Box(tuple):
    """A screen box (x0, y0, x1, y1) the labels keep clear of, marked as the minimap's."""

    minimap = True

    def __new__(cls, *v):
        return super().__new__(cls, v)


def install(window, canvas, state) -> tuple[Minimap, object]:
    """The minimap over ``canvas`` and its View › Minimap (M) action (remembered)."""
    m = Minimap(canvas, state)
    a = menus.action(
        window,
        menus.menu_named(window, "&View"),
        "Minimap",
        m.set_shown,
        "M",
        checkable=True,
        tip="The whole map in a corner, with where the view is; click it to go there",
    )
    on = settings().value("minimap", True, type=bool)
    a.setChecked(on)
    m.setVisible(on)
    return m, a
