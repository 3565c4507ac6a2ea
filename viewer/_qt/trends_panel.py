"""The Trends panel: the report's monthly charts for the models the state shows, in the window's theme and
the map's colours. The data is read once, in a background thread; the charts follow the filters once they
settle. Hovering shows the values of the month under the pointer; dragging across months filters the map by
creation date to them (linked, as Embedding Atlas does)."""

from __future__ import annotations

import contextlib
import dataclasses
import threading

import numpy as np
from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QCursor, QPixmap
from PySide6.QtWidgets import QComboBox, QLabel, QScrollArea, QToolTip, QVBoxLayout, QWidget

from hubatlas.viewer._qt.columns import widen_popup
from hubatlas.viewer._qt.settled import Settled
from hubatlas.viewer._qt.text import plain
from hubatlas.viewer.layers.trends import CHARTS, TrendsModel, month_day_range

MIN_HEIGHT = 280
BRUSH_PX = 6  # a shorter drag is a click


class TrendsPanel(QWidget):
    loaded = Signal(object)

    def __init__(self, model, state, parent=None):
        super().__init__(parent)
        self.state = state
        self.trends_model = TrendsModel(model)
        self.model = model
        self._loading = False
        self.loaded.connect(self._on_loaded)
        self.trends: dict | None = None
        lay = QVBoxLayout(self)
        self.choice = QComboBox()
        for key, title in CHARTS.items():
            self.choice.addItem(title, key)
        widen_popup(self.choice)
        self.choice.currentIndexChanged.connect(lambda _: self._draw())
        self.info = QLabel("")
        self.info.setTextFormat(Qt.PlainText)
        self.image = QLabel("Open this panel to chart trends for the current filter")
        self.image.setAlignment(Qt.AlignCenter)
        self.image.setMouseTracking(True)  # values on hover, brushing (eventFilter)
        self.image.installEventFilter(self)
        self.image.setToolTip("Drag across months to show only the models created then")
        self.geometry: dict = {}
        self.shown_values: tuple | None = None  # months, series, unit
        scroll = QScrollArea()
        scroll.setWidget(self.image)
        scroll.setWidgetResizable(True)
        lay.addWidget(self.choice)
        lay.addWidget(self.info)
        lay.addWidget(scroll)
        self.setMinimumHeight(MIN_HEIGHT)  # the dock opens tall enough to read a chart
        self.png: bytes | None = None
        self._brush_from: int | None = None
        self._brush: tuple[int, int] | None = None  # brushed months (indices), drawn as a band
        self._brush_days: tuple[int, int] | None = None
        self.settled = Settled(
            state, {"filters", "hidden_classes", "mode"}, self._filters_settled, parent=self
        )
        self._unsubscribe = state.on_change(lambda names: self._draw() if "theme" in names else None)

    def _filters_settled(self) -> None:
        f = self.state.filters
        if self._brush_days is not None and self._brush_days != (f.since_day, f.as_of_day):
            self._brush = self._brush_days = None  # the dates were changed elsewhere: no band any more
        self.trends = None
        if self.isVisible():
            self.refresh()

    def refresh(self) -> None:
        if self.trends_model.data is None:
            if not self._loading:
                self._loading = True
                self.image.setText("Reading trend data…")
                threading.Thread(target=self._load_in_background, daemon=True).start()
            return
        self.trends = self.trends_model.tables(self.model.shown_mask(self.state))
        self._draw()

    def _load_in_background(self) -> None:
        try:
            self.trends_model.load()
            result = None
        except Exception as e:  # shown in the panel, never a crash of the window
            result = e
        with contextlib.suppress(RuntimeError):  # the panel was closed meanwhile
            self.loaded.emit(result)  # queued to the GUI thread

    def _on_loaded(self, result) -> None:
        self._loading = False
        if isinstance(result, Exception):
            self.image.setText(f"Cannot read trend data: {plain(str(result), 300)}")
            return
        self.refresh()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self.trends is None:
            self.refresh()

    def _draw(self) -> None:
        t = self.trends
        if t is None:
            return
        months = t.get("months", [])
        before = t.get("before_2022_03", 0)
        self.info.setText(
            f"{t['nodes']:,} models shown"
            + (f", {months[0]} to {months[-1]}" if months else "")
            + (f"; {before:,} created before 2022-03 (no month known, not plotted)" if before else "")
        )
        chart = self.trends_model.chart(t, self.choice.currentData(), self.state.theme, self._brush)
        self.png, self.geometry, self.shown_values = chart.png, chart.geometry, chart.values
        if self.png is None:
            self.image.setPixmap(QPixmap())
            self.image.setText(
                "No data for this chart (no creation dates, or the atlas records no model cards)"
            )
            return
        pm = QPixmap()
        pm.loadFromData(self.png, "PNG")
        self.image.setPixmap(pm)

    # -- values on hover, brushing months ------------------------------------------------------------------------
    def month_at(self, x: float, clamp: bool = False) -> int | None:
        """The month under x (pixels in the image label), or None off the chart's months."""
        g, pm = self.geometry, self.image.pixmap()
        if not g or self.shown_values is None or pm is None or pm.isNull():
            return None
        months = self.shown_values[0]
        x_img = x - (self.image.width() - pm.width()) / 2  # the picture is centred in the label
        span = g["last_px"] - g["first_px"]
        f = 0.0 if span <= 0 else (x_img - g["first_px"]) / span * (len(months) - 1)
        i = round(f)
        if clamp:
            return int(np.clip(i, 0, len(months) - 1))
        return i if 0 <= i < len(months) and abs(f - i) <= 0.5 else None

    def values_text(self, i: int) -> str:
        """The values of every series at month ``i``, largest first (plain text)."""
        months, series, unit = self.shown_values
        rows = [(lab, vals[i]) for lab, vals in series if vals[i] is not None]
        rows.sort(key=lambda r: -float(r[1]))
        fmt = {
            "share": lambda v: f"{float(v):.0%}",
            "characters": lambda v: f"{float(v):,.0f} characters",
        }.get(unit, lambda v: f"{int(v):,}")
        return "\n".join([months[i]] + [f"{plain(str(lab), 60)}: {fmt(v)}" for lab, v in rows[:12]])

    def brush(self, i0: int, i1: int) -> None:
        """Show only the models created in months ``i0``..``i1`` (one state change; Reset filters undoes it)."""
        months = self.shown_values[0]
        lo, hi = month_day_range(months, i0, i1)
        self._brush = (min(i0, i1), max(i0, i1))
        self._brush_days = (lo, hi)
        f = self.state.filters
        self.state.update(filters=dataclasses.replace(f, since_day=lo, as_of_day=hi))
        self._draw()

    def eventFilter(self, obj, event) -> bool:
        if obj is not self.image:
            return False
        t = event.type()
        if t == QEvent.MouseButtonPress and event.button() == Qt.LeftButton:
            self._brush_from = self.month_at(event.position().x(), clamp=True)
            self._press_x = event.position().x()
        elif t == QEvent.MouseButtonRelease and self._brush_from is not None:
            start, self._brush_from = self._brush_from, None
            if abs(event.position().x() - self._press_x) >= BRUSH_PX:
                end = self.month_at(event.position().x(), clamp=True)
                if end is not None:
                    self.brush(start, end)
        elif t == QEvent.MouseMove:
            i = self.month_at(event.position().x())
            if i is None:
                QToolTip.hideText()
            else:
                QToolTip.showText(QCursor.pos(), self.values_text(i), self.image)
        return False

    def close_views(self) -> None:
        self.settled.close()
        self._unsubscribe()
