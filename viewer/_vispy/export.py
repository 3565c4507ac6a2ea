"""Publication-quality images of the atlas, headless or from the app: any size (tiled beyond the GPU's
framebuffer limit), full detail, optional legend, title and attribution; PNG, JPEG, or SVG and PDF with the
points as one embedded raster and the rest as text (``vector_figure``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hubatlas.core.common.atomic import atomic_output
from hubatlas.viewer._vispy.canvas import RESOLUTION_PX, SPARSE_CAP_PX
from hubatlas.viewer._vispy.figure import attribution_text, decorations, draw_raster  # noqa: F401 (re-exported)

PRESETS = {"window": None, "2x": "2x", "4k": (3840, 2160), "8k": (7680, 4320)}
MAX_PIXELS = 16384 * 16384
TILE_MAX = 8192  # largest tile side used even where the GPU allows more
TILE_UNKNOWN = 4096  # tile side before a GL context can be asked


class ExportError(ValueError):
    """An export that cannot be made (bad size, path, format or model); the message says why."""


@dataclass
class ExportOptions:
    width: int = 1920
    height: int = 1080
    legend: bool = True
    title: str | None = None
    attribution: bool = True
    transparent: bool = False
    quality: int = 92  # JPEG
    labels: bool | None = (
        None  # the map's labels as the window draws them at this view; None: as the view does
    )
    density: bool | None = None  # the density layer (terrain) under the points; None: as the view shows it
    # a box or lasso selection fades the other models on screen; a figure shows every model in its colours
    # unless asked (an unexplained dark band otherwise: issue 36)
    dim_unselected: bool = False


def max_framebuffer() -> int:
    """The largest renderbuffer side the current GL context supports (4096 when unknown)."""
    try:
        from vispy.gloo import gl

        v = gl.glGetParameter(gl.GL_MAX_RENDERBUFFER_SIZE)
        return int(v) if v else 4096
    except Exception:
        return 4096


def check_target(path: Path, width: int, height: int) -> str:
    """Validate the output path and size before any rendering; returns the format."""
    fmt = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".svg": "svg", ".pdf": "pdf"}.get(
        path.suffix.lower()
    )
    if fmt is None:
        raise ExportError(
            f"{path}: unsupported image type {path.suffix or '(none)'}; use .png, .jpg, .svg or .pdf"
        )
    if width < 16 or height < 16:
        raise ExportError(f"size {width}×{height} is too small (at least 16×16)")
    if width * height > MAX_PIXELS:
        raise ExportError(f"size {width}×{height} is over the limit of {MAX_PIXELS:,} pixels")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.exists():
        raise ExportError(f"{path}: the folder {parent} does not exist")
    import os

    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise ExportError(f"{path}: not writable")
    return fmt


def image_rect(atlas, width: int, height: int) -> tuple[float, float, float, float]:
    """The world rectangle (x0, y0, w, h) an image of width×height shows: the camera's, widened to the
    image's aspect (never cropped)."""
    r = atlas.view.camera.rect
    x0, y0, w, h = r.left, r.bottom, r.width, r.height
    aspect = width / height
    if w / h > aspect:
        y0, h = y0 - (w / aspect - h) / 2, w / aspect
    else:
        x0, w = x0 - (h * aspect - w) / 2, h * aspect
    return x0, y0, w, h


def render_tiled(atlas, width: int, height: int, tile: int, bgcolor=None, dim: bool = True) -> np.ndarray:
    """Render the current view at width×height: one hidden canvas of at most ``tile`` pixels a side (plus a
    margin), moved over the image tile by tile (the view is widened to the image's aspect, never cropped).
    Point sizes come from the whole image's view, and each tile is drawn with a margin as wide as the largest
    point, then cropped, so points on a seam are drawn whole in both tiles: the image does not depend on the
    tile size. ``dim``: keep a region selection's fading of the other models (False: every model in its
    colours)."""
    tw, th = min(width, tile), min(height, tile)
    x0, y0, w, h = image_rect(atlas, width, height)
    zoom = atlas.zoom_level()  # the window's view: the same points, in proportion to the image's size
    size = atlas.point_size_for(zoom, (width, height))
    res = max(1.0, min(width, height) / RESOLUTION_PX)
    largest = max(size * (4.0 if atlas.size_by_downloads else 1.0), SPARSE_CAP_PX * res)  # the biggest point
    margin = int(np.ceil(largest / 2)) + 2
    cw_, ch_ = tw + 2 * margin, th + 2 * margin
    own = atlas.offscreen and tuple(atlas.canvas.size) == (cw_, ch_)
    off = atlas if own else atlas.offscreen_copy((cw_, ch_))
    region = off.state.region
    if not dim and region.nodes is not None:
        from hubatlas.viewer.layers.atlas_state import Region

        off.state.update(region=Region())  # the copy's state (or the export's own): the window's is untouched
    bg_before = off.canvas.bgcolor
    if bgcolor is not None:
        off.canvas.bgcolor = bgcolor
    cam = off.view.camera
    r_off = cam.rect
    out = np.zeros((height, width, 4), dtype=np.uint8)
    off.fixed_point_size, off.fixed_zoom, off.export_size = size, zoom, (width, height)
    px = w / width  # world units a pixel
    try:
        cam.aspect = None
        for ty in range(0, height, th):
            for tx in range(0, width, tw):
                # world rectangle of a full tile and its margin (image rows grow downwards, world y upwards)
                wx0 = x0 + px * (tx - margin)
                wy1 = y0 + h - px * (ty - margin)
                cam.rect = (wx0, wy1 - px * ch_, px * cw_, px * ch_)
                off.settle()
                img = off.render()
                ch, cw = min(th, height - ty), min(tw, width - tx)
                out[ty : ty + ch, tx : tx + cw] = img[margin : margin + ch, margin : margin + cw]
    finally:
        off.fixed_point_size = off.fixed_zoom = off.export_size = None
        cam.aspect = 1
        cam.rect = r_off
        off.canvas.bgcolor = bg_before
        if off.state.region is not region:
            off.state.update(region=region)
        if own:
            off.settle()
        else:
            off.close()
    return out


