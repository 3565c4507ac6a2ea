"""`hubatlas layout`: its options take their defaults from the one LayoutParams object the library and the
app use."""

from __future__ import annotations

import argparse
import sys
import time

from hubatlas.core.cli.common import (
    JSON,
    QUIET,
    CLIError,
    open_store,
    print_json,
    progress_flag,
    snapshot_for,
)
from hubatlas.core.cli.numbers import date
from hubatlas.core.layout.params import BACKENDS, LayoutParams

DEFAULTS = LayoutParams()


def _analyses_text(a: dict) -> str:
    typed, pred = a["lineage"] or {}, a["predictions"] or {}
    t = (
        f"lineage: {typed['typed']:,} untyped edges typed (stored as inferred)"
        if typed.get("typed")
        else ("lineage: nothing untyped")
    )
    p = (
        "predictions: "
        + ", ".join(f"{k} {v:,}" for k, v in pred["predicted"].items())
        + " undocumented values"
        if pred.get("predicted")
        else "predictions: current"
    )
    return f"{t}; {p}"


def cmd_layout(args: argparse.Namespace) -> int:
    from hubatlas.core.analysis.complete import predict_missing_values, type_lineage
    from hubatlas.core.layout.pipeline import LayoutError, run_layout

    p = LayoutParams(
        backend=args.backend,
        seed=args.seed,
        n_neighbors=args.neighbors,
        anchors=args.anchors,
        n_epochs=args.epochs,
    )
    with open_store(args, write=True, create=False) as store:
        typed = type_lineage(store) if args.analyses else None  # first: the layout's edges are typed ones
        try:
            info = run_layout(store, p, full=args.full, progress=progress_flag(args))
        except LayoutError as e:
            raise CLIError(str(e)) from None
        if args.analyses:
            info["analyses"] = {"lineage": typed, "predictions": predict_missing_values(store)}
        if not args.json:
            print(
                f"layout ({info['mode']}, {info['backend_detail']}): {info['nodes']:,} nodes in "
                f"{info['seconds']:.1f} s",
                file=sys.stderr if args.report else sys.stdout,
            )
        if not args.json and args.analyses:
            print(_analyses_text(info["analyses"]), file=sys.stderr if args.report else sys.stdout)
        if args.report:
            from hubatlas.core.layout.quality import measure
            from hubatlas.core.store.snapshot import open_snapshot

            t = time.perf_counter()
            info["report"] = measure(
                open_snapshot(store.dir), sample=args.sample, seed=args.seed, store=store
            )
            info["report"]["seconds"] = round(time.perf_counter() - t, 2)
    if args.json:
        print_json(info)
    elif args.report:
        r = info["report"]
        made = info.get("made") or {}
        versions = ", ".join(f"{k} {v}" for k, v in (made.get("versions") or {}).items())
        print(f"made with seed {made.get('seed')}: {versions}")
        print(
            f"quality on {r['sample']:,} nodes: lineage locality {r['lineage_locality']:.4f} (target <= 0.05), "
            f"kNN preservation {r['knn_preservation']:.3f} (target >= 0.30), trustworthiness "
            f"{r['trustworthiness']:.3f} (target >= 0.92), modality purity {r['modality_purity']:.3f}; against "
            f"the unreduced feature blocks: kNN preservation {r['knn_preservation_unreduced']:.3f}, "
            f"trustworthiness {r['trustworthiness_unreduced']:.3f}"
        )
    return 0


def cmd_labels(args: argparse.Namespace) -> int:
    from hubatlas.core.common.filters import Filters, parse_day, parse_values, snapshot_mask
    from hubatlas.core.common.text import printable
    from hubatlas.core.layout.labels import view_labels

    if 0 < args.max_downloads < args.min_downloads:
        raise CLIError(
            f"--min-downloads {args.min_downloads:,} is above --max-downloads {args.max_downloads:,}: "
            "no model is shown"
        )
    with open_store(args) as store:
        snap = snapshot_for(args, store)
        if not (snap.manifest.get("layout") or {}).get("key"):
            raise CLIError("the atlas has no layout yet: run `hubatlas layout` first")
        try:  # the view: the same filters as the window's; its labels are named for what it shows
            view = Filters(
                parse_values(args.filter, snap),
                min_downloads=max(0, args.min_downloads),
                max_downloads=max(0, args.max_downloads),
                since_day=None if args.since is None else parse_day(args.since),
                as_of_day=None if args.as_of is None else parse_day(args.as_of),
                hide_undated=args.hide_undated,
            )
        except ValueError as e:
            raise CLIError(str(e)) from None
        table = view_labels(snap, snapshot_mask(snap, view), view.as_of_day)
    rows = [r for r in table.to_pylist() if r["min_zoom"] <= args.max_zoom]
    for r in rows:
        r.pop("members", None)
        r.pop("kind") if not args.kind else None
    if args.json:
        print_json([{k: (round(v, 5) if isinstance(v, float) else v) for k, v in r.items()} for r in rows])
        return 0
    print(f"{'min_zoom':>8} {'count':>9}  {'x':>7} {'y':>7}  text")
    for r in rows:
        print(f"{r['min_zoom']:>8g} {r['count']:>9,}  {r['x']:>7.3f} {r['y']:>7.3f}  {printable(r['text'])}")
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    _add_labels(sub)
    _add_layout(sub)


