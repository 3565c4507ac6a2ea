"""`hubatlas get`: the whole Hub from a published weekly snapshot, downloaded, checked, imported and laid out."""

from __future__ import annotations

import argparse
import os
import sys
import time

from hubatlas.core.cli.common import JSON, QUIET, CLIError, emit, open_store, progress_flag, rebuild_snapshot


def _run(store, args: argparse.Namespace):
    from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled

    from hubatlas.core.ingest.batch import ImportFailed
    from hubatlas.core.ingest.hubclient import EndpointRefused, HubUnavailable
    from hubatlas.core.ingest.snapshot_flow import GetOptions, get_snapshot
    from hubatlas.core.ingest.snapshot_get import Cancelled, SnapshotRefused

    opts = GetOptions(
        endpoint=args.endpoint,
        date=args.date,
        hf_path=args.path,
        keep=args.keep,
        progress=progress_flag(args),
    )
    if os.environ.get(PROGRESS_LINES) == "1":  # the window's job reads these
        opts.on_bytes, opts.on_stage = _byte_lines(), lambda name: _line(name)
    try:
        return get_snapshot(store, opts)
    except (SnapshotRefused, HubUnavailable, EndpointRefused, Cancelled) as e:
        raise CLIError(str(e)) from None
    except OfflineModeIsEnabled:
        raise CLIError(
            "HF_HUB_OFFLINE is set: hubatlas will not contact the Hub. Unset it to get a snapshot."
        ) from None
    except ImportFailed as e:
        raise CLIError(f"import rejected, nothing changed: {e}") from None
    except HfHubHTTPError as e:
        status = getattr(getattr(e, "response", None), "status_code", "?")
        detail = getattr(e, "server_message", None) or " ".join(str(e).split())[:300]
        raise CLIError(f"the Hub refused the request (HTTP {status}): {detail}") from None
    except OSError as e:  # a connection lost for good, a size the server did not keep to, a full disk
        raise CLIError(
            f"the download stopped: {' '.join(str(e).split())[:300]}. What arrived is kept; run the same "
            "`hubatlas get` again to resume."
        ) from None


PROGRESS_LINES = "HUBATLAS_PROGRESS_LINES"


def _line(*words: object) -> None:
    print("hubatlas-progress:", *words, file=sys.stderr, flush=True)


def _byte_lines():
    """Bytes so far and the total as lines on stderr, at most 5 a second (and the last one)."""
    last = [0.0]

    def on_bytes(n: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.2 or n >= total:
            last[0] = now
            _line("bytes", n, total)

    return on_bytes


def cmd_get(args: argparse.Namespace) -> int:
    with open_store(args, write=True) as store:
        s = _run(store, args)
        rebuild_snapshot(store, None, if_changed=True)
        for note in s.notes:
            print(f"hubatlas: {note}", file=sys.stderr)
        layout = None
        if not args.no_layout and s.records:
            from hubatlas.core.layout.params import LayoutParams
            from hubatlas.core.layout.pipeline import LayoutError, run_layout

            if os.environ.get(PROGRESS_LINES) == "1":
                _line("layout")
            try:
                layout = run_layout(store, LayoutParams(), progress=progress_flag(args))
            except LayoutError as e:
                raise CLIError(f"imported, but the layout failed: {e}") from None
    out = dict(s.__dict__)
    out["layout_seconds"] = layout["seconds"] if layout else None
    text = (
        f"got {s.repo}/{s.file} ({s.bytes / 1e6:,.1f} MB, sha256 checked) in {s.download_seconds:.1f} s; "
        f"imported {s.records:,} models ({s.edges:,} edges, {s.quarantined:,} quarantined) in "
        f"{s.import_seconds:.1f} s"
        + (f"; laid out in {layout['seconds']:.1f} s" if layout else "")
        + (
            f"\n`hubatlas sync --refresh` fetches what changed since {s.refresh_from}"
            if s.refresh_from
            else ""
        )
    )
    emit(args, out, text)
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    """`get`."""
    s = sub.add_parser(
        "get",
        help="the whole Hub from a published weekly snapshot (minutes, not hours of API pages)",
        description="Download the newest weekly snapshot of every model on the Hub (hfmlsoc/hub_weekly_snapshots, "
        "models/<date>/models.parquet), check its size and sha256 against what the Hub declares, import it and "
        "lay it out. Resumes an interrupted download. Uses your huggingface_hub login and HF_ENDPOINT; respects "
        "HF_HUB_OFFLINE. Then `hubatlas sync --refresh` fetches what changed since the snapshot.",
        parents=[JSON, QUIET],
    )
    s.add_argument(
        "path",
        nargs="?",
        metavar="HF_PATH",
        help="a parquet file instead: hf://datasets/<owner>/<name>[@<revision>]/<path>.parquet",
    )
    s.add_argument("--date", metavar="YYYY-MM-DD", help="the snapshot of this date (default: the newest)")
    s.add_argument(
        "--endpoint", metavar="URL", help="Hub endpoint (default: HF_ENDPOINT or https://huggingface.co)"
    )
    s.add_argument(
        "--no-layout", action="store_true", help="import only; lay out later with `hubatlas layout`"
    )
    s.add_argument("--keep", action="store_true", help="keep the downloaded file in <cache>/downloads")
    s.set_defaults(func=cmd_get)
