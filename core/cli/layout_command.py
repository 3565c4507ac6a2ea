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
from hubatlas.core.layout.params import BACKENDS, LayoutParams

DEFAULTS = LayoutParams()


def cmd_layout(args: argparse.Namespace) -> int:
    from hubatlas.core.layout.pipeline import LayoutError, run_layout

    p = LayoutParams(
        backend=args.backend,
        seed=args.seed,
        n_neighbors=args.neighbors,
        anchors=args.anchors,
        n_epochs=args.epochs,
    )
    with open_store(args, write=True, create=False) as store:
        try:
            info = run_layout(store, p, full=args.full, progress=progress_flag(args))
        except LayoutError as e:
            raise CLIError(str(e)) from None
        if not args.json:
            print(
                f"layout ({info['mode']}, {info['backend_detail']}): {info['nodes']:,} nodes in "
                f"{info['seconds']:.1f} s",
                file=sys.stderr if args.report else sys.stdout,
            )
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
        print(
            f"quality on {r['sample']:,} nodes: lineage locality {r['lineage_locality']:.4f} (target <= 0.05), "
            f"kNN preservation {r['knn_preservation']:.3f} (target >= 0.30), trustworthiness "
            f"{r['trustworthiness']:.3f} (target >= 0.92), modality purity {r['modality_purity']:.3f}; against "
            f"the unreduced feature blocks: kNN preservation {r['knn_preservation_unreduced']:.3f}, "
            f"trustworthiness {r['trustworthiness_unreduced']:.3f}"
        )
    return 0


def cmd_labels(args: argparse.Namespace) -> int:
    from hubatlas.core.common.text import printable
    from hubatlas.core.layout.labels import ensure_labels

    with open_store(args) as store:
        snap = snapshot_for(args, store)
        if not (snap.manifest.get("layout") or {}).get("key"):
            raise CLIError("the atlas has no layout yet: run `hubatlas layout` first")
        table = ensure_labels(snap)
    rows = [r for r in table.to_pylist() if r["min_zoom"] <= args.max_zoom]
    for r in rows:
        r.pop("kind") if not args.kind else None
    if args.json:
        print_json([{k: (round(v, 5) if isinstance(v, float) else v) for k, v in r.items()} for r in rows])
        return 0
    print(f"{'min_zoom':>8} {'count':>9}  {'x':>7} {'y':>7}  text")
    for r in rows:
        print(f"{r['min_zoom']:>8g} {r['count']:>9,}  {r['x']:>7.3f} {r['y']:>7.3f}  {printable(r['text'])}")
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
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
        help="also say what each label names (family, author, task, word, model)",
    )
    s.set_defaults(func=cmd_labels)

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
