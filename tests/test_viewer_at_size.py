"""The window at the size users have (issue 25): a real synthetic atlas above every size threshold of the viewer
(``viewer.layers.limits``; the thresholds beyond a CI-sized atlas are lowered there, the one place they live),
opened the way people relaunch it — with each saved colour mode, theme, labels and density — and checked by
its pixels; a frame that cannot be drawn is said in the status bar and retried once in safe mode."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from atlas_fixtures import lower_every_threshold
from helpers import run_cli, run_here

pytest.importorskip("pytestqt")
pytestmark = [pytest.mark.gl, pytest.mark.slow]

MODELS = 60_000
MODES = ["modality", "pipeline_tag", "license", "library_name", "relation", "created", "downloads"]


@pytest.fixture(scope="session")
def big_atlas(tmp_path_factory):
    """60,000 synthetic models laid out by the real CPU path (`hubatlas layout`; about a minute here)."""
    cache = tmp_path_factory.mktemp("big") / "atlas"
    run_cli("synth", "--models", str(MODELS), cache=cache)
    run_here("layout", cache=cache)
    return cache


@pytest.fixture
def above_every_threshold(monkeypatch, big_atlas):
    """Lower the thresholds a 60K atlas does not reach, so every one of them is crossed."""
    return lower_every_threshold(monkeypatch, big_atlas)


def open_window(qtbot, cache, tmp_path, **saved):
    """A fresh window as a relaunch makes one: settings written by an earlier session, then the app's start."""
    from PySide6.QtCore import QSettings

    from hubatlas.core.store.database import Store
    from hubatlas.viewer._qt.window import MainWindow
    from hubatlas.viewer.layers.atlas_model import AtlasModel

    QSettings.setDefaultFormat(QSettings.IniFormat)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(tmp_path / "settings"))
    from hubatlas.viewer._qt.settings import settings

    s = settings()
    s.clear()
    for k, v in saved.items():
        s.setValue(k, v)
    s.sync()
    from hubatlas.core.store.snapshot import open_snapshot

    store = Store(cache, readonly=True)
    w = MainWindow(AtlasModel(open_snapshot(cache), store), label="test")
    qtbot.addWidget(w)
    w.resize(1400, 900)
    w.show()
    qtbot.waitExposed(w)
    return w, store


