"""What an export draws over the rendered map — labels, legend, title, attribution — as a list of plain
drawing operations in the image's pixels, then drawn onto the raster (Pillow) or written as real text beside
the embedded map in a vector figure (``vector.py``). Text is set in DejaVu Sans (shipped with matplotlib), which
has every glyph the legends use (≤ ≥ → ·), and every box is measured to fit its text. Every text drawn or
measured is untrusted (titles, licences, tasks, labels) and goes through ``printable`` first: no control
character reaches an SVG (not well-formed XML), a PDF font subset or Pillow's text layout, no bidi override
reverses a legend, and a legend entry's count is drawn as a text of its own, never pulled into its label."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from hubatlas.core.common.text import printable

WHITE = (255, 255, 255, 255)


@dataclass(frozen=True)
class Box:
    x0: float
    y0: float
    x1: float
    y1: float
    fill: tuple  # RGBA 0-255


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    px: float  # font size, pixels
    fill: tuple  # RGBA 0-255
    anchor: str = "la"  # Pillow's anchors: "la" left/ascender, "mm" middle/middle
    bold: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", printable(self.text))  # untrusted: one line, nothing interpreted


@dataclass(frozen=True)
class Ramp:
    x0: float
    y0: float
    w: float
    h: float
    colors: np.ndarray  # (k, 3) uint8, left to right


Op = Box | Text | Ramp


@lru_cache(maxsize=64)
def font(px: float, bold: bool = False):
    """DejaVu Sans at ``px`` pixels (Pillow's default font where matplotlib's is missing)."""
    from PIL import ImageFont

    try:
        import matplotlib

        name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
        return ImageFont.truetype(f"{matplotlib.get_data_path()}/fonts/ttf/{name}", max(round(px), 6))
    except (ImportError, OSError):
        return ImageFont.load_default(size=max(round(px), 6))


def text_width(text: str, px: float, bold: bool = False) -> float:
    """Pixels ``text`` takes at ``px`` (measured as it is drawn: through ``printable``)."""
    return font(px, bold).getlength(printable(text))


def data_date(manifest: dict) -> str:
    """The data's own date (the newest creation or change in the atlas), never when it was imported."""
    return str(manifest.get("data_date") or "")[:10] or "date unknown"


def attribution_text(manifest: dict) -> str:
    src = "synthetic hub (not real data)" if manifest.get("synthetic") else "Hugging Face Hub metadata"
    models = manifest.get("models", manifest.get("nodes", 0))
    when = data_date(manifest)  # the newest date in the data; never today's
    made = (manifest.get("layout") or {}).get("made") or {}
    seed = (
        f" · layout seed {made['seed']}, hubatlas {made['versions'].get('hubatlas')}"
        if made.get("versions")
        else ""
    )
    if manifest.get("data_source"):  # a weekly snapshot (`hubatlas get`): which one
        src += f" from {manifest['data_source']}"
    return f"hubatlas · {src} as of {when} · {models:,} models{seed}"


def decorations(
    w: int,
    h: int,
    colors,
    opts,
    manifest: dict,
    mode_label: str,
    theme_text,
    labels=None,
    label_view=None,
    label_back=(0, 0, 0),
    allowed=None,
) -> list[Op]:
    """Every operation drawn over a w×h map: labels (clear of the other texts), title, attribution, legend.
    Sizes scale with the image (``scale``: 1 at 1000 pixels on the short side)."""
    scale = max(1.0, min(w, h) / 1000)
    pad, text = 16 * scale, (*tuple(theme_text), 255)
    ops: list[Op] = []
    avoid: list[tuple[int, int, int, int]] = []
    legend = _legend(colors, mode_label, scale, pad, h) if opts.legend and colors is not None else []
    if legend:
        b = legend[0]
        avoid.append((int(b.x0 - pad), int(b.y0 - pad), int(b.x1 + pad), int(b.y1 + pad)))
    a_text = attribution_text(manifest) if opts.attribution else ""
    if a_text:
        tw = text_width(a_text, 14 * scale)
        avoid.append((int(w - tw - 2 * pad), int(h - 2 * pad - 16 * scale), w, h))
    if opts.title:
        avoid.append((0, 0, int(pad * 2 + text_width(opts.title, 24 * scale)), int(pad * 2 + 30 * scale)))
    if labels is not None and len(labels) and label_view is not None:  # label_view is None: no labels
        x0, y0, x1, y1, zoom = label_view
        # the window's labels at this view: the same chooser, limit and labels the state lets show
        for p in labels.choose((x0, y0, x1, y1), (w, h), zoom, avoid, scale=scale, allowed=allowed):
            cx, cy = (p.rect[0] + p.rect[2]) / 2, (p.rect[1] + p.rect[3]) / 2
            tw, m = text_width(p.text, p.px, p.tier == 0), max(2.0, p.px * 0.3)
            ops.append(
                Box(
                    cx - tw / 2 - m,
                    cy - p.px * 0.6 - m,
                    cx + tw / 2 + m,
                    cy + p.px * 0.6 + m,
                    (*tuple(label_back), 150),
                )
            )
            ops.append(Text(cx, cy, p.text, p.px, text, "mm", p.tier == 0))
    if opts.title:
        ops.append(Text(pad, pad, opts.title, 24 * scale, text))
    if a_text:
        ops.append(
            Text(w - pad - text_width(a_text, 14 * scale), h - pad - 16 * scale, a_text, 14 * scale, text)
        )
    return ops + legend


