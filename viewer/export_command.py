"""The `hubatlas export` command: render without a window (VisPy offscreen: Xvfb, EGL or any GL the backend
finds)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

from hubatlas.core.cli.common import CLIError, open_store, snapshot_for
from hubatlas.core.common.filters import parse_values
from hubatlas.core.common.text import printable, shown
from hubatlas.viewer._vispy.canvas import make_canvas
from hubatlas.viewer.layers.atlas_model import AtlasModel

DEFAULT_SIZE = (1920, 1080)  # --width/--height when neither they nor a --view's saved size give one


def parse_filters(specs: list[str] | None, snap) -> dict[str, frozenset[int] | None]:
    """``--filter FIELD=VALUE[,VALUE...]`` (repeatable; see :func:`parse_values`) or a CLIError."""
    try:
        return parse_values(specs, snap)
    except ValueError as e:
        raise CLIError(str(e)) from None


def export_cli(args: argparse.Namespace) -> int:
    from hubatlas.viewer._vispy.export import ExportError, check_target

    w, h = export_size(args)
    out = Path(args.out)
    try:
        if args.timelapse:
            from hubatlas.viewer._vispy.timelapse import ANIMATION_FORMATS

            if out.suffix.lower() not in ANIMATION_FORMATS:
                raise ExportError(f"{out}: a time-lapse is saved as .gif, .webp or .mp4")
            check_target(out.with_suffix(".png"), w, h)  # the size and the folder
        else:
            if out.suffix.lower() in (".gif", ".webp", ".mp4"):
                raise ExportError(f"{out}: an animation needs --timelapse")
            check_target(out, w, h)
        _check_outputs(out, args.save_view)
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

            focus = pc.index(snap.nodes.column("id"), store.resolve_id(args.focus)).as_py()
            if focus is None or focus < 0:
                near = store.search(args.focus, 3)
                hint = f"; did you mean: {', '.join(printable(x['id']) for x in near)}" if near else ""
                raise CLIError(f"no model {shown(args.focus)} in the atlas{hint}")
        values = parse_filters(args.filter, snap)
        if args.zoom <= 0:
            raise CLIError("--zoom must be positive")
        view = None
        if args.view:
            from hubatlas.viewer.layers.view_file import ViewError, load

            try:
                view = load(args.view)
            except ViewError as e:
                raise CLIError(f"--view {printable(args.view)}: {e}") from None
        _render(AtlasModel(snap, store), args, out, (w, h), values, focus, view)
    print(f"wrote {printable(str(out))} ({w}×{h})", file=sys.stderr)
    return 0


def _check_outputs(out: Path, save_view: str | None) -> None:
    """Before any rendering: ``--out`` and ``--save-view`` are new or regular files (a FIFO, a device or a
    folder is refused, never replaced), neither is a file of an atlas, they are not the same file, and
    ``--save-view``'s folder exists; ExportError names the path."""
    from hubatlas.core.common.regular_files import refuse_atlas_file, refuse_unless_regular
    from hubatlas.viewer._vispy.export import ExportError

    try:
        for path in (out, save_view) if save_view else (out,):
            refuse_unless_regular(path)
            refuse_atlas_file(path)
    except OSError as e:  # NotRegularFile, AtlasFile: the message names the path
        raise ExportError(str(e)) from None
    if save_view and os.path.abspath(save_view) == os.path.abspath(out):
        raise ExportError(
            f"--save-view {printable(save_view)} is the --out file: give the view a path of its own"
        )
    parent = Path(save_view).parent if save_view else None
    if parent is not None and not parent.is_dir():
        raise ExportError(
            f"--save-view {printable(save_view)}: the folder {printable(str(parent))} does not exist"
        )


def _timelapse(atlas, args, out: Path, opts) -> None:
    from hubatlas.core.common.progress import bar
    from hubatlas.viewer._vispy.timelapse import data_months, month_ends, record

    first, last = data_months(atlas.model)
    first, last = args.from_month or first, args.to_month or last
    days = month_ends(first, last, args.step)
    with bar(total=len(days), desc="time-lapse", unit="frames", enabled=None) as pb:

        def progress(done: int, total: int) -> bool:
            pb.n = done
            pb.refresh()
            return True

        n = record(atlas, out, opts, days, fps=args.fps, progress=progress)
        pb.n = n
        pb.refresh()
    print(f"hubatlas: {n} frames, {first[:7]} to {last[:7]}", file=sys.stderr)


def export_size(args) -> tuple[int, int]:
    """The image's size: ``--preset``, else ``--width``/``--height`` where given, else the size a ``--view``
    was saved at (``export --save-view`` keeps it, so the figure is remade pixel for pixel), else 1920×1080."""
    presets = {"4k": (3840, 2160), "8k": (7680, 4320)}
    if args.preset in presets:
        return presets[args.preset]
    saved = None
    if args.view and args.width is None and args.height is None:
        from hubatlas.viewer.layers.view_file import ViewError, load

        try:
            saved = (load(args.view).data.get("camera") or {}).get("size")
        except ViewError:
            saved = None  # said when the view is applied
    if saved:
        return int(saved[0]), int(saved[1])
    w = DEFAULT_SIZE[0] if args.width is None else args.width  # 0 is a size (refused), not "the default"
    return w, DEFAULT_SIZE[1] if args.height is None else args.height


def _save_view(model: AtlasModel, atlas, path: Path, size: tuple[int, int]) -> None:
    """Write the view an export renders (``--save-view``) with the export's size, so the figure can be
    remade."""
    from hubatlas.core.common.atomic import atomic_output
    from hubatlas.viewer.layers.view_file import capture

    view = capture(model, atlas.state, atlas.camera(), atlas.colors.legend, size=size)
    try:
        with atomic_output(path) as tmp:
            Path(tmp).write_text(view.dumps() + "\n", encoding="utf-8")
    except OSError as e:  # named as --save-view, not as --out
        raise CLIError(f"--save-view {path}: not writable ({e.strerror or e})") from None
    print(f"hubatlas: saved the view in {printable(str(path))}", file=sys.stderr)


def _render(
    model: AtlasModel, args, out: Path, size: tuple[int, int], values: dict, focus: int | None, view=None
) -> None:
    from hubatlas.core.common.filters import Filters
    from hubatlas.viewer._vispy.export import TILE_UNKNOWN, ExportError, ExportOptions, export_image

    w, h = size
    try:
        theme = view.data.get("theme", args.theme) if view is not None else args.theme
        atlas = make_canvas(model, (min(w, TILE_UNKNOWN), min(h, TILE_UNKNOWN)), theme)
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
        labels = args.labels
        if view is not None:  # the saved view, exactly: its state and camera over the options above
            from hubatlas.viewer.layers.view_file import apply

            cam = apply(view, model, st, lambda: atlas.colors.legend)
            if cam is not None:
                atlas.set_camera(*cam)
            labels = st.labels
            for note in view.notes:
                print(f"hubatlas: the view: {printable(note, 2000)}", file=sys.stderr)  # quotes the file
        if args.save_view:
            _save_view(model, atlas, Path(args.save_view), (w, h))
        opts = ExportOptions(
            width=w,
            height=h,
            legend=args.legend,
            title=args.title,
            attribution=args.attribution,
            transparent=args.transparent,
            labels=labels,
        )
        if args.timelapse:
            _timelapse(atlas, args, out, opts)
        else:
            export_image(atlas, out, opts, tile=TILE_UNKNOWN)
    except ExportError as e:
        raise CLIError(str(e)) from None
    except OSError as e:
        raise CLIError(f"{out}: not writable ({e.strerror or e})") from None
    finally:
        atlas.close()
