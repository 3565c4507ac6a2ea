"""The `hubatlas` console script: the core commands plus the viewer's `view` and `export`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hubatlas.core.cli.common import CLIError, cache_for
from hubatlas.core.cli.main import main as core_main
from hubatlas.core.cli.numbers import month, number


def cmd_view(args: argparse.Namespace) -> int:
    """Open the desktop window on the atlas (the bundled demo when the cache is empty)."""
    cache = cache_for(args)
    from hubatlas.core.common.paths import demo_dir
    from hubatlas.viewer.display import NO_DISPLAY, display_available

    if not display_available():  # Qt would abort the process looking for one
        raise CLIError(NO_DISPLAY.format(command="view"))
    label = "demo" if Path(cache).resolve() == demo_dir().resolve() else ""
    try:
        from hubatlas.viewer._qt.app import run
    except ImportError as e:
        raise CLIError(
            f"the desktop viewer needs PySide6 and VisPy (`pip install 'hubatlas[viewer]'`): {e}"
        ) from None
    view = None
    if args.view:
        from hubatlas.viewer.layers.view_file import ViewError, load

        try:
            load(args.view)  # a bad file is a clear error before any window opens
        except ViewError as e:
            raise CLIError(f"--view {args.view}: {e}") from None
        view = Path(args.view)
    return run(
        Path(cache),
        label=label,
        screenshot=Path(args.screenshot) if args.screenshot else None,
        view=view,
        first_launch=_empty_default_cache(args, Path(cache)),
    )


def _empty_default_cache(args: argparse.Namespace, shown: Path) -> Path | None:
    """The default cache when it is empty and the demo is shown instead (the first launch): the window then
    offers to get the whole Hub into it."""
    from hubatlas.core.common.paths import DB_NAME, resolve_cache_dir

    if args.cache:
        return None
    default = resolve_cache_dir(None)
    return default if not (default / DB_NAME).exists() and shown.resolve() != default.resolve() else None


def cmd_export(args: argparse.Namespace) -> int:
    from hubatlas.viewer.export_command import export_cli

    return export_cli(args)


def add_view(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser(
        "view",
        help="open the desktop atlas window (the bundled demo when the cache is empty)",
        description="Open the cached atlas in the desktop window, or the bundled demo atlas when "
        "the cache is empty. Press F1 in the window for keyboard shortcuts.",
    )
    s.add_argument("--screenshot", metavar="PNG", help=argparse.SUPPRESS)
    s.add_argument(
        "--view", metavar="FILE", help="open on this saved view (File › Save view…, export --save-view)"
    )
    s.set_defaults(func=cmd_view)
    _add_export(sub)


def _add_export(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser(
        "export",
        help="render an image of the atlas without a window",
        description="Render the atlas offscreen at full detail and save a PNG or JPEG, an SVG or PDF with "
        "editable text, or (--timelapse) an animation of the Hub's growth.",
    )
    s.add_argument(
        "--out",
        required=True,
        metavar="FILE",
        help="output .png, .jpg, .svg or .pdf (.gif, .webp, .mp4 with --timelapse)",
    )
    s.add_argument("--width", type=int, default=None, metavar="W", help="width in pixels (default 1920)")
    s.add_argument("--height", type=int, default=None, metavar="H", help="height in pixels (default 1080)")
    s.add_argument("--preset", choices=["4k", "8k"], help="a size preset (overrides --width/--height)")
    s.add_argument(
        "--color-by",
        default="modality",
        choices=["modality", "pipeline_tag", "license", "library_name", "relation", "created", "downloads"],
        help="colour mode (default modality)",
    )
    s.add_argument(
        "--predicted",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="colour undocumented values by their predictions, paler (default: where the atlas has them, as "
        "`hubatlas layout` makes them)",
    )
    s.add_argument("--focus", metavar="MODEL_ID", help="centre on this model (and highlight it)")
    s.add_argument(
        "--zoom", type=number(0.01, 10_000), default=1.0, metavar="Z", help="zoom factor (1 = whole map)"
    )
    s.add_argument(
        "--filter",
        action="append",
        metavar="FIELD=VALUE[,VALUE...]",
        help="keep only models with FIELD (modality, pipeline_tag, license, library_name) = one of the VALUEs; "
        'repeatable: filters of different fields all apply; a value holding a comma is quoted, FIELD="a,b", or '
        "escaped, FIELD=a\\,b",
    )
    s.add_argument("--legend", action=argparse.BooleanOptionalAction, default=True, help="draw the legend")
    s.add_argument(
        "--labels",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="draw the map's labels (regions, families, models at high zoom)",
    )
    s.add_argument(
        "--density",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="shade the density of models under the points (terrain)",
    )
    _add_figure_options(s)
    s.set_defaults(func=cmd_export)


def _add_figure_options(s: argparse.ArgumentParser) -> None:
    """What an export draws besides the map, saved views and time-lapses."""
    s.add_argument("--title", help="a title drawn on the image")
    s.add_argument(
        "--attribution",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="draw the data source and snapshot date",
    )
    s.add_argument("--theme", choices=["dark", "light"], default="dark")
    s.add_argument("--transparent", action="store_true", help="transparent background (PNG)")
    s.add_argument(
        "--view",
        metavar="FILE",
        help="render exactly this saved view (camera, colours, filters, hidden classes, selection, labels, "
        "density, theme; from File › Save view… or --save-view): it wins over the options above",
    )
    s.add_argument(
        "--timelapse",
        action="store_true",
        help="record the Hub's growth into --out .gif, .webp or .mp4: one frame per month (or quarter), the "
        "map as of that date with the date and count of models as a caption (MP4 needs `pip install "
        "imageio-ffmpeg` or an ffmpeg on the PATH)",
    )
    s.add_argument(
        "--from",
        dest="from_month",
        type=month,
        metavar="YYYY-MM",
        help="time-lapse: first month (default: the data's first)",
    )
    s.add_argument(
        "--to",
        dest="to_month",
        type=month,
        metavar="YYYY-MM",
        help="time-lapse: last month (default: the data's date)",
    )
    s.add_argument(
        "--step", choices=["month", "quarter"], default="month", help="time-lapse: one frame per step"
    )
    s.add_argument(
        "--fps",
        type=number(0.1, 60),
        default=4.0,
        metavar="N",
        help="time-lapse: frames a second (default 4)",
    )
    s.add_argument(
        "--save-view",
        metavar="FILE",
        help="also write the view this export renders, so the figure can be remade",
    )


class SelfTest(argparse.Action):
    """``--self-test``: runs at once (like ``--version``) and exits with the test's code."""

    def __call__(self, parser, namespace, values, option_string=None):
        from hubatlas.viewer.selftest import run_self_test

        parser.exit(run_self_test())


def add_self_test(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--self-test",
        action=SelfTest,
        nargs=0,
        help="open the bundled demo atlas offscreen, render, export a screenshot, check its pixels "
        "and exit (0 = the installation works)",
    )


def main(argv: list[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    if not argv and getattr(sys, "frozen", False):
        argv = ["view"]  # the app bundle started from a file manager or dock opens the atlas
    return core_main(argv, extra=[add_view], options=[add_self_test])


if __name__ == "__main__":
    sys.exit(main())
