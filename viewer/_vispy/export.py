"""Publication-quality images of the atlas, headless or from the app: any size (tiled beyond the GPU's
framebuffer limit), full detail, optional legend, title and attribution; PNG or JPEG."""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hubatlas.core.common.atomic import atomic_path

PRESETS = {"window": None, "2x": "2x", "4k": (3840, 2160), "8k": (7680, 4320)}
MAX_PIXELS = 16384 * 16384
TILE_MAX = 8192      # largest tile side used even where the GPU allows more
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
    labels: bool = True   # the map's labels (drawn as at this view's zoom, clear of the legend and texts)


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
    fmt = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg"}.get(path.suffix.lower())
    if fmt is None:
        raise ExportError(f"{path}: unsupported image type {path.suffix or '(none)'}; use .png or .jpg")
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


def render_tiled(atlas, width: int, height: int, tile: int, bgcolor=None) -> np.ndarray:
    """Render the current view at width×height: one hidden canvas of at most ``tile`` pixels a side (plus a
    margin), moved over the image tile by tile (the view is widened to the image's aspect, never cropped).
    Point sizes come from the whole image's view, and each tile is drawn with a margin as wide as the largest
    point, then cropped, so points on a seam are drawn whole in both tiles: the image does not depend on the
    tile size."""
    tw, th = min(width, tile), min(height, tile)
    x0, y0, w, h = image_rect(atlas, width, height)
    size = atlas.point_size_for(2.2 / w)
    margin = int(np.ceil(size * (4.0 if atlas.size_by_downloads else 1.0) / 2)) + 2
    cw_, ch_ = tw + 2 * margin, th + 2 * margin
    own = atlas.offscreen and tuple(atlas.canvas.size) == (cw_, ch_)
    off = atlas if own else atlas.offscreen_copy((cw_, ch_))
    bg_before = off.canvas.bgcolor
    if bgcolor is not None:
        off.canvas.bgcolor = bgcolor
    cam = off.view.camera
    r_off = cam.rect
    out = np.zeros((height, width, 4), dtype=np.uint8)
    off.fixed_point_size = size
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
                out[ty:ty + ch, tx:tx + cw] = img[margin:margin + ch, margin:margin + cw]
    finally:
        off.fixed_point_size = None
        cam.aspect = 1
        cam.rect = r_off
        off.canvas.bgcolor = bg_before
        if own:
            off.settle()
        else:
            off.close()
    return out


def attribution_text(manifest: dict) -> str:
    when = manifest.get("built_at", "")[:10] or _dt.date.today().isoformat()
    src = "synthetic hub (not real data)" if manifest.get("synthetic") else "Hugging Face Hub metadata"
    return f"hubatlas · {src} · snapshot {when} · {manifest.get('nodes', 0):,} models"


