"""The `hubatlas export` command: render without a window (VisPy offscreen: Xvfb, EGL or any GL the backend
finds)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from hubatlas.core.cli.common import CLIError, open_store, snapshot_for
from hubatlas.core.common.filters import parse_values
from hubatlas.core.common.text import printable, shown
from hubatlas.viewer._vispy.canvas import make_canvas
from hubatlas.viewer.layers.atlas_model import AtlasModel


def parse_filters(specs: list[str] | None, snap) -> dict[str, frozenset[int] | None]:
    """``--filter FIELD=VALUE[,VALUE...]`` (repeatable; see :func:`parse_values`) or a CLIError."""
    try:
        return parse_values(specs, snap)
    except ValueError as e:
        raise CLIError(str(e)) from None


def export_cli(args: argparse.Namespace) -> int:
    from hubatlas.viewer._vispy.export import ExportError, check_target

    w, h = {"4k": (3840, 2160), "8k": (7680, 4320)}.get(args.preset, (args.width, args.height))
    out = Path(args.out)
    try:
        check_target(out, w, h)
    except ExportError as e:
        raise CLIError(str(e)) from None
    with open_store(args) as store:
        snap = snapshot_for(args, store)
        if len(snap) == 0:
            raise CLIError("the atlas is empty: nothing to draw")
        xy = np.stack([snap.column("x"), snap.column("y")], 1)
        if not np.isfinite(xy).any():
            raise CLIError("the atlas has no layout yet: run `hubatlas layout` first")
        focus = None
        if args.focus:
            import pyarrow.compute as pc

            focus = pc.index(snap.nodes.column("id"), args.focus).as_py()
            if focus is None or focus < 0:
                near = store.search(args.focus, 3)
                hint = f"; did you mean: {', '.join(printable(x['id']) for x in near)}" if near else ""
                raise CLIError(f"no model {shown(args.focus)} in the atlas{hint}")
        values = parse_filters(args.filter, snap)
        if args.zoom <= 0:
            raise CLIError("--zoom must be positive")
        _render(AtlasModel(snap, store), args, out, (w, h), values, focus)
    print(f"wrote {out} ({w}×{h})", file=sys.stderr)
    return 0


def _render(
    model: AtlasModel, args, out: Path, size: tuple[int, int], values: dict, focus: int | None
) -> None:
    from hubatlas.core.common.filters import Filters
    from hubatlas.viewer._vispy.export import TILE_UNKNOWN, ExportError, ExportOptions, export_image

    w, h = size
    try:
        atlas = make_canvas(model, (min(w, TILE_UNKNOWN), min(h, TILE_UNKNOWN)), args.theme)
    except Exception as e:
        raise CLIError(f"no usable OpenGL for offscreen rendering: {type(e).__name__}: {e}") from None
    try:
        st = atlas.state
        st.color_by(args.color_by)
        if args.predicted and model.predictions is None:
            raise ExportError("no current predictions for this atlas: run `hubatlas predict` first")
        st.show_predictions(model.predictions is not None and args.predicted is not False)
        st.update(filters=Filters(values), labels=args.labels, density=args.density)
        if focus is not None:
            atlas.fly_to(focus, zoom=max(args.zoom, 1.0))
            atlas.select(focus)
        elif args.zoom != 1.0:
            atlas.zoom(1 / args.zoom, (0, 0))
        opts = ExportOptions(
            width=w,
            height=h,
            legend=args.legend,
            title=args.title,
            attribution=args.attribution,
            transparent=args.transparent,
            labels=args.labels,
        )
        export_image(atlas, out, opts, tile=TILE_UNKNOWN)
    except ExportError as e:
        raise CLIError(str(e)) from None
    except OSError as e:
        raise CLIError(f"{out}: not writable ({e.strerror or e})") from None
    finally:
        atlas.close()
