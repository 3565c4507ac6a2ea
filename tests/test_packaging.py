"""Packaging: `--self-test` on the installed package, its failures, and (when PyInstaller is installed, as in
CI) a real `build_app.spec` build whose frozen executable passes the self-test, reads the demo and lays out an
atlas with the bundled numba/UMAP stack, and writes the analysis report with its charts."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest


def run(cmd, env=None, timeout=300):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)


def test_image_checks_reject_blank_flooded_and_wrong_size():
    from hubatlas.viewer.selftest import SelfTestFailure, image_checks

    bg = (0.0, 0.0, 0.0, 1.0)
    palette = [(255, 0, 0), (0, 255, 0), (0, 0, 255)]
    img = np.zeros((100, 200, 4), np.uint8)
    with pytest.raises(SelfTestFailure, match="non-background"):
        image_checks(img, (200, 100), bg, palette)
    with pytest.raises(SelfTestFailure, match="expected 300×100"):
        image_checks(img, (300, 100), bg, palette)
    img[:, :, :3] = 255
    with pytest.raises(SelfTestFailure, match="non-background"):
        image_checks(img, (200, 100), bg, palette)
    img[:] = 0
    img[10:20, 10:20, 0] = 255  # one colour only
    with pytest.raises(SelfTestFailure, match="only 1 legend colours"):
        image_checks(img, (200, 100), bg, palette)
    img[30:40, 10:20, 1] = 255
    img[50:60, 10:20, 2] = 255
    assert image_checks(img, (200, 100), bg, palette) == {"drawn_fraction": 0.015, "legend_colours_seen": 3}


def test_self_test_without_display_fails_with_reason():
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["QT_QPA_PLATFORM"] = "xcb"
    r = run([sys.executable, "-m", "hubatlas.viewer", "--self-test"], env=env)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "FAILED: no display" in r.stdout


@pytest.mark.gl
def test_self_test_passes_on_installed_package():
    r = run([sys.executable, "-m", "hubatlas.viewer", "--self-test"])
    assert r.returncode == 0, r.stdout + r.stderr
    for step in (
        "resources present",
        "demo atlas opened",
        "About box ok",
        "screenshot exported",
        "GPU layout",
    ):
        assert step in r.stdout, r.stdout
    assert r.stdout.strip().splitlines()[-1].startswith("self-test: passed")


@pytest.fixture(scope="module")
def frozen_app(builds):
    """The executable of a real `pyinstaller build_app.spec` build (tests/builds.py: started by conftest before
    the session's first test, it ran beside them)."""
    pytest.importorskip("PyInstaller", reason="PyInstaller is not installed (it is in the test extra)")
    r = builds.result("app")
    assert r.returncode == 0, r.stderr[-4000:]
    assert builds.exe.is_file()
    return builds.exe


@pytest.mark.slow
@pytest.mark.gl
def test_frozen_app_self_test_and_contents(frozen_app):
    from hubatlas.core import __version__

    r = run([str(frozen_app), "--version"])
    assert r.returncode == 0 and r.stdout.strip() == f"hubatlas {__version__}"
    r = run([str(frozen_app), "--self-test"])
    assert r.returncode == 0, r.stdout + r.stderr
    assert "frozen app" in r.stdout and "self-test: passed" in r.stdout
    assert "app bundle does not include it" in r.stdout  # says how to enable GPU layout
    internal = frozen_app.parent / "_internal"
    assert (internal / "hubatlas" / "resources" / "icon.png").is_file()
    assert "Exec=hubatlas" in (internal / "hubatlas" / "resources" / "hubatlas.desktop").read_text()
    assert (internal / "hubatlas" / "resources" / "demo" / "analyses" / "predictions.arrow").is_file()
    assert (internal / "hubatlas" / "resources" / "demo" / "atlas.sqlite").is_file()
    assert any((internal / "vispy" / "glsl").rglob("*.glsl"))
    assert not (internal / "cuml").exists() and not (internal / "cupy").exists()


@pytest.mark.slow
def test_frozen_app_commands_and_layout(frozen_app, tmp_path):
    env = {**os.environ, "HUBATLAS_CACHE": str(tmp_path / "empty")}
    r = run([str(frozen_app), "stats", "--json"], env=env)
    assert r.returncode == 0, r.stderr
    assert "bundled demo" in r.stderr
    installed = run([sys.executable, "-m", "hubatlas.viewer", "stats", "--json"], env=env)
    frozen, source = json.loads(r.stdout), json.loads(installed.stdout)
    assert frozen["models"] == source["models"] > 2000 and frozen["edges"] == source["edges"]
    cache = tmp_path / "c"
    r = run([str(frozen_app), "--cache", str(cache), "synth", "--models", "2000"])
    assert r.returncode == 0, r.stderr
    r = run([str(frozen_app), "--cache", str(cache), "layout", "--json", "-q"], timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert json.loads(r.stdout)["nodes"] == 2000
    r = run([str(frozen_app), "--cache", str(cache), "report", "--out", str(tmp_path / "rep"), "-q"])
    assert r.returncode == 0, r.stderr[-3000:]  # the analyses and their matplotlib charts work frozen
    assert (tmp_path / "rep" / "index.html").stat().st_size > 10_000 and (
        tmp_path / "rep" / "predict.png"
    ).exists()
    r = run([str(frozen_app), "--cache", str(tmp_path / "nope"), "info", "x/y"])
    assert r.returncode != 0 and "error" in r.stderr