def _add_labels(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser(
        "labels",
        help="list the map's labels (regions, families, authors, model names)",
        description="The label hierarchy computed with the layout: text, position, the zoom at "
        "which it appears (1 = the overview) and how many models it names.",
        parents=[JSON, QUIET],
    )
    s.add_argument(
        "--max-zoom",
        type=float,
        default=float("inf"),
        metavar="Z",
        help="only labels shown at zoom Z or below (1: the overview's)",
    )
    s.add_argument(
        "--kind",
        action="store_true",
        help="also say what each label names (family, publisher, task, library, word, model)",
    )
    s.add_argument(
        "--filter",
        action="append",
        metavar="FIELD=VALUE[,VALUE...]",
        help="only the labels of the view these filters show, as the window draws them (repeatable; "
        'values of one field: any of them; different fields: all; a value holding a comma is quoted, FIELD="a,b", '
        "or escaped, FIELD=a\\,b)",
    )
    s.add_argument(
        "--as-of",
        type=date,
        metavar="DATE",
        help="only the labels of the map as of DATE (YYYY-MM-DD or YYYY-MM): models created later are hidden",
    )
    s.add_argument(
        "--since",
        type=date,
        metavar="DATE",
        help="only the labels of the models created on or after DATE (YYYY-MM-DD or YYYY-MM)",
    )
    s.add_argument(
        "--hide-undated",
        action="store_true",
        help="with --as-of or --since, also hide models without a creation date (as the window can)",
    )
    s.add_argument(
        "--min-downloads", type=int, default=0, metavar="N", help="hide models with fewer than N downloads"
    )
    s.add_argument(
        "--max-downloads", type=int, default=0, metavar="N", help="hide models with more than N downloads"
    )
    s.set_defaults(func=cmd_labels)


def _add_layout(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser(
        "layout",
        help="compute the 2-D map (UMAP: cuML on an NVIDIA GPU, else the CPU path)",
        description="Lay out every model from its metadata and lineage. Cached by content: an "
        "unchanged atlas is not recomputed; new models are placed without moving "
        "the others unless --full.",
        parents=[JSON, QUIET],
    )
    s.add_argument(
        "--backend",
        default=DEFAULTS.backend,
        choices=BACKENDS,
        help=f"auto: cuML when installed with a CUDA device, else cpu (default {DEFAULTS.backend})",
    )
    s.add_argument("--full", action="store_true", help="recompute every position")
    s.add_argument(
        "--analyses",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also type untyped lineage and predict undocumented values (default; skipped when current)",
    )
    s.add_argument(
        "--seed",
        type=int,
        default=DEFAULTS.seed,
        help=f"random seed (the CPU path is deterministic for a seed; default {DEFAULTS.seed})",
    )
    s.add_argument(
        "--neighbors",
        type=int,
        default=DEFAULTS.n_neighbors,
        metavar="K",
        help=f"UMAP n_neighbors (default {DEFAULTS.n_neighbors})",
    )
    s.add_argument(
        "--anchors",
        type=int,
        default=DEFAULTS.anchors,
        metavar="N",
        help=f"CPU path: models laid out by UMAP itself; the rest are placed (default {DEFAULTS.anchors})",
    )
    s.add_argument(
        "--epochs",
        type=int,
        default=DEFAULTS.n_epochs,
        metavar="N",
        help=f"UMAP optimisation epochs (default {DEFAULTS.n_epochs})",
    )
    s.add_argument("--report", action="store_true", help="measure layout quality on a node sample")
    s.add_argument(
        "--sample", type=int, default=20_000, metavar="N", help="report sample size (default 20000)"
    )
    s.set_defaults(func=cmd_layout)