def _legend(colors, mode_label: str, scale: float, pad: float, h: int) -> list[Op]:
    """The legend's box (first), its title and entries: a swatch, the label and its count each (two texts:
    a right-to-left label cannot pull the count into it), or the ramp."""
    px, line = 14 * scale, 20 * scale
    if colors.continuous:
        lo, hi = colors.continuous
        rows = [(f"{printable(lo)} → {printable(hi)}", "")]
    else:
        # informational entries (key < 0, e.g. the predicted-values note) carry their count in the label
        rows = [
            (printable(e.label[:48]), "") if e.key < 0 else (printable(e.label[:40]), f"  {e.count:,}")
            for e in colors.legend[:20]
        ]
    swatch = 0.0 if colors.continuous else 18 * scale
    width = max(
        [text_width(mode_label, px, True)] + [swatch + text_width(a, px) + text_width(b, px) for a, b in rows]
    )
    height = line * (len(rows) + (2 if colors.continuous else 1))
    x0, y0 = pad, h - height - pad * 3
    ops: list[Op] = [
        Box(x0 - pad / 2, y0 - pad / 2, x0 + width + pad / 2, y0 + height + pad / 2, (0, 0, 0, 140)),
        Text(x0, y0, mode_label, px, WHITE, bold=True),
    ]
    if colors.continuous:
        ops.append(Ramp(x0, y0 + line, max(200 * scale, width), 10 * scale, np.asarray(colors.ramp)))
        ops.append(Text(x0, y0 + 2 * line, rows[0][0], px, WHITE))
        return ops
    for k, (e, (label, count)) in enumerate(zip(colors.legend[:20], rows, strict=True)):
        yy = y0 + line * (k + 1)
        ops.append(Box(x0, yy + 3 * scale, x0 + 12 * scale, yy + 15 * scale, (*tuple(e.color), 255)))
        ops.append(Text(x0 + swatch, yy, label, px, WHITE))
        if count:
            ops.append(Text(x0 + swatch + text_width(label, px), yy, count, px, WHITE))
    return ops


def draw_raster(img: np.ndarray, ops: list[Op]) -> np.ndarray:
    """The operations drawn onto an (h, w, 4) uint8 image (a new array)."""
    if not ops:
        return img
    from PIL import Image, ImageDraw

    im = Image.fromarray(img, "RGBA")
    draw = ImageDraw.Draw(im, "RGBA")
    for op in ops:
        if isinstance(op, Box):
            draw.rectangle([op.x0, op.y0, op.x1, op.y1], fill=tuple(op.fill))
        elif isinstance(op, Ramp):
            k = len(op.colors)
            for i in range(int(op.w)):
                c = tuple(int(v) for v in op.colors[min(int(i * k / max(op.w, 1)), k - 1)])
                draw.line([op.x0 + i, op.y0, op.x0 + i, op.y0 + op.h], fill=(*c, 255))
        else:
            draw.text((op.x, op.y), op.text, fill=tuple(op.fill), font=font(op.px, op.bold), anchor=op.anchor)
    return np.asarray(im)
