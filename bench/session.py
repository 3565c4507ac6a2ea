"""A scripted session in the real window, as a user works for minutes on end: colour switches, filters, an
"as of" replay, pans and zooms, hover, a lasso, the family of a model, the Trends panel, an export, again and
again. Measures how long `view` takes to its first drawn map and the process's memory over the session.

    xvfb-run -a -s "-screen 0 1600x1000x24" python -m bench.session --cache ATLAS [--minutes 10]

Targets (issue 25, the real 2024-07 snapshot on the 2-core VM): first drawn map <= 3 s from process start;
RSS <= 1.2 GB, and no growth after the first minute. Last line: JSON (also bench/results/session.json).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

from bench._util import emit


def process_age_s() -> float:
    """Seconds since this process started (from /proc; the clock a user's launch starts)."""
    ticks = os.sysconf("SC_CLK_TCK")
    start = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19]) / ticks
    uptime = float(Path("/proc/uptime").read_text().split()[0])
    return uptime - start


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def open_window(cache: Path):
    from PySide6.QtCore import QSettings

    from hubatlas.viewer._qt.app import make_app
    from hubatlas.viewer._qt.window import MainWindow
    from hubatlas.viewer.layers.opening import prepare

    QSettings.setDefaultFormat(QSettings.IniFormat)  # never the user's own settings
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, "/tmp/hubatlas-bench-session-settings")
    app, icon = make_app()
    w = MainWindow(prepare(cache), icon=icon)
    w.resize(1600, 1000)
    w.show()
    while w.atlas.last_frame_ms is None:  # the first frame drawn (a paint of the map)
        app.processEvents()
    return app, w


def _pump(app, seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.005)


def actions(w, app, rng):
    """The session's steps, each a function that changes something as a user would, then lets the window
    draw and settle."""
    from hubatlas.core.common.fields import MODES
    from hubatlas.core.common.filters import Filters

    st, m = w.state, w.model
    codes = w.filters.combos["pipeline_tag"]
    tasks = list(codes.facet)[:6]

    def pump(seconds: float = 0.3) -> None:
        _pump(app, seconds)

    def colours():
        for mode in MODES:
            st.color_by(mode)
            pump(0.15)

    def filters():
        st.update(filters=Filters(dict(Filters.none().values, pipeline_tag=set(rng.choice(tasks, 2)))))
        pump()
        st.update(filters=Filters.none())
        pump()

    def replay():
        w.filters.toggle_play(True)
        pump(4.0)
        w.filters.toggle_play(False)
        st.update(filters=Filters.none())
        pump()

    def pan_zoom():
        for _ in range(20):
            w.atlas.zoom(float(rng.uniform(0.7, 1.3)), tuple(rng.uniform(-0.5, 0.5, 2)))
            w.atlas.canvas.native.repaint()
        w.atlas.reset_view()
        pump(0.5)

    def hover():
        for _ in range(50):
            w.atlas.pick(*rng.uniform(0, 1000, 2))

    def lasso():
        c = rng.uniform(-0.5, 0.5, 2)
        ang = np.linspace(0, 2 * np.pi, 24)
        w.region.select_polygon(np.stack([c[0] + 0.3 * np.cos(ang), c[1] + 0.3 * np.sin(ang)], 1))
        pump()
        w.region.clear()

    def family():
        node = int(rng.choice(np.flatnonzero(m.column("n_parents") > 0)))
        w.fly_to_and_select(node)
        pump()
        w.select(None)

    def trends():
        w.trends_dock.show()
        t = time.perf_counter()
        while w.trends.png is None and time.perf_counter() - t < 30:
            pump(0.1)
        w.trends_dock.hide()
        return time.perf_counter() - t

    return {
        "colours": colours,
        "filters": filters,
        "replay": replay,
        "pan_zoom": pan_zoom,
        "hover": hover,
        "lasso": lasso,
        "family": family,
        "trends": trends,
        "export": lambda: _export(w),
    }


def _export(w) -> None:
    from hubatlas.viewer._vispy.export import ExportOptions, export_image

    export_image(w.atlas, Path("/tmp/hubatlas-bench-session.png"), ExportOptions(width=1600, height=1000))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache", type=Path, required=True, help="an atlas with a layout (the real snapshot's)")
    ap.add_argument("--minutes", type=float, default=10.0)
    a = ap.parse_args()
    app, w = open_window(a.cache)
    first = process_age_s()
    opened = rss_mib()
    rng = np.random.default_rng(0)
    steps = actions(w, app, rng)
    trends_s = steps["trends"]()  # the panel's first chart, from a cold start
    t0, samples, done = time.perf_counter(), [], {k: 0 for k in steps}
    while time.perf_counter() - t0 < a.minutes * 60:
        for name, step in steps.items():
            step()
            done[name] += 1
            samples.append((round(time.perf_counter() - t0, 1), round(rss_mib(), 1)))
    w.close()
    after_first = [r for t, r in samples if t >= 60] or [r for _, r in samples]
    late = [(t, r) for t, r in samples if t >= 60]
    slope = float(np.polyfit([t / 60 for t, _ in late], [r for _, r in late], 1)[0]) if len(late) > 2 else 0.0
    minute2 = [r for t, r in samples if 60 <= t < 120]
    last = [r for t, r in samples if t >= samples[-1][0] - 60]
    res = {
        "cache": str(a.cache),
        "models": w.model.n,
        "minutes": a.minutes,
        "first_drawn_map_s": round(first, 2),
        "rss_after_open_mib": round(opened, 1),
        "rss_peak_mib": max(r for _, r in samples),
        "rss_at_1_min_mib": after_first[0],
        "rss_end_mib": samples[-1][1],
        "growth_after_first_minute_mib": round(max(after_first) - after_first[0], 1),
        "rss_median_second_minute_mib": float(np.median(minute2)) if minute2 else None,
        "rss_median_last_minute_mib": float(np.median(last)),
        "rss_slope_after_first_minute_mib_per_min": round(slope, 1),
        "trends_first_chart_s": round(trends_s, 2),
        "steps": done,
        "samples": samples[:: max(len(samples) // 60, 1)],
    }
    emit("session", res)
    sys.exit(0)


if __name__ == "__main__":
    main()
