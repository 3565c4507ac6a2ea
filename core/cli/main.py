"""The `hubatlas` command line: the parser of every core command, and ``main``. The viewer adds `view`,
`export` and ``--self-test`` on top (see hubatlas.viewer.cli)."""

from __future__ import annotations

import argparse
import sqlite3
import sys
from collections.abc import Callable

from hubatlas.core import __version__
from hubatlas.core.cli import analysis_commands, get_command, layout_command, store_commands
from hubatlas.core.cli.common import EXIT_DATA, EXIT_USAGE, CLIError
from hubatlas.core.cli.numbers import harden, nonempty_path, undecodable
from hubatlas.core.common.paths import ENV_VAR
from hubatlas.core.common.regular_files import AtlasFile, NotRegularFile
from hubatlas.core.common.resources import what_ran_out
from hubatlas.core.common.text import printable

CommandAdder = Callable[[argparse._SubParsersAction], None]
OptionAdder = Callable[[argparse.ArgumentParser], None]


def build_parser(
    extra: list[CommandAdder] | None = None, options: list[OptionAdder] | None = None
) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="hubatlas",
        description="An offline, GPU-accelerated atlas of every model on the Hugging Face Hub.",
        epilog=f"The cache directory is --cache, else ${ENV_VAR}, else the platform's user cache dir.",
    )
    p.add_argument("--version", action="version", version=f"hubatlas {__version__}")
    p.add_argument(
        "--cache",
        metavar="DIR",
        type=nonempty_path,
        help=f"atlas cache directory (default: ${ENV_VAR} or the user cache)",
    )
    p.add_argument(
        "--wait",
        type=float,
        metavar="SECONDS",
        help="how long a command that writes waits while another hubatlas process writes to the same "
        "cache (default: until it finishes)",
    )
    for add_option in options or []:
        add_option(p)
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)

    for module in (store_commands, get_command, layout_command, analysis_commands):
        module.add_commands(sub)
    for add in extra or []:
        add(sub)
    return harden(p)


def _after_running_out(args: argparse.Namespace, what: str) -> str:
    """What the atlas is like after a disk, file-size or memory limit stopped a command, and what to do."""
    from hubatlas.core.common.paths import DB_NAME, resolve_cache_dir
    from hubatlas.core.common.resources import DISK_FULL, FILE_LIMIT
    from hubatlas.core.store.integrity import intact

    db = resolve_cache_dir(getattr(args, "cache", None)) / DB_NAME
    state = {
        True: f"The atlas in {printable(db.parent)} is intact (checked): what finished steps committed is kept",
        False: f"The atlas in {printable(db.parent)} failed its check: rebuild it into a new --cache directory",
        None: "The atlas could not be checked now; `hubatlas stats` checks it once there is room",
    }[intact(db) if db.exists() else None]
    todo = {
        DISK_FULL: "free some disk space",
        FILE_LIMIT: "raise the limit (`ulimit -f unlimited`)",
    }.get(what, "close other programs or raise the limit")
    return f"{state}. To finish, {todo} and run the same command again."


def main(
    argv: list[str] | None = None,
    extra: list[CommandAdder] | None = None,
    options: list[OptionAdder] | None = None,
) -> int:
    parser = build_parser(extra, options)
    bad = undecodable(sys.argv[1:] if argv is None else argv)
    if bad is not None:  # bytes that are not UTF-8: Python keeps them as lone surrogates, unprintable
        print(
            f"hubatlas: error: an argument is not valid UTF-8 text ({ascii(bad)[:60]}); "
            "type ids and queries as text",
            file=sys.stderr,
        )
        return EXIT_USAGE
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except CLIError as e:
        print(f"hubatlas: error: {printable(e, 2000)}", file=sys.stderr)  # may quote untrusted data
        return EXIT_DATA
    except BrokenPipeError:  # `| head`: the reader has what it wanted
        return 0
    except (NotRegularFile, AtlasFile) as e:  # an output path that is a FIFO, a device, a folder or a file of
        # the atlas itself: refused, untouched
        print(f"hubatlas: error: {printable(e, 2000)}", file=sys.stderr)
        return EXIT_DATA
    except (OSError, MemoryError, sqlite3.DatabaseError) as e:
        what = what_ran_out(e)
        if what is None and not isinstance(e, sqlite3.DatabaseError):
            raise
        if what is not None:
            print(
                f"hubatlas: error: {what} while `{args.command}` ran. {_after_running_out(args, what)}",
                file=sys.stderr,
            )
            return EXIT_DATA
        # "database disk image is malformed", "file is not a database", ...
        cache = getattr(args, "cache", None) or "the cache"
        print(
            f"hubatlas: error: {printable(cache)} looks damaged ({printable(e, 200)}). Nothing was changed; "
            "rebuild it with `hubatlas sync` or `hubatlas import` into a new --cache directory (the damaged "
            "file can be kept for inspection).",
            file=sys.stderr,
        )
        return EXIT_DATA
    except KeyboardInterrupt:
        print("hubatlas: interrupted; nothing half-written was kept", file=sys.stderr)
        return 130