def map_pixels(w) -> np.ndarray:
    img = w.atlas.canvas.native.grabFramebuffer().convertToFormat(
        __import__("PySide6.QtGui", fromlist=["QImage"]).QImage.Format_RGBA8888
    )
    h, wd = img.height(), img.width()
    return np.frombuffer(img.constBits(), np.uint8).reshape(h, img.bytesPerLine() // 4, 4)[:, :wd, :3].copy()


def lit_share(w) -> float:
    """Share of the map's middle that differs from the background (as the relaunch check measures it)."""
    a = map_pixels(w).astype(int)
    h, wd, _ = a.shape
    m = a[int(h * 0.25) : int(h * 0.75), int(wd * 0.3) : int(wd * 0.7)]
    bg = np.array(w.atlas.theme.background[:3]) * 255
    return float((np.abs(m - bg).sum(-1) > 40).mean())


def wait_drawn(qtbot, w) -> None:
    qtbot.waitUntil(lambda: w.atlas.last_frame_ms is not None, timeout=20_000)
    qtbot.wait(50)


def close(w, store) -> None:
    w.close()
    w.atlas.close()
    w.deleteLater()
    store.close()


@pytest.mark.parametrize("mode", MODES)
def test_relaunch_with_each_saved_colour_mode_draws_the_map(
    qtbot, tmp_path, big_atlas, above_every_threshold, mode
):
    w, store = open_window(qtbot, big_atlas, tmp_path, color_mode=mode, minimap=False)
    try:
        assert w.atlas.mode == mode
        wait_drawn(qtbot, w)
        assert w.atlas.draw_error is None and w.atlas.canvas.draw_failures == 0
        assert lit_share(w) > 0.05, f"blank map after a relaunch with colour mode {mode}"
        # a gesture: the sample is drawn and measured on real frames, then full detail at rest
        w.atlas.zoom(0.5)
        assert w.atlas.interacting and w.atlas.points.drawn < len(w.atlas.order)
        for _ in range(4):
            w.atlas.canvas.native.repaint()
        assert w.atlas.ms_per_point is not None  # measured on the frames themselves
        assert lit_share(w) > 0.05
        qtbot.waitUntil(lambda: not w.atlas.interacting, timeout=5_000)
        w.atlas.canvas.native.repaint()
        assert w.atlas.canvas.draw_failures == 0 and lit_share(w) > 0.05
    finally:
        close(w, store)


@pytest.mark.parametrize(
    "saved",
    [
        {"theme": "light", "color_mode": "license"},
        {"labels": False, "density": True, "color_mode": "pipeline_tag"},
        {"labels": True, "density": True, "theme": "light", "color_mode": "created", "minimap": True},
    ],
)
def test_relaunch_with_theme_labels_and_density(qtbot, tmp_path, big_atlas, above_every_threshold, saved):
    w, store = open_window(qtbot, big_atlas, tmp_path, **saved)
    try:
        assert w.atlas.theme.name == saved.get("theme", "dark")
        assert w.state.labels == saved.get("labels", True) and w.state.density == saved.get("density", False)
        wait_drawn(qtbot, w)
        assert w.atlas.canvas.draw_failures == 0 and lit_share(w) > 0.05
        if saved.get("labels", True):
            assert 0 < len(w.atlas.labels_drawn) <= 6  # capped by the lowered LABELS_DRAWN
    finally:
        close(w, store)


def test_a_failing_draw_is_reported_and_retried_in_safe_mode(qtbot, tmp_path, big_atlas, monkeypatch):
    from hubatlas.viewer._vispy import points

    fails = {"left": 1}
    real = points.PointsVisual._prepare_draw

    def broken(self, view):
        if fails["left"]:
            fails["left"] -= 1
            raise RuntimeError("injected GL failure")
        return real(self, view)

    monkeypatch.setattr(points.PointsVisual, "_prepare_draw", broken)
    w, store = open_window(qtbot, big_atlas, tmp_path, color_mode="license")
    try:
        qtbot.waitUntil(lambda: w.atlas.safe_mode, timeout=10_000)
        assert "could not be drawn (RuntimeError: injected GL failure)" in w.statusBar().currentMessage()
        w.atlas.canvas.native.repaint()
        assert w.atlas.draw_error is None and lit_share(w) > 0.05  # drawn again, every point
        w.atlas.zoom(0.5)
        assert (
            w.atlas.points.drawn == len(w.atlas.order) or w.atlas.points.drawn > 0
        )  # no sample in safe mode
        assert not w.atlas.sampling
    finally:
        close(w, store)


def test_a_draw_that_keeps_failing_gives_up_with_a_message(qtbot, tmp_path, big_atlas, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from hubatlas.viewer._vispy import points

    def broken(self, view):
        raise RuntimeError("no GL today")

    monkeypatch.setattr(points.PointsVisual, "_prepare_draw", broken)
    w, store = open_window(qtbot, big_atlas, tmp_path)
    try:
        qtbot.waitUntil(lambda: w.draw_problem is not None, timeout=10_000)
        assert "cannot be drawn: RuntimeError: no GL today" in w.status.text()
        boxes = [b for b in w.findChildren(QMessageBox) if b.isVisible()]
        assert boxes and "even in safe mode" in boxes[0].text()
    finally:
        close(w, store)


def test_the_view_command_relaunched_with_a_saved_mode_shows_the_map(tmp_path, big_atlas):
    """The real console script, as a user relaunches it (a settings file from an earlier session)."""
    from PIL import Image

    for mode in ("license", "pipeline_tag"):
        cfg = tmp_path / mode
        (cfg / "hubatlas").mkdir(parents=True)
        (cfg / "hubatlas" / "hubatlas.ini").write_text(f"[General]\ncolor_mode={mode}\nminimap=false\n")
        env = dict(os.environ, XDG_CONFIG_HOME=str(cfg), HOME=str(cfg))
        shot = tmp_path / f"{mode}.png"
        p = subprocess.run(
            [
                sys.executable,
                "-m",
                "hubatlas.viewer.cli",
                "--cache",
                str(big_atlas),
                "view",
                "--screenshot",
                str(shot),
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert p.returncode == 0, p.stderr
        assert "could not be drawn" not in p.stderr and "Error drawing" not in p.stderr
        a = np.asarray(Image.open(shot).convert("RGB")).astype(int)
        h, wd, _ = a.shape
        m = a[int(h * 0.25) : int(h * 0.75), int(wd * 0.38) : int(wd * 0.62)]
        vals, cnt = np.unique(m.reshape(-1, 3), axis=0, return_counts=True)
        assert (np.abs(m - vals[cnt.argmax()]).sum(-1) > 40).mean() > 0.05, f"blank map with {mode} saved"


def _export_texts(w, width: int, height: int) -> list[str]:
    from hubatlas.viewer._vispy.export import ExportOptions, figure_ops
    from hubatlas.viewer._vispy.figure import Text

    opts = ExportOptions(width=width, height=height, legend=False, attribution=False)
    return sorted(op.text for op in figure_ops(w.atlas, opts) if isinstance(op, Text))


def _repaint_labels(qtbot, w) -> list[str]:
    w.atlas.canvas.native.repaint()
    qtbot.wait(50)
    return sorted(p.text for p in w.atlas.labels_drawn)


def test_labels_follow_what_is_shown_and_exports_draw_the_windows_labels(qtbot, tmp_path, big_atlas):
    from hubatlas.core.common.filters import Filters

    w, store = open_window(qtbot, big_atlas, tmp_path, color_mode="pipeline_tag", minimap=False)
    try:
        wait_drawn(qtbot, w)
        size = tuple(w.atlas.canvas.size)
        everything = _repaint_labels(qtbot, w)
        assert len(everything) >= 3
        assert _export_texts(w, *size) == everything  # the same chooser, view and labels
        # one task shown: the window names the map for it (labels counted from its models), and so does an export
        codes = w.atlas.model.style.fields["pipeline_tag"].doc
        top = int(np.bincount(codes[codes < w.atlas.model.style.fields["pipeline_tag"].L]).argmax())
        w.state.update(filters=Filters({"pipeline_tag": top}))
        qtbot.waitUntil(lambda: w.atlas._labels_key is not None, timeout=10_000)
        shown = _repaint_labels(qtbot, w)
        named = w.atlas.label_set
        assert len(shown) >= 3 and shown != everything
        for i in range(len(named)):  # every label names models of the shown task only
            members = named.members_flat[named.members_start[i] : named.members_start[i + 1]]
            assert (codes[members] == top).all(), named.text[i]
        assert _export_texts(w, *size) == shown
        w.state.update(filters=Filters.none())
        qtbot.waitUntil(lambda: w.atlas._labels_key is None, timeout=10_000)
        assert _repaint_labels(qtbot, w) == everything
        # a replay step: before its labels are named, the map draws none that names a model it hides
        day = w.atlas.model.snap.column("created_day").astype(np.int64)
        w.state.update(filters=Filters({}, as_of_day=int(np.quantile(day[day >= 0], 0.2))))
        assert _repaint_labels(qtbot, w) and w.atlas._labels_key is None  # drawn before the names settle
        visible, named = w.atlas.visible_mask(), w.atlas.label_set
        for p in w.atlas.labels_drawn:  # each names what the date shows: most of its models exist then
            m = named.members_flat[named.members_start[p.index] : named.members_start[p.index + 1]]
            assert visible[m].mean() >= 0.5, p.text
    finally:
        close(w, store)


def test_exports_scale_with_resolution_and_take_labels_and_density_from_the_dialog(
    qtbot, tmp_path, big_atlas
):
    from PIL import Image

    from hubatlas.viewer._qt.export_dialog import ExportDialog
    from hubatlas.viewer._vispy.export import ExportOptions, export_image

    w, store = open_window(qtbot, big_atlas, tmp_path, color_mode="license", minimap=False, density=False)
    try:
        wait_drawn(qtbot, w)

        def lit(path) -> float:
            a = np.asarray(Image.open(path).convert("RGB")).astype(int)
            bg = np.array(w.atlas.theme.background[:3]) * 255
            return float((np.abs(a - bg).sum(-1) > 40).mean())

        shares = []
        for k in (1, 2):  # a 2× export lights about the share a 1× one does (points grow with resolution)
            path = tmp_path / f"x{k}.png"
            opts = ExportOptions(width=700 * k, height=450 * k, legend=False, attribution=False, labels=False)
            export_image(w.atlas, path, opts)
            shares.append(lit(path))
        assert shares[0] > 0.05 and 0.7 <= shares[1] / shares[0] <= 1.3, shares
        dialog = ExportDialog(w)
        qtbot.addWidget(dialog)
        assert dialog.labels.isChecked() == w.state.labels and not dialog.density.isChecked()
        dialog.density.setChecked(True)
        dialog.labels.setChecked(False)
        _, opts = dialog.options()
        assert opts.density is True and opts.labels is False
        opts.width, opts.height, opts.legend, opts.attribution = 700, 450, False, False
        export_image(w.atlas, tmp_path / "terrain.png", opts)
        terrain = np.asarray(Image.open(tmp_path / "terrain.png").convert("RGB")).astype(int)
        plain = np.asarray(Image.open(tmp_path / "x1.png").convert("RGB")).astype(int)
        opts.density = False
        export_image(w.atlas, tmp_path / "again.png", opts)
        again = np.asarray(Image.open(tmp_path / "again.png").convert("RGB")).astype(int)
        assert np.array_equal(again, plain)  # the same view renders the same pixels ...
        assert np.abs(terrain - plain).sum(-1).astype(bool).mean() > 0.01  # ... and the terrain is drawn
        assert w.state.density is False  # ... and the window keeps its own view
    finally:
        close(w, store)
