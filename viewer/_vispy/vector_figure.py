"""Figures for papers: SVG and PDF exports. The point layer is one embedded raster at the requested resolution
(two million vector circles are not a figure anyone can open); everything drawn over it (labels, legend,
title, attribution) is real text and real shapes, drawn by matplotlib's vector backends from the same
operations the PNG export paints (``figure.decorations``): selectable and editable in a vector editor. Text is
DejaVu Sans: embedded in PDFs (TrueType, ``pdf.fonttype`` 42), named in SVGs (``svg.fonttype`` "none": text
stays text, with the family named for the editor to find)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hubatlas.core.common.atomic import atomic_output
from hubatlas.viewer._vispy.figure import Box, Op, Ramp, Text

VECTOR_FORMATS = {".svg": "svg", ".pdf": "pdf"}
FONT = "DejaVu Sans"
_ANCHOR = {"l": "left", "m": "center", "r": "right"}
_VANCHOR = {"a": "top", "m": "center", "b": "bottom", "s": "baseline", "d": "bottom"}


def save_vector(img: np.ndarray, ops: list[Op], path: Path, fmt: str, background: tuple | None) -> None:
    """The (h, w, 4) raster of the points and ``ops`` over it, as SVG or PDF (one pixel = one point)."""
    import matplotlib
    from matplotlib.backends.backend_pdf import FigureCanvasPdf
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    h, w = img.shape[:2]
    dpi = 72.0  # one pixel of the raster is one point of the page
    with matplotlib.rc_context({"pdf.fonttype": 42, "svg.fonttype": "none", "font.family": FONT}):
        fig = Figure(figsize=(w / dpi, h / dpi), dpi=dpi)
        if background is None:
            fig.patch.set_alpha(0.0)
        else:
            fig.patch.set_facecolor(background[:3])
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_axis_off()
        ax.set_xlim(0, w)
        ax.set_ylim(h, 0)  # y grows downwards, as in the raster and the ops
        # "none": vector backends embed the raster at its own resolution, not resampled to a dpi
        ax.imshow(img, extent=(0, w, h, 0), interpolation="none")
        for op in ops:
            if isinstance(op, Box):
                ax.add_patch(
                    Rectangle(
                        (op.x0, op.y0),
                        op.x1 - op.x0,
                        op.y1 - op.y0,
                        facecolor=[c / 255 for c in op.fill[:3]],
                        alpha=op.fill[3] / 255 if len(op.fill) > 3 else 1.0,
                        edgecolor="none",
                    )
                )
            elif isinstance(op, Ramp):
                ramp = np.asarray(op.colors, np.uint8)[None, :, :3]
                ax.imshow(ramp, extent=(op.x0, op.x0 + op.w, op.y0 + op.h, op.y0), aspect="auto")
            elif isinstance(op, Text):
                ax.text(
                    op.x,
                    op.y,
                    op.text,
                    fontsize=op.px,  # at 72 dpi a point is a pixel: the PNG's sizes
                    fontweight="bold" if op.bold else "normal",
                    color=[c / 255 for c in op.fill[:3]],
                    alpha=op.fill[3] / 255 if len(op.fill) > 3 else 1.0,
                    ha=_ANCHOR.get(op.anchor[0], "left"),
                    va=_VANCHOR.get(op.anchor[1], "top"),
                    usetex=False,
                    parse_math=False,  # untrusted text: never mathtext
                )
        ax.set_xlim(0, w)
        ax.set_ylim(h, 0)
        canvas = FigureCanvasPdf(fig) if fmt == "pdf" else FigureCanvasSVG(fig)
        with atomic_output(path) as tmp, open(tmp, "wb") as f:
            canvas.print_figure(f, format=fmt, dpi=dpi, facecolor=fig.get_facecolor())


__all__ = ["VECTOR_FORMATS", "save_vector"]
