"""File → Export image…: size presets, PNG/JPEG or SVG/PDF (the points one embedded raster, labels, legend,
title and attribution real text), legend, title, attribution, background; quick export."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QWidget,
)

from hubatlas.viewer._qt.columns import widen_popup
from hubatlas.viewer._qt.settings import settings
from hubatlas.viewer._vispy.export import MAX_PIXELS, ExportError, ExportOptions, export_image

PRESET_LABELS = ["Current window", "2× window", "4K (3840×2160)", "8K (7680×4320)", "Custom"]


def preset_size(index: int, window_size: tuple[int, int], custom: tuple[int, int]) -> tuple[int, int]:
    w, h = window_size
    return [(w, h), (2 * w, 2 * h), (3840, 2160), (7680, 4320), custom][index]


class ExportDialog(QDialog):
    def __init__(self, win):
        super().__init__(win)
        self.win = win
        self.setWindowTitle("Export image")
        form = QFormLayout(self)
        self.preset = QComboBox()
        self.preset.addItems(PRESET_LABELS)
        widen_popup(self.preset)
        self.preset.setCurrentIndex(1)
        form.addRow("Size", self.preset)
        self.w, self.h = QSpinBox(), QSpinBox()
        for sb, v in ((self.w, 1920), (self.h, 1080)):
            sb.setRange(16, 16384)
            sb.setValue(v)
        row = QHBoxLayout()
        row.addWidget(self.w)
        row.addWidget(self.h)
        box = QWidget()
        box.setLayout(row)
        form.addRow("Custom size", box)
        self.title = QLineEdit()
        form.addRow("Title", self.title)
        self.legend = QCheckBox("legend")
        self.legend.setChecked(True)
        self.attribution = QCheckBox("attribution (data source and snapshot date)")
        self.attribution.setChecked(True)
        self.transparent = QCheckBox("transparent background (PNG, SVG, PDF)")
        state = win.atlas.state
        self.labels = QCheckBox("labels (as the window draws them at this view)")
        self.labels.setChecked(state.labels)
        self.density = QCheckBox("density (terrain under the points)")
        self.density.setChecked(state.density)
        form.addRow("", self.legend)
        form.addRow("", self.labels)
        form.addRow("", self.density)
        form.addRow("", self.attribution)
        form.addRow("", self.transparent)
        last = Path(str(settings().value("last_export_dir", str(Path.home()))))
        self.path = QLineEdit(str(last / "hubatlas.png"))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        prow = QHBoxLayout()
        prow.addWidget(self.path)
        prow.addWidget(browse)
        pbox = QWidget()
        pbox.setLayout(prow)
        form.addRow("File", pbox)
        buttons = QDialogButtonBox(QDialogButtonBox.Save | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _browse(self) -> None:
        p, _ = QFileDialog.getSaveFileName(
            self,
            "Export image",
            self.path.text(),
            "PNG (*.png);;JPEG (*.jpg *.jpeg);;SVG, text editable (*.svg);;PDF, text editable (*.pdf)",
        )
        if p:
            self.path.setText(p)

    def options(self) -> tuple[Path, ExportOptions]:
        native = self.win.atlas.canvas.size
        w, h = preset_size(self.preset.currentIndex(), native, (self.w.value(), self.h.value()))
        return Path(self.path.text()).expanduser(), ExportOptions(
            width=w,
            height=h,
            legend=self.legend.isChecked(),
            title=self.title.text() or None,
            attribution=self.attribution.isChecked(),
            transparent=self.transparent.isChecked(),
            labels=self.labels.isChecked(),
            density=self.density.isChecked(),
        )

    def save(self) -> None:
        path, opts = self.options()
        if opts.width * opts.height > MAX_PIXELS:
            QMessageBox.warning(self, "Export", "That size is over the limit.")
            return
        try:
            export_image(self.win.atlas, path, opts)
        except (ExportError, OSError) as e:
            QMessageBox.warning(self, "Export failed", str(e))
            return
        settings().setValue("last_export_dir", str(path.parent))
        self.win.statusBar().showMessage(f"Saved {path}", 8000)
        self.accept()


def quick_export(win) -> Path:
    """The current view at 2× the window size, next to the last export, with a timestamped name."""
    folder = Path(str(settings().value("last_export_dir", str(Path.home()))))
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = folder / f"hubatlas-{stamp}.png"
    w, h = win.atlas.canvas.size
    export_image(win.atlas, path, ExportOptions(width=2 * w, height=2 * h, labels=win.atlas.state.labels))
    settings().setValue("last_export_dir", str(folder))
    return path
