"""Recording the Hub's growth: the map as of one date after another (each frame the export of the view with its
"as of" filter at that date, the date and the count of models shown as its caption), saved as an animated
GIF or WebP (Pillow; always there) or an MP4 (through an ffmpeg executable: ``pip install imageio-ffmpeg``
provides one, or an ``ffmpeg`` on the PATH; without either MP4 is refused with that advice)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Generator
from dataclasses import replace
from pathlib import Path

import numpy as np

from hubatlas.core.common.atomic import atomic_output
from hubatlas.core.common.dates import BACKFILLED_DAY, EPOCH
from hubatlas.viewer._vispy.export import (
    TILE_MAX,
    ExportError,
    ExportOptions,
    draw_raster,
    figure_ops,
    max_framebuffer,
    render_tiled,
)
from hubatlas.viewer._vispy.figure import Text

ANIMATION_FORMATS = {".gif": "gif", ".webp": "webp", ".mp4": "mp4"}
MAX_FRAMES = 400
STEPS = {"month": 1, "quarter": 3}


def month_ends(first: str, last: str, step: str = "month") -> list[int]:
    """The last day (days since 1970) of every ``step`` from the month ``first`` to the month ``last``
    (YYYY-MM); ExportError when the range is empty or longer than MAX_FRAMES frames."""
    try:
        a, b = np.datetime64(first[:7], "M"), np.datetime64(last[:7], "M")
    except ValueError:
        raise ExportError(f"not a month: {first!r} or {last!r} (use YYYY-MM)") from None
    if step not in STEPS:
        raise ExportError(f"--step: one of {', '.join(STEPS)}")
    months = np.arange(a, b + 1, STEPS[step])
    if not len(months):
        raise ExportError(f"no month from {first[:7]} to {last[:7]}")
    if len(months) > MAX_FRAMES:
        raise ExportError(
            f"{len(months)} frames is too many (at most {MAX_FRAMES}): use --step quarter or --from"
        )
    ends = (months + 1).astype("datetime64[D]") - np.timedelta64(1, "D")
    return [int((d - EPOCH).astype(np.int64)) for d in ends]


def data_months(model) -> tuple[str, str]:
    """The first month with a dated model (the Hub's back-filled date aside) and the data's own month."""
    day = model.column("created_day").astype(np.float64)
    known = day[(day >= 0) & (day != BACKFILLED_DAY)]
    if not len(known):
        raise ExportError("no model has a creation date: nothing to replay")
    first = str(EPOCH + np.timedelta64(int(known.min()), "D"))[:7]
    last = (
        str(model.snap.manifest.get("data_date") or "")[:7]
        or str(EPOCH + np.timedelta64(int(known.max()), "D"))[:7]
    )
    return first, last


def record(
    atlas,
    path: Path,
    opts: ExportOptions,
    days: list[int],
    fps: float = 4.0,
    progress: Callable[[int, int], bool] | None = None,
) -> int:
    """Render one frame per day in ``days`` and save the animation; returns the frames written. Each frame
    goes to the encoder as it is made (``animation_writers``): memory does not grow with the frames.
    ``progress(done, total)`` may return False to stop (nothing is written then)."""
    from hubatlas.viewer._vispy import animation_writers as aw

    fmt = ANIMATION_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ExportError(f"{path}: a time-lapse is .gif, .webp or .mp4")
    encoder = _ffmpeg() if fmt == "mp4" else None
    if fmt == "mp4" and encoder is None:
        raise ExportError(
            "MP4 needs an ffmpeg encoder: `pip install imageio-ffmpeg` (or install ffmpeg); GIF and WebP "
            "always work"
        )
    if not 0.1 <= fps <= 60:
        raise ExportError("--fps: from 0.1 to 60 frames a second")
    frames = _frames(atlas, opts, days, progress)
    try:
        with atomic_output(path) as tmp:
            if fmt == "mp4":
                assert encoder is not None
                return aw.write_mp4(encoder, frames, len(days), tmp, fps)
            return (aw.write_gif if fmt == "gif" else aw.write_webp)(frames, len(days), tmp, fps)
    except _Stopped:
        return 0
    except aw.WriteError as e:
        raise ExportError(str(e)) from None
    finally:
        frames.close()  # the view's own filters back, whatever happened


class _Stopped(Exception):
    """``progress`` said stop."""


def _frames(atlas, opts: ExportOptions, days: list[int], progress) -> Generator[np.ndarray, None, None]:
    """The (h, w, 3) frame of each day, made when the encoder asks for it: the view "as of" that day with the
    export's decorations and the month and count as caption. The state's filters are restored when it ends
    or is closed."""
    state = atlas.state
    before = state.filters
    tile = min(max_framebuffer(), TILE_MAX)
    scale = max(1.0, min(opts.width, opts.height) / 1000)
    text = (*tuple(int(c * 255) for c in atlas.theme.text[:3]), 255)
    try:
        for i, day in enumerate(days):
            if progress is not None and progress(i, len(days)) is False:
                raise _Stopped
            state.update(filters=replace(before, as_of_day=day))
            img = render_tiled(atlas, opts.width, opts.height, tile)
            when = str(EPOCH + np.timedelta64(day, "D"))[:7]
            caption = f"{when}  ·  {atlas.model.shown_count(state):,} models"
            y = 16 * scale + (34 * scale if opts.title else 0)
            ops = [*figure_ops(atlas, opts), Text(16 * scale, y, caption, 22 * scale, text, bold=True)]
            yield draw_raster(img, ops)[..., :3]
            del img
    finally:
        state.update(filters=before)


def _ffmpeg() -> str | None:
    try:
        import imageio_ffmpeg  # type: ignore[import-not-found]

        return imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError):
        return shutil.which("ffmpeg")


__all__ = ["ANIMATION_FORMATS", "MAX_FRAMES", "data_months", "month_ends", "record"]