def compose(img: np.ndarray, colors, opts: ExportOptions, manifest: dict, mode_label: str,
            theme_text=(230, 230, 230), labels=None, label_view=None, label_back=(0, 0, 0)) -> np.ndarray:
    """Draw the labels, legend, title and attribution onto the rendered map (Pillow). ``labels``: a
    LabelSet; ``label_view``: (world rect x0, y0, x1, y1, zoom) of the image."""
    draw_labels = opts.labels and labels is not None and len(labels) and label_view is not None
    if not (opts.legend or opts.title or opts.attribution or draw_labels):
        return img
    from PIL import Image, ImageDraw, ImageFont

    im = Image.fromarray(img, "RGBA")
    draw = ImageDraw.Draw(im, "RGBA")
    h, w = img.shape[:2]
    scale = max(1.0, min(w, h) / 1000)

    def font_of(px: float):
        try:
            return ImageFont.load_default(size=max(int(round(px)), 6))
        except TypeError:  # old Pillow
            return ImageFont.load_default()

    font, big = font_of(14 * scale), font_of(24 * scale)
    text = tuple(theme_text) + (255,)
    pad = int(16 * scale)
    avoid = []
    entries = colors.legend[:20] if (opts.legend and colors is not None) else []
    line = int(20 * scale)
    box_h = line * (len(entries) + 1) + pad if opts.legend and colors is not None else 0
    box_w = int(260 * scale)
    lx0, ly0 = pad, h - box_h - pad * 3
    if opts.legend and colors is not None:
        avoid.append((lx0 - pad, ly0 - pad, lx0 + box_w + pad, ly0 + box_h + pad))
    a_text = attribution_text(manifest) if opts.attribution else ""
    if opts.attribution:
        tw = draw.textlength(a_text, font=font)
        avoid.append((int(w - tw - 2 * pad), int(h - 2 * pad - 16 * scale), w, h))
    if opts.title:
        avoid.append((0, 0, int(pad * 2 + draw.textlength(opts.title, font=big)), int(pad * 2 + 30 * scale)))
    if draw_labels:
        x0, y0, x1, y1, zoom = label_view
        for p in labels.choose((x0, y0, x1, y1), (w, h), zoom, avoid, scale=scale, max_drawn=120):
            f = font_of(p.px)
            cx, cy = (p.rect[0] + p.rect[2]) / 2, (p.rect[1] + p.rect[3]) / 2
            bx0, by0, bx1, by1 = draw.textbbox((cx, cy), p.text, font=f, anchor="mm")  # within p.rect
            m = max(2, int(p.px * 0.3))
            draw.rectangle([bx0 - m, by0 - m, bx1 + m, by1 + m], fill=tuple(label_back) + (150,))
            draw.text((cx, cy), p.text, fill=text, font=f, anchor="mm")
    if opts.title:
        draw.text((pad, pad), opts.title, fill=text, font=big)
    if opts.attribution:
        tw = draw.textlength(a_text, font=font)
        draw.text((w - tw - pad, h - pad - 16 * scale), a_text, fill=text, font=font)
    if opts.legend and colors is not None:
        x0, y0 = lx0, ly0
        draw.rectangle([x0 - pad // 2, y0 - pad // 2, x0 + box_w, y0 + box_h], fill=(0, 0, 0, 140))
        draw.text((x0, y0), mode_label, fill=(255, 255, 255, 255), font=font)
        if colors.continuous:
            lo, hi = colors.continuous
            for i in range(int(200 * scale)):
                c = tuple(int(v) for v in colors.ramp[int(i * 255 / (200 * scale))])
                draw.line([x0 + i, y0 + line, x0 + i, y0 + line + int(10 * scale)], fill=c + (255,))
            draw.text((x0, y0 + line + int(12 * scale)), f"{lo} → {hi}", fill=(255, 255, 255, 255), font=font)
        else:
            for k, e in enumerate(entries):
                yy = y0 + line * (k + 1)
                draw.rectangle([x0, yy + 3, x0 + int(12 * scale), yy + 3 + int(12 * scale)], fill=tuple(e.color) + (255,))
                draw.text((x0 + int(18 * scale), yy), f"{e.label[:28]}  {e.count:,}", fill=(255, 255, 255, 255),
                          font=font)
    return np.asarray(im)


def save_image(img: np.ndarray, path: Path, fmt: str, opts: ExportOptions, background) -> None:
    from PIL import Image

    if fmt == "jpeg" or not opts.transparent:
        img = img.copy()
        img[..., 3] = 255  # rendered over the opaque theme background already
    else:
        # rendered over (0, 0, 0, 0): colours are premultiplied by coverage; PNG wants straight alpha
        a = img[..., 3:4].astype(np.float32)
        rgb = np.where(a > 0, img[..., :3] * (255.0 / np.maximum(a, 1)), 0)
        img = np.concatenate([np.clip(rgb, 0, 255), a], -1).astype(np.uint8)
    im = Image.fromarray(img, "RGBA")
    with atomic_path(path) as tmp:
        if fmt == "jpeg":
            im.convert("RGB").save(tmp, "JPEG", quality=opts.quality)
        else:
            im.save(tmp, "PNG")


def export_image(atlas, path: str | Path, opts: ExportOptions, tile: int | None = None) -> Path:
    """Render the atlas's current view at full detail and save it (tiles of at most ``tile`` pixels)."""
    path = Path(path)
    fmt = check_target(path, opts.width, opts.height)
    bg = (0, 0, 0, 0) if opts.transparent and fmt == "png" else None
    img = render_tiled(atlas, opts.width, opts.height, tile or min(max_framebuffer(), TILE_MAX), bg)
    from hubatlas.viewer.layers.colors import MODES

    text = tuple(int(c * 255) for c in atlas.theme.text[:3])
    back = tuple(int(c * 255) for c in atlas.theme.background[:3])
    x0, y0, w, h = image_rect(atlas, opts.width, opts.height)
    view = (x0, y0, x0 + w, y0 + h, atlas.zoom_level()) if atlas.state.labels else None
    img = compose(img, atlas.colors, opts, atlas.snap.manifest, MODES.get(atlas.mode, atlas.mode), text,
                  labels=atlas.label_set, label_view=view, label_back=back)
    save_image(img, path, fmt, opts, atlas.theme.background)
    return path
