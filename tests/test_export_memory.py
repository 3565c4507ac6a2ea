"""The memory of exports and time-lapses (issue 38, line 14): each frame goes to its encoder (GIF, WebP, MP4) as
it is made, and a closed hidden canvas gives its GL memory back (VisPy's EGL backend kept every one: about 25 MB
a render, so 96 months at 320×200 exhausted 4 GB and 9 frames at 4K failed). Frames are followed by weak
references, the memory as the process's RSS."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import weakref

import numpy as np
import pytest
from atlas_fixtures import make_random_atlas
from helpers import REPO


@pytest.fixture(scope="module")
def atlas(tmp_path_factory):
    d = tmp_path_factory.mktemp("memory") / "c"
    make_random_atlas(d, 2000)
    return d


def _frames(n: int, size=(96, 64), alive: list | None = None):
    """``n`` plain-coloured frames; ``alive`` gets how many earlier frames still exist as each is made."""
    refs: list = []
    for k in range(n):
        if alive is not None:
            alive.append(sum(r() is not None for r in refs))
        frame = np.zeros((size[1], size[0], 3), np.uint8)
        frame[..., 0], frame[..., 1] = 20 * k, 255 - 20 * k
        refs.append(weakref.ref(frame))
        yield frame


@pytest.mark.parametrize("fmt", ["gif", "webp"])
def test_animations_take_frames_as_they_are_made(tmp_path, fmt):
    from PIL import Image

    from hubatlas.viewer._vispy.animation_writers import write_gif, write_webp

    alive: list[int] = []
    out = tmp_path / f"a.{fmt}"
    n = (write_gif if fmt == "gif" else write_webp)(_frames(12, alive=alive), 12, out, 5.0)
    assert n == 12 and max(alive) <= 1  # never more than the frame being encoded held
    im = Image.open(out)
    assert im.n_frames == 12 and im.info.get("loop") == 0
    for k in (0, 5, 11):
        im.seek(k)
        r, g, _ = np.asarray(im.convert("RGB")).reshape(-1, 3).mean(0)
        assert abs(r - 20 * k) <= 6 and abs(g - (255 - 20 * k)) <= 6, (k, r, g)
        assert im.info.get("duration") == 200


RSS_PROBE = """
import gc, sys
from dataclasses import replace
from pathlib import Path
from hubatlas.core.store.database import Store
from hubatlas.core.store.snapshot import open_snapshot
from hubatlas.viewer.layers.atlas_model import AtlasModel
from hubatlas.viewer._vispy.export import render_tiled
try:
    from hubatlas.viewer._vispy.canvas import make_canvas
    cache = Path(sys.argv[1])
    atlas = make_canvas(AtlasModel(open_snapshot(cache), Store(cache, readonly=True)), (320, 200))
except RuntimeError as e:
    print("NO-EGL", e)
    raise SystemExit(0)
def rss():
    return int(open("/proc/self/statm").read().split()[1]) * 4096 / 2**20
before, seen = atlas.state.filters, []
for i in range(12):
    atlas.state.update(filters=replace(before, as_of_day=18700 + 30 * i))
    render_tiled(atlas, 320, 200, 4096)
    gc.collect()
    seen.append(rss())
print("RSS", *seen)
"""


@pytest.mark.gl
def test_repeated_headless_renders_give_their_memory_back(atlas):
    """Without a display exports render through EGL, whose canvases kept their GL context and scene after
    close: about 25 MB a render, 20 renders 201 -> 706 MB (issue 38, line 14)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    p = subprocess.run([sys.executable, "-c", RSS_PROBE, str(atlas)], capture_output=True, text=True,
                       env=env, timeout=300, cwd=REPO)  # fmt: skip
    assert p.returncode == 0, p.stderr[-2000:]
    if p.stdout.startswith("NO-EGL"):
        pytest.skip(f"no EGL here: {p.stdout.strip()}")
    seen = [float(v) for v in p.stdout.split("RSS", 1)[1].split()]
    # after the first renders warm the caches, flat: well under a megabyte a render (before: ~20 MB)
    assert (seen[-1] - seen[2]) / (len(seen) - 3) < 1.0, seen


@pytest.mark.gl
def test_a_stopped_timelapse_writes_nothing_and_gives_the_view_back(atlas, tmp_path):
    from hubatlas.core.store.database import Store
    from hubatlas.core.store.snapshot import open_snapshot
    from hubatlas.viewer._vispy.canvas import make_canvas
    from hubatlas.viewer._vispy.export import ExportOptions
    from hubatlas.viewer._vispy.timelapse import month_ends, record
    from hubatlas.viewer.layers.atlas_model import AtlasModel

    canvas = make_canvas(AtlasModel(open_snapshot(atlas), Store(atlas, readonly=True)), (160, 100))
    try:
        before, out, asked = canvas.state.filters, tmp_path / "s.webp", []
        days = month_ends("2021-01", "2021-06")
        n = record(canvas, out, ExportOptions(width=160, height=100), days,
                   progress=lambda done, total: asked.append(done) or done < 2)  # fmt: skip
        assert n == 0 and asked == [0, 1, 2] and not out.exists() and not list(tmp_path.iterdir())
        assert canvas.state.filters == before
        assert record(canvas, out, ExportOptions(width=160, height=100), days) == 6 and out.exists()
        assert canvas.state.filters == before
    finally:
        canvas.close()


def test_mp4_frames_stream_to_ffmpeg(tmp_path):
    """Where an ffmpeg encoder is (imageio-ffmpeg or ffmpeg on the PATH), frames go to its pipe one by one."""
    from hubatlas.viewer._vispy.animation_writers import write_mp4
    from hubatlas.viewer._vispy.timelapse import _ffmpeg

    exe = _ffmpeg()
    if exe is None:
        pytest.skip("no ffmpeg encoder here")
    alive: list[int] = []
    out = tmp_path / "a.mp4"
    assert write_mp4(exe, _frames(10, size=(97, 63), alive=alive), 10, out, 5.0) == 10
    assert max(alive) <= 1
    probe = subprocess.run(
        [exe, "-i", str(out), "-f", "null", "-"], capture_output=True, text=True, timeout=60
    )
    assert re.findall(r"frame=\s*(\d+)", probe.stderr)[-1] == "10" and "96x62" in probe.stderr
