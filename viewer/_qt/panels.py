"""Dock panels: legend (click to hide/show), details of the selected model, filters and time slider."""
from __future__ import annotations

import dataclasses
import json

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from hubatlas.viewer._qt.text import hub_url, plain
from hubatlas.viewer.layers import limits
from hubatlas.viewer.layers.styling import Filters

EDGE_ROW = Qt.UserRole + 1  # legend rows of the edge colours (not classes: they hide nothing)
MONTH_DAYS = 30       # one tick of the history replay
PLAY_TICK_MS = 120    # replay speed: about eight months a second


def _swatch(rgb) -> QIcon:
    pm = QPixmap(14, 14)
    pm.fill(QColor(*rgb))
    return QIcon(pm)


class LegendPanel(QListWidget):
    """Legend entries with counts; unchecking an entry hides its models."""

    toggled = Signal(int, bool)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.itemChanged.connect(self._changed)
        self._loading = False
        self.edge_rows: list[tuple[str, tuple, int]] = []

    def show_colors(self, colors) -> None:
        self._loading = True
        self.clear()
        if colors.continuous:
            lo, hi = colors.continuous
            item = QListWidgetItem(f"{plain(lo)}  →  {plain(hi)}")
            ramp = colors.ramp
            pm = QPixmap(64, 14)
            pm.fill(QColor(0, 0, 0, 0))
            p = QPainter(pm)
            for x in range(64):
                p.setPen(QColor(*[int(v) for v in ramp[int(x * 255 / 63)]]))
                p.drawLine(x, 0, x, 13)
            p.end()
            item.setIcon(QIcon(pm))
            item.setFlags(Qt.ItemIsEnabled)
            self.addItem(item)
        for e in colors.legend:
            if e.key < 0:  # an informational line (e.g. how many values are predicted), not a class
                item = QListWidgetItem(plain(e.label, 80))
                item.setFlags(Qt.ItemIsEnabled)
                self.addItem(item)
                continue
            item = QListWidgetItem(_swatch(e.color), f"{plain(e.label, 60)}  ({e.count:,})")
            item.setData(Qt.UserRole, e.key)
            item.setFlags(Qt.ItemIsEnabled | Qt.ItemIsUserCheckable)
            item.setCheckState(Qt.Checked)
            self.addItem(item)
        self._loading = False
        self.show_edges(self.edge_rows)

    def show_edges(self, rows: list[tuple[str, tuple, int]]) -> None:
        """The edge colours under the classes while the lineage overlay is on: (label, rgb, edges) rows."""
        self.edge_rows = list(rows)
        for i in reversed(range(self.count())):
            if self.item(i).data(EDGE_ROW):
                self.takeItem(i)
        if rows:
            head = QListWidgetItem("Lineage edges")
            head.setFlags(Qt.ItemIsEnabled)
            head.setData(EDGE_ROW, True)
            self.addItem(head)
        for label, rgb, n in rows:
            pm = QPixmap(14, 14)
            pm.fill(QColor(0, 0, 0, 0))
            p = QPainter(pm)
            p.fillRect(0, 5, 14, 4, QColor(*rgb))
            p.end()
            item = QListWidgetItem(QIcon(pm), f"{plain(label, 60)}  ({n:,})")
            item.setFlags(Qt.ItemIsEnabled)
            item.setData(EDGE_ROW, True)
            self.addItem(item)

    def _changed(self, item: QListWidgetItem) -> None:
        if self._loading or item.data(Qt.UserRole) is None:
            return
        self.toggled.emit(int(item.data(Qt.UserRole)), item.checkState() == Qt.Checked)


