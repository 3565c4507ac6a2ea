"""No display at all: `view` says so instead of letting Qt abort, and `export` renders headless through EGL
(Mesa's surfaceless platform here; a GPU driver's EGL elsewhere)."""

from __future__ import annotations

import numpy as np
from atlas_fixtures import make_known_atlas
from helpers import run_cli


def no_display_env(**extra) -> dict:
    """Over the test run's environment (which has Xvfb's DISPLAY): no display of any kind."""
    return {"DISPLAY": "", "WAYLAND_DISPLAY": "", "QT_QPA_PLATFORM": "", **extra}


def test_view_without_a_display_says_so(tmp_path):
    make_known_atlas(tmp_path / "c")
    p = run_cli("view", cache=tmp_path / "c", env=no_display_env(), check=False)
    assert p.returncode == 1 and "no display" in p.stderr and "xvfb-run hubatlas view" in p.stderr, p.stderr[
        -800:
    ]


def test_export_without_a_display_renders_headless(tmp_path):
    from PIL import Image

    make_known_atlas(tmp_path / "c")
    out = tmp_path / "headless.png"
    for env in (no_display_env(), no_display_env(QT_QPA_PLATFORM="offscreen")):
        p = run_cli(
            "export",
            "--out",
            str(out),
            "--width",
            "320",
            "--height",
            "240",
            "--no-legend",
            cache=tmp_path / "c",
            env={**env, "HUBATLAS_CACHE": ""},
            check=False,
        )
        assert p.returncode == 0, p.stderr[-1500:]
        img = np.asarray(Image.open(out).convert("RGB")).astype(int)
        assert img.shape == (240, 320, 3)
        bg = img[0, 0]
        assert (np.abs(img - bg).max(-1) > 40).sum() > 20  # the known points are drawn
        out.unlink()
