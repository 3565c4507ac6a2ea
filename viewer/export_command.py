"""The `hubatlas export` command: render without a window (VisPy offscreen: Xvfb, EGL or any GL the backend
finds)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from hubatlas.core.cli.common import CLIError, open_store, snapshot_for
from hubatlas.core.common.text import printable, shown
from hubatlas.viewer._vispy.canvas import make_canvas


def export_cli(args: argparse.Namespace) -> int:
    from hubatlas.viewer._vispy.export import ExportError, ExportOptions, check_target, export_image

    w, h = (3840, 2160) if args.preset == "4k" else (7680, 4320) if args.preset == "8k" else (args.width, args.height)
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
        from hubatlas.viewer.layers.styling import FILTER_FIELDS, Filters

        values: dict[str, int | None] = {name: None for name in FILTER_FIELDS}
        for f in args.filter or []:
            field, sep, value = f.partition("=")
            if not sep or field not in ("modality", "pipeline_tag", "license", "library_name"):
                raise CLIError(f"bad --filter {f!r}: use FIELD=VALUE with FIELD one of modality, pipeline_tag, "
                               "license, library_name")
            codes, labels = snap.codes(field)
            if value not in labels:
                raise CLIError(f"--filter {f!r}: no model has {field} = {value!r}")
            if values[field] is not None and values[field] != labels.index(value):
                raise CLIError(f"--filter {f!r}: {field} is filtered already (one value per field)")
            values[field] = labels.index(value)
        if args.zoom <= 0:
            raise CLIError("--zoom must be positive")
        try:
            from hubatlas.viewer._vispy.export import TILE_UNKNOWN

            tile = TILE_UNKNOWN
            atlas = make_canvas(snap, (min(w, tile), min(h, tile)), args.theme)
        except Exception as e:
            raise CLIError(f"no usable OpenGL for offscreen rendering: {type(e).__name__}: {e}") from None
        try:
            atlas.state.color_by(args.color_by)
            if args.predicted:
                from hubatlas.core.analysis.predict import load_predictions

                table = load_predictions(store.dir, snap.manifest.get("data_version"), len(snap))
                if table is None:
                    raise ExportError("no current predictions for this atlas: run `hubatlas predict` first")
                atlas.state.show_predictions(table, True)
            atlas.state.update(filters=Filters(values))
            atlas.state.update(labels=args.labels, density=args.density)
            if focus is not None:
                atlas.fly_to(focus, zoom=max(args.zoom, 1.0))
                atlas.select(focus)
            elif args.zoom != 1.0:
                atlas.zoom(1 / args.zoom, (0, 0))
            opts = ExportOptions(width=w, height=h, legend=args.legend, title=args.title,
                                 attribution=args.attribution, transparent=args.transparent,
                                 labels=args.labels)
            export_image(atlas, out, opts, tile=tile)
        except ExportError as e:
            raise CLIError(str(e)) from None
        except OSError as e:
            raise CLIError(f"{out}: not writable ({e.strerror or e})") from None
        finally:
            atlas.close()
    print(f"wrote {out} ({w}×{h})", file=sys.stderr)
    return 0