class DetailsPanel(QWidget):
    """Every stored field of the selected model as plain text, and a button to open its Hub page."""

    def __init__(self, parent=None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        self.title = QLabel("No model selected")
        self.title.setTextFormat(Qt.PlainText)
        self.title.setWordWrap(True)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.open_btn = QPushButton("Open on huggingface.co")
        self.open_btn.setEnabled(False)
        self.open_btn.clicked.connect(self._open)
        lay.addWidget(self.title)
        lay.addWidget(self.text)
        lay.addWidget(self.open_btn)
        self.url: str | None = None
        self.model_id: str | None = None
        self.fallback = None

    def show_record(self, rec: dict | None, predicted: dict | None = None) -> None:
        """``predicted``: attribute -> (value, confidence) for values the model does not document."""
        if rec is None:
            self.title.setText("No model selected")
            self.text.setPlainText("")
            self.url = None
            self.model_id = None
            self.open_btn.setEnabled(False)
            return
        self.title.setText(plain(rec["id"], 300) + ("  (placeholder: not in the data)" if rec.get("placeholder")
                                                    else ""))
        lines = []
        for k in ("author", "modality", "pipeline_tag", "library_name", "license", "languages", "downloads",
                  "likes", "created_at", "last_modified", "gated", "card_length", "source"):
            v = rec.get(k)
            if isinstance(v, list):
                v = ", ".join(map(str, v))
            guess = (predicted or {}).get(k)
            if v is None and guess:
                lines.append(f"{k}: {plain(guess[0])}  (predicted, {guess[1]:.0%} confidence)")
            else:
                lines.append(f"{k}: {plain(v if v is not None else '-')}")
        lines.append("")
        lines.append("parents:")
        for p in rec.get("parents", []) or []:
            lines.append(f"  {plain(p['id'], 300)}  [{p['relation']}, from {p['source']}]")
        if (predicted or {}).get("relation"):
            r, c = predicted["relation"]
            lines.append(f"  relation type: {plain(r)}  (predicted, {c:.0%} confidence)")
        if not rec.get("parents"):
            lines.append("  none")
        ch = rec.get("children", {})
        lines.append("children: " + ", ".join(f"{k} {v:,}" for k, v in ch.items() if v) if any(ch.values())
                     else "children: none")
        lines.append("")
        lines.append("tags: " + plain(", ".join(rec.get("tags") or []) or "-", 5000))
        if rec.get("raw"):
            lines.append("")
            lines.append("raw record:")
            lines.append(plain(json.dumps(rec["raw"], ensure_ascii=False)[:20000], 20000))
        self.text.setPlainText("\n".join(lines))  # plain text: nothing in the metadata is interpreted
        self.url = hub_url(rec["id"])
        self.model_id = rec["id"]
        self.open_btn.setEnabled(self.url is not None)

    def _open(self) -> None:
        from hubatlas.viewer._qt.navigation import open_on_hub

        if self.model_id:
            self.fallback = open_on_hub(self.model_id, self)  # the link with a Copy button where no browser opens


class FiltersPanel(QWidget):
    """Filters by modality, task, licence, library, downloads range and creation-date range; the 'as of'
    end of the date range replays the Hub's growth (models created after it are hidden)."""

    changed = Signal()

    def __init__(self, snap, parent=None):
        super().__init__(parent)
        self.snap = snap
        form = QFormLayout(self)
        self.combos: dict[str, QComboBox] = {}
        self._facets: dict[str, tuple[np.ndarray, dict[int, tuple[str, int]]]] = {}  # codes, code -> label, total
        for col, label in (("modality", "Modality"), ("pipeline_tag", "Task"), ("license", "Licence"),
                           ("library_name", "Library")):
            cb = QComboBox()
            cb.addItem("All", None)
            codes, labels = snap.codes(col)
            counts = np.bincount(codes[codes >= 0], minlength=len(labels)) if len(codes) else []
            facet = {}
            for i in np.argsort(-np.asarray(counts, dtype=np.int64), kind="stable")[: limits.FILTER_VALUES] if len(labels) else []:
                if labels[i] is not None and counts[i] > 0:
                    cb.addItem(f"{plain(labels[i], 50)} ({counts[i]:,})", int(i))
                    facet[int(i)] = (plain(labels[i], 50), int(counts[i]))
            self._facets[col] = (codes, facet)
            cb.currentIndexChanged.connect(self.changed)
            self.combos[col] = cb
            form.addRow(label, cb)
        self.min_dl = self._count_spin(form, "Downloads ≥", 100)
        self.max_dl = self._count_spin(form, "Downloads ≤", 1000)
        day = snap.column("created_day")
        ok = day[day >= 0]
        self.day_lo, self.day_hi = (int(ok.min()), int(ok.max())) if len(ok) else (0, 0)
        self._days_sorted = np.sort(ok)
        self.since, self.since_label = self._date_slider(form, "Created from", self.day_lo, self._since_changed)
        self.as_of, self.as_of_label = self._date_slider(form, "As of", self.day_hi, self._date_changed)
        self.play = QPushButton("▶ Play history")
        self.play.setCheckable(True)
        self.play.setToolTip("Replay the Hub's growth: 'As of' advances a month a tick (Space)")
        self.play.clicked.connect(lambda checked: self.toggle_play(checked))
        self._play_timer = QTimer(self)
        self._play_timer.setInterval(PLAY_TICK_MS)
        self._play_timer.timeout.connect(self._play_step)
        form.addRow("", self.play)
        self.hide_undated = QCheckBox("hide models without a date while replaying")
        self.hide_undated.toggled.connect(self.changed)
        form.addRow("", self.hide_undated)
        reset = QPushButton("Reset filters")
        reset.clicked.connect(self.reset)
        form.addRow("", reset)
        self._date_changed(self.day_hi, emit=False)
        self._since_changed(self.day_lo, emit=False)

    def update_counts(self, style, filters: Filters) -> None:
        """Each dropdown's counts for what the other filters keep ("text-generation (1,204 of 5,310)"), as
        in a faceted search: choosing a value shows how many models it would leave."""
        for col, cb in self.combos.items():
            codes, facet = self._facets[col]
            m = style.filter_mask(dataclasses.replace(filters, values={**filters.values, col: None}))
            kept = None if m is None else np.bincount(codes[m & (codes >= 0)], minlength=len(codes) and
                                                      int(codes.max(initial=0)) + 1)
            for i in range(1, cb.count()):
                label, total = facet[int(cb.itemData(i))]
                n = None if kept is None else int(kept[int(cb.itemData(i))])
                cb.setItemText(i, f"{label} ({total:,})" if n is None else f"{label} ({n:,} of {total:,})")

    def _count_spin(self, form: QFormLayout, title: str, step: int) -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(0, 2_000_000_000)
        spin.setSingleStep(step)
        spin.setSpecialValueText("any")  # 0: no bound
        spin.valueChanged.connect(self.changed)
        form.addRow(title, spin)
        return spin

    def _date_slider(self, form: QFormLayout, title: str, value: int, slot) -> tuple[QSlider, QLabel]:
        slider = QSlider(Qt.Horizontal)
        slider.setRange(self.day_lo, self.day_hi)
        slider.setValue(value)
        label = QLabel()
        slider.valueChanged.connect(slot)
        row = QHBoxLayout()
        row.addWidget(slider)
        row.addWidget(label)
        box = QWidget()
        box.setLayout(row)
        form.addRow(title, box)
        return slider, label

    def _since_changed(self, v: int, emit: bool = True) -> None:
        self.since_label.setText(str(np.datetime64("1970-01-01") + np.timedelta64(int(v), "D")))
        if emit:
            self.changed.emit()

    def set_since(self, day: int) -> None:
        self.since.setValue(int(day))

    def _date_changed(self, v: int, emit: bool = True) -> None:
        d = np.datetime64("1970-01-01") + np.timedelta64(int(v), "D")
        self.as_of_label.setText(f"{d} · {self.models_as_of(v):,} models")
        if emit:
            self.changed.emit()

    def set_as_of(self, day: int) -> None:
        self.as_of.setValue(int(day))

    def reset(self) -> None:
        self.toggle_play(False)
        for cb in self.combos.values():
            cb.blockSignals(True)
            cb.setCurrentIndex(0)
            cb.blockSignals(False)
        for w, v in ((self.min_dl, 0), (self.max_dl, 0), (self.since, self.day_lo)):
            w.blockSignals(True)
            w.setValue(v)
            w.blockSignals(False)
        self._since_changed(self.day_lo, emit=False)
        self.as_of.setValue(self.day_hi)
        self.changed.emit()

    def filters(self) -> Filters:
        """The filters as the state holds them (the shader applies them; nothing is computed per model here)."""
        since, as_of = self.since.value(), self.as_of.value()
        return Filters({col: cb.currentData() for col, cb in self.combos.items()},
                       min_downloads=self.min_dl.value(), max_downloads=self.max_dl.value(),
                       since_day=since if since > self.day_lo else None,
                       as_of_day=as_of if as_of < self.day_hi else None,
                       hide_undated=self.hide_undated.isChecked())

    # -- replaying the Hub's growth --------------------------------------------------------------------------
    def models_as_of(self, day: int) -> int:
        """Models created on or before ``day`` (dated ones), from the sorted creation days."""
        return int(np.searchsorted(self._days_sorted, day, side="right"))

    def toggle_play(self, on: bool | None = None) -> None:
        """Play or pause: "as of" advances a month a tick (from the first month when at the end)."""
        on = not self._play_timer.isActive() if on is None else on
        if on and self.as_of.value() >= self.day_hi:
            self.set_as_of(self.day_lo)
        (self._play_timer.start if on else self._play_timer.stop)()
        self.play.setChecked(on)
        self.play.setText("❚❚ Pause" if on else "▶ Play history")

    def _play_step(self) -> None:
        nxt = min(self.as_of.value() + MONTH_DAYS, self.day_hi)
        self.set_as_of(nxt)
        if nxt >= self.day_hi:
            self.toggle_play(False)