def save_image(img: np.ndarray, path: Path, fmt: str, opts: ExportOptions, background) -> None:
    from PIL import Image

    img = _opaque(img) if fmt == "jpeg" or not opts.transparent else _straight_alpha(img)
    im = Image.fromarray(img, "RGBA")
    with atomic_output(path) as tmp:
        if fmt == "jpeg":
            im.convert("RGB").save(tmp, "JPEG", quality=opts.quality)
        else:
            im.save(tmp, "PNG")


def figure_ops(atlas, opts: ExportOptions) -> list:
    """What an export draws over its map (``figure.decorations``): the window's labels at this view (the same
    chooser and the labels the state lets show), the legend titled with what the map is coloured by, the title
    and the attribution."""
    from hubatlas.core.common.fields import MODES

    labels = atlas.state.labels if opts.labels is None else opts.labels
    if labels:
        atlas.follow_shown_labels()
    text = tuple(int(c * 255) for c in atlas.theme.text[:3])
    back = tuple(int(c * 255) for c in atlas.theme.background[:3])
    x0, y0, w, h = image_rect(atlas, opts.width, opts.height)
    view = (x0, y0, x0 + w, y0 + h, atlas.zoom_level()) if labels else None
    return decorations(
        opts.width,
        opts.height,
        atlas.colors,
        opts,
        atlas.model.manifest,
        MODES.get(atlas.mode, atlas.mode),
        text,
        atlas.label_set,
        view,
        back,
        atlas.labels_allowed,
    )


def export_image(atlas, path: str | Path, opts: ExportOptions, tile: int | None = None) -> Path:
    """Render the atlas's current view at full detail and save it (tiles of at most ``tile`` pixels)."""
    path = Path(path)
    fmt = check_target(path, opts.width, opts.height)
    bg = (0, 0, 0, 0) if opts.transparent and fmt in ("png", "svg", "pdf") else None
    state, shown = atlas.state, atlas.state.density
    if opts.density is not None:
        state.update(density=opts.density)  # for this image only: the view gets its own back below
    try:
        img = render_tiled(
            atlas, opts.width, opts.height, tile or min(max_framebuffer(), TILE_MAX), bg, opts.dim_unselected
        )
    finally:
        state.update(density=shown)
    if fmt in ("svg", "pdf"):  # the points as one raster, the rest as text and shapes
        from hubatlas.viewer._vispy.vector_figure import save_vector

        img = _straight_alpha(img) if bg is not None else _opaque(img)
        save_vector(
            img, figure_ops(atlas, opts), path, fmt, None if bg is not None else atlas.theme.background
        )
        return path
    img = draw_raster(img, figure_ops(atlas, opts))
    save_image(img, path, fmt, opts, atlas.theme.background)
    return path


def _opaque(img: np.ndarray) -> np.ndarray:
    out = img.copy()
    out[..., 3] = 255  # rendered over the opaque theme background already
    return out


def _straight_alpha(img: np.ndarray) -> np.ndarray:
    """Rendered over (0, 0, 0, 0), colours are premultiplied by coverage; files want straight alpha."""
    a = img[..., 3:4].astype(np.float32)
    rgb = np.where(a > 0, img[..., :3] * (255.0 / np.maximum(a, 1)), 0)
    return np.concatenate([np.clip(rgb, 0, 255), a], -1).astype(np.uint8)
