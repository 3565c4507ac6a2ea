"""Figures from an atlas: SVG and PDF exports at 1600×1000 and 4K, a 30-frame time-lapse, and a saved view's
round trip (export --save-view, then export --view: are the two pictures identical?).

    python -m bench.figures --cache DIR      # an atlas with a layout (e.g. the real 2024-07 one)

Each export is the real `hubatlas export` command in its own process (so each time includes opening the atlas
and the GL context); sizes are the files'. Needs OpenGL (a display, Xvfb or EGL). Last line: JSON (also
bench/results/figures.json).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

from bench._util import emit, run_stage

HUB = [sys.executable, "-m", "hubatlas.viewer.cli"]


def _export(cache: Path, *args: str) -> dict:
    r = run_stage([*HUB, "--cache", str(cache), "export", *args])
    return {"seconds": r["seconds"], "peak_rss_mib": r["peak_rss_mib"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache", type=Path, required=True)
    ap.add_argument("--frames", type=int, default=30, help="time-lapse frames (default 30)")
    args = ap.parse_args()
    res: dict = {"vector": [], "timelapse": None, "view_round_trip": None}
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        for w, h in ((1600, 1000), (3840, 2160)):
            for fmt in ("png", "svg", "pdf"):
                out = d / f"f{w}.{fmt}"
                s = _export(args.cache, "--width", str(w), "--height", str(h), "--out", str(out))
                res["vector"].append({"size": f"{w}x{h}", "format": fmt, **s, "bytes": out.stat().st_size})
                print(res["vector"][-1])
        # a time-lapse of the last ``frames`` months (or all there are), 1280×800 GIF
        from hubatlas.core.store.snapshot import open_snapshot

        last = str(open_snapshot(args.cache).manifest.get("data_date") or "2024-07")[:7]
        first = str(np.datetime64(last, "M") - np.timedelta64(args.frames - 1, "M"))
        out = d / "growth.gif"
        s = _export(args.cache, "--timelapse", "--from", first, "--to", last, "--width", "1280", "--height", "800",
                    "--out", str(out))  # fmt: skip
        res["timelapse"] = {
            "frames": args.frames,
            "size": "1280x800",
            **s,
            "bytes": out.stat().st_size,
        }
        print(res["timelapse"])
        a, v, b = d / "a.png", d / "a.json", d / "b.png"
        _export(args.cache, "--width", "1600", "--height", "1000", "--color-by", "license", "--zoom", "3",
                "--density", "--out", str(a), "--save-view", str(v))  # fmt: skip
        _export(args.cache, "--width", "1600", "--height", "1000", "--view", str(v), "--out", str(b))
        from PIL import Image

        same = np.array_equal(np.asarray(Image.open(a)), np.asarray(Image.open(b)))
        res["view_round_trip"] = {"pixel_identical": bool(same), "view_bytes": v.stat().st_size}
        print(res["view_round_trip"])
    emit("figures", res)


if __name__ == "__main__":
    main()
