"""The filters panel: a checklist of values for each categorical field (with counts for what the other filters
keep, and a search for long lists such as licences), a downloads range, a creation-date range and an "as of"
slider that replays the Hub's growth. The widgets show the state's filters and change them only through
``AtlasState.update(filters=...)``: a reset is one state change, which the widgets then reflect."""

from __future__ import annotations

import dataclasses

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
    QWidgetAction,
)

from hubatlas.core.common.dates import day_text
from hubatlas.core.common.fields import BY_NAME, FILTERED
from hubatlas.viewer._qt.columns import list_width
from hubatlas.viewer._qt.text import plain
from hubatlas.viewer.layers import limits
from hubatlas.viewer.layers.describe import count
from hubatlas.viewer.layers.styling import Filters

MONTH_DAYS = 30  # one tick of the history replay
PLAY_TICK_MS = 120  # replay speed: about eight months a second


class ValueChecklist(QToolButton):
    """One field's values as a checklist in a drop-down (most frequent first, with counts and a search box);
    nothing checked: every value. ``changed`` is emitted when the user checks or unchecks values."""

    def __init__(self, field: str, codes: np.ndarray, labels: list, on_change, parent=None):
        super().__init__(parent)
        self.field, self.codes, self._on_change = field, codes, on_change
        self.setPopupMode(QToolButton.InstantPopup)
        self.setToolButtonStyle(Qt.ToolButtonTextOnly)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        counts = np.bincount(codes[codes >= 0], minlength=len(labels)) if len(codes) else np.zeros(0, int)
        order = np.argsort(-np.asarray(counts, dtype=np.int64), kind="stable")[: limits.FILTER_VALUES]
        self.facet = {
            int(i): (plain(labels[i], 50), int(counts[i]))
            for i in order
            if labels[i] is not None and counts[i] > 0
        }
        box = QWidget()
        lay = QVBoxLayout(box)
        lay.setContentsMargins(4, 4, 4, 4)
        self.search = QLineEdit()
        self.search.setPlaceholderText(f"Search {len(labels):,} values")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._search)
        self.list = QListWidget()
        # as wide as its longest text once the other filters narrow it: "apache-2.0 (66 of 15,961)"
        labels_shown = [f"{label} ({total:,} of {total:,})" for label, total in self.facet.values()]
        self.list.setMinimumWidth(max(260, list_width(self.list, labels_shown)))  # the popup fits its values
        for code, (label, total) in self.facet.items():
            item = QListWidgetItem(f"{label} ({total:,})")
            item.setData(Qt.UserRole, code)
            item.setFlags(Qt.ItemIsEnabled | Qt.ItemIsUserCheckable)
            item.setCheckState(Qt.Unchecked)
            self.list.addItem(item)
        self.list.itemChanged.connect(self._item_changed)
        clear = QPushButton("All values")
        clear.clicked.connect(lambda: self.set_checked(None, emit=True))
        lay.addWidget(self.search)
        lay.addWidget(self.list)
        lay.addWidget(clear)
        menu = QMenu(self)
        wa = QWidgetAction(menu)
        wa.setDefaultWidget(box)
        menu.addAction(wa)
        self.setMenu(menu)
        self._loading = False
        self._update_text()

    # -- what is checked -------------------------------------------------------------------------------------
    def checked(self) -> frozenset[int] | None:
        got = frozenset(
            int(self.list.item(i).data(Qt.UserRole))
            for i in range(self.list.count())
            if self.list.item(i).checkState() == Qt.Checked
        )
        return got or None

    def set_checked(self, codes, emit: bool = False) -> None:
        codes = frozenset() if codes is None else frozenset(codes)
        self._loading = True
        for i in range(self.list.count()):
            item = self.list.item(i)
            item.setCheckState(Qt.Checked if int(item.data(Qt.UserRole)) in codes else Qt.Unchecked)
        self._loading = False
        self._update_text()
        if emit:
            self._on_change()

    def check_only(self, code: int | None) -> None:
        """The user's choice of one value (None: all)."""
        self.set_checked(None if code is None else [code], emit=True)

    def code_of(self, text_start: str) -> int:
        """The code of the first value whose label starts with ``text_start``."""
        return next(c for c, (label, _) in self.facet.items() if label.startswith(text_start))

    def texts(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    # -- the widget ------------------------------------------------------------------------------------------
    def _item_changed(self, _item) -> None:
        if not self._loading:
            self._update_text()
            self._on_change()

    def _search(self, text: str) -> None:
        t = text.strip().lower()
        for i in range(self.list.count()):
            item = self.list.item(i)
            item.setHidden(bool(t) and t not in item.text().lower())

    def _update_text(self) -> None:
        got = self.checked()
        if got is None:
            self.setText("All  ▾")
        elif len(got) == 1:
            self.setText(f"{self.facet[next(iter(got))][0]}  ▾")
        else:
            self.setText(f"{len(got)} values  ▾")

    def show_counts(self, kept: np.ndarray | None) -> None:
        """Each value's count for what the other filters keep (None: no other filter)."""
        self._loading = True
        for i in range(self.list.count()):
            item = self.list.item(i)
            code = int(item.data(Qt.UserRole))
            label, total = self.facet[code]
            n = None if kept is None else int(kept[code]) if code < len(kept) else 0
            item.setText(f"{label} ({total:,})" if n is None else f"{label} ({n:,} of {total:,})")
        self._loading = False


class FiltersPanel(QWidget):
    """Filters by modality, task, licence, library, downloads range and creation-date range; the 'as of' end
    of the date range replays the Hub's growth (models created after it are hidden)."""

    def __init__(self, model, state, parent=None):
        super().__init__(parent)
        self.model, self.state = model, state
        form = QFormLayout(self)
        self.combos: dict[str, ValueChecklist] = {}
        for name in FILTERED:
            cl = ValueChecklist(
                name, model.style.fields[name].doc_codes(), model.style.fields[name].labels, self._edited
            )
            self.combos[name] = cl
            form.addRow(BY_NAME[name].label, cl)
        self.min_dl = self._count_spin(form, "Downloads ≥", 100)
        self.max_dl = self._count_spin(form, "Downloads ≤", 1000)
        day = model.column("created_day")
        ok = day[day >= 0]
        self.day_lo, self.day_hi = (int(ok.min()), int(ok.max())) if len(ok) else (0, 0)
        self.since, self.since_label = self._date_slider(form, "Created from", self.day_lo)
        self.as_of, self.as_of_label = self._date_slider(form, "As of", self.day_hi)
        self.play = QPushButton("▶ Play history")
        self.play.setCheckable(True)
        self.play.setToolTip("Replay the Hub's growth: 'As of' advances a month a tick (Space)")
        self.play.clicked.connect(lambda checked: self.toggle_play(checked))
        self._play_timer = QTimer(self)
        self._play_timer.setInterval(PLAY_TICK_MS)
        self._play_timer.timeout.connect(self._play_step)
        form.addRow("", self.play)
        self.hide_undated = QCheckBox("hide undated in replay")  # short: the panel is narrow at 1400×900
        self.hide_undated.setToolTip("Hide the models without a creation date while the history replays")
        self.hide_undated.toggled.connect(self._edited)
        form.addRow("", self.hide_undated)
        self.new_since = self._new_since_button(form)
        reset = QPushButton("Reset filters")
        reset.clicked.connect(self.reset)
        form.addRow("", reset)
        self._loading = False
        self.reflect(state.filters)
        self._unsubscribe = state.on_change(
            lambda names: self.reflect(state.filters) if "filters" in names else None
        )

    # -- the state shown ---------------------------------------------------------------------------------------
    def filters(self) -> Filters:
        """The filters the widgets show (the shader applies them; nothing is computed per model here)."""
        since, as_of = self.since.value(), self.as_of.value()
        return Filters(
            {name: cl.checked() for name, cl in self.combos.items()},
            min_downloads=self.min_dl.value(),
            max_downloads=self.max_dl.value(),
            since_day=since if since > self.day_lo else None,
            as_of_day=as_of if as_of < self.day_hi else None,
            hide_undated=self.hide_undated.isChecked(),
        )

    def reflect(self, f: Filters) -> None:
        """Show ``f`` in the widgets without changing the state."""
        self._loading = True
        for name, cl in self.combos.items():
            cl.set_checked(f.values.get(name))
        for w, v in (
            (self.min_dl, f.min_downloads),
            (self.max_dl, f.max_downloads),
            (self.since, self.day_lo if f.since_day is None else f.since_day),
            (self.as_of, self.day_hi if f.as_of_day is None else f.as_of_day),
        ):
            w.blockSignals(True)
            w.setValue(int(v))
            w.blockSignals(False)
        self.hide_undated.blockSignals(True)
        self.hide_undated.setChecked(f.hide_undated)
        self.hide_undated.blockSignals(False)
        self._loading = False
        self._label_dates()

    def _edited(self, *_args) -> None:
        if not self._loading:
            self.state.update(filters=self.filters())
            self._label_dates()

    def reset(self) -> None:
        """Every filter off: one state change."""
        self.toggle_play(False)
        self.state.update(filters=Filters.none())

    def update_counts(self) -> None:
        """Each checklist's counts for what the other filters keep ("text-generation (1,204 of 5,310)"), as in
        a faceted search: checking a value shows how many models it would leave. The as-of label counts what
        every filter shows."""
        f = self.state.filters
        style = self.model.style
        for name, cl in self.combos.items():
            m = style.filter_mask(dataclasses.replace(f, values={**f.values, name: None}))
            codes = cl.codes
            kept = (
                None
                if m is None
                else np.bincount(codes[m & (codes >= 0)], minlength=int(codes.max(initial=0)) + 1)
            )
            cl.show_counts(kept)
        self._label_dates()

    def _label_dates(self) -> None:
        self.since_label.setText(day_text(self.since.value()))
        shown = self.model.shown_count(self.state)
        self.as_of_label.setText(f"{day_text(self.as_of.value())} · {count(shown, 'model')} shown")

    # -- widgets -----------------------------------------------------------------------------------------------
    def _count_spin(self, form: QFormLayout, title: str, step: int) -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(0, 2_000_000_000)
        spin.setSingleStep(step)
        spin.setSpecialValueText("any")  # 0: no bound
        spin.valueChanged.connect(self._edited)
        form.addRow(title, spin)
        return spin

    def _date_slider(self, form: QFormLayout, title: str, value: int) -> tuple[QSlider, QLabel]:
        slider = QSlider(Qt.Horizontal)
        slider.setRange(self.day_lo, self.day_hi)
        slider.setValue(value)
        label = QLabel()
        label.setTextFormat(Qt.PlainText)
        slider.valueChanged.connect(self._edited)
        form.addRow(title, slider)
        form.addRow("", label)  # under the slider: a narrow panel never cuts the date or the count
        return slider, label

    def _new_since_button(self, form: QFormLayout) -> QPushButton | None:
        """One click for what the Hub added since the weekly snapshot the atlas came from (`hubatlas get`,
        then `hubatlas sync --refresh`): models created after its date."""
        date = self.model.manifest.get("snapshot_date")
        if not date:
            return None
        from hubatlas.core.common.dates import day_of

        day = day_of(date)
        button = QPushButton(f"New since {date[:10]}")
        button.setToolTip(
            f"Only models created after {date[:10]}, the date of the weekly snapshot this atlas was got from "
            "(a refresh adds what the Hub gained since)"
        )
        button.clicked.connect(
            lambda: self.state.update(filters=dataclasses.replace(self.state.filters, since_day=day + 1))
        )
        form.addRow("", button)
        return button

    def set_since(self, day: int) -> None:
        self.since.setValue(int(day))

    def set_as_of(self, day: int) -> None:
        self.as_of.setValue(int(day))

    # -- replaying the Hub's growth ----------------------------------------------------------------------------
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

    def close_views(self) -> None:
        self._play_timer.stop()
        self._unsubscribe()
