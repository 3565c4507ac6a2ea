"""The documentation's pictures, made from the bundled demo atlas so they never go stale:
`xvfb-run -a python -m bench.screenshots` builds the demo atlas from its sources into a temporary folder,
takes the window with `hubatlas view --screenshot` (on saved views: a selected family, colours and filters)
and renders figures with `hubatlas export`, into docs/images/. With `--real DIR` it also renders the real
map the README shows from an atlas already laid out (read only).

The window needs a display (Xvfb is enough); exports need none. Settings go to a temporary config folder, so
the window opens at its default size whatever this machine's hubatlas remembers."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

IMAGES = Path(__file__).resolve().parent.parent / "docs" / "images"
HUB = [sys.executable, "-m", "hubatlas.viewer.cli"]
FAMILY = "HuggingFaceTB/SmolLM2-1.7B-Instruct"  # the demo's largest family, selected in the tour

# saved views (viewer/layers/view_file.py's format) the window is screenshotted on
VIEWS: dict[str, dict] = {
    "window_overview": {"hubatlas_view": 1, "labels": True, "density": False},
    "window_family": {
        "hubatlas_view": 1,
        "color_by": "relation",
        "selection": {"model": FAMILY, "family": True},
        "edges": True,
        "labels": True,
    },
    "window_filters": {
        "hubatlas_view": 1,
        "color_by": "license",
        "filters": {"license": ["apache-2.0", "mit"]},
        "density": True,
        "theme": "light",
    },
}

# `hubatlas export` figures: (file, options)
EXPORTS: list[tuple[str, list[str]]] = [
    ("export_task.png", ["--color-by", "pipeline_tag", "--density", "--title", "The demo atlas by task"]),
    ("export_focus.png", ["--focus", FAMILY, "--zoom", "6", "--color-by", "relation"]),
]


def _run(cmd: list[str], env: dict[str, str]) -> float:
    t = time.perf_counter()
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"failed ({r.returncode}): {' '.join(cmd)}\n{r.stderr[-3000:]}")
    return time.perf_counter() - t


def window_shots(cache: Path, work: Path, env: dict[str, str]) -> dict[str, float]:
    """The window on each saved view, grabbed by `view --screenshot` once it has drawn."""
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        raise SystemExit("the window needs a display: run `xvfb-run -a python -m bench.screenshots`")
    took = {}
    for name, view in VIEWS.items():
        path = work / f"{name}.json"
        path.write_text(json.dumps(view), encoding="utf-8")
        out = IMAGES / f"{name}.png"
        cmd = [*HUB, "--cache", str(cache), "view", "--view", str(path), "--screenshot", str(out)]
        took[out.name] = _run(cmd, env)
    return took


def export_shots(cache: Path, env: dict[str, str], width: int = 1600, height: int = 1000) -> dict[str, float]:
    """Figures as `hubatlas export` renders them, without a window."""
    took = {}
    for name, extra in EXPORTS:
        out = IMAGES / name
        size = ["--width", str(width), "--height", str(height)]
        took[name] = _run([*HUB, "--cache", str(cache), "export", "--out", str(out), *size, *extra], env)
    return took


def real_map(cache: Path, env: dict[str, str]) -> float:
    """The README's picture: the real Hub by task, labels and density on, as bench/cartography.py draws it."""
    out = IMAGES / "atlas_real.png"
    opts = ["--width", "1600", "--height", "1000", "--color-by", "pipeline_tag", "--density"]
    return _run([*HUB, "--cache", str(cache), "export", "--out", str(out), *opts], env)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(
        "--real", type=Path, metavar="DIR", help="also render the real map from this laid-out atlas"
    )
    p.add_argument("--no-window", action="store_true", help="only the exports (no display needed)")
    a = p.parse_args(argv)
    IMAGES.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="hubatlas-shots-"))
    env = {**os.environ, "XDG_CONFIG_HOME": str(work / "config"), "HUBATLAS_CACHE": str(work / "unused")}
    try:
        cache = work / "demo"
        result: dict[str, object] = {"demo_build_s": round(_run([*HUB, "demo", "--out", str(cache)], env), 1)}
        if not a.no_window:
            result.update(window_shots(cache, work, env))
        result.update(export_shots(cache, env))
        if a.real:
            result["atlas_real.png"] = real_map(a.real, env)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps({k: round(v, 1) if isinstance(v, float) else v for k, v in result.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
