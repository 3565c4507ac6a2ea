"""The `hubatlas` command line (core commands). The viewer adds `view` on top (see hubatlas.viewer.cli)."""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

from . import __version__
from .paths import ENV_VAR, demo_dir, resolve_cache_dir

EXIT_USAGE, EXIT_DATA = 2, 1


class CLIError(Exception):
    """A user-facing error: printed as one line, exit status 1."""


def _print_json(obj: object) -> None:
    sys.stdout.write(json.dumps(obj, indent=1, ensure_ascii=False, default=str) + "\n")


def cache_for(args: argparse.Namespace, *, write: bool = False) -> Path:
    """The cache to use. Reading from an empty default cache falls back to the bundled demo atlas."""
    cache = resolve_cache_dir(args.cache)
    from .paths import DB_NAME

    if not write and not (cache / DB_NAME).exists() and not args.cache:
        from .demo import ensure_demo

        if (demo_dir() / "source").exists():
            print(f"hubatlas: the cache at {cache} is empty; using the bundled demo atlas", file=sys.stderr)
            return ensure_demo()
    return cache


def open_store(args: argparse.Namespace, *, write: bool = False):
    from .store import Store, StoreError

    cache = cache_for(args, write=write)
    try:
        return Store(cache, create=write, readonly=not write)
    except StoreError as e:
        raise CLIError(str(e)) from None


def _rebuild(store, progress) -> dict:
    from .snapshot import build

    t = time.perf_counter()
    m = build(store, progress)
    print(f"snapshot: {m['nodes']:,} nodes, {m['edges']:,} edges in {time.perf_counter() - t:.1f} s",
          file=sys.stderr)
    return m


def cmd_import(args: argparse.Namespace) -> int:
    from .importers import ImportFailed, import_paths

    with open_store(args, write=True) as store:
        t = time.perf_counter()
        try:
            s = import_paths(store, args.paths, args.format, progress=False if args.quiet else None)
        except ImportFailed as e:
            raise CLIError(f"import rejected, nothing changed: {e}") from None
        dt = time.perf_counter() - t
        _rebuild(store, None)
        out = {"files": s.files, "records": s.records, "edges": s.edges, "self_loops_dropped": s.self_loops,
               "placeholders_added": s.placeholders_added, "formats": s.formats, "seconds": round(dt, 2)}
        if args.json:
            _print_json(out)
        else:
            print(f"imported {s.records:,} records ({s.edges:,} edges, {s.placeholders_added:,} placeholders, "
                  f"{s.self_loops} self-loops dropped) from {s.files} file(s) in {dt:.1f} s")
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        st = store.stats()
    if args.json:
        _print_json(st)
        return 0
    print(f"atlas: {st['cache']}{'  [SYNTHETIC]' if st['synthetic'] else ''}")
    print(f"models: {st['models']:,}   placeholders: {st['placeholders']:,}   edges: {st['edges']:,}")
    print("edges by relation: " + ", ".join(f"{k} {v:,}" for k, v in st["edges_by_relation"].items()))
    if st["inferred_edges"] or st["inferred_relation_types"]:
        print(f"inferred (`hubatlas infer`): {st['inferred_edges']:,} proposed parents, "
              f"{st['inferred_relation_types']:,} relation types")
    print("modalities: " + ", ".join(f"{k} {v:,}" for k, v in st["modalities"].items() if v))
    print(f"self-loops dropped: {st['self_loops_dropped']}   updated: {st['updated_at']}")
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        hits = store.search(args.query, args.limit)
    if args.json:
        _print_json(hits)
        return 0
    if not hits:
        print(f"no model matches {args.query!r}", file=sys.stderr)
        return 1
    for h in hits:
        dl = h["downloads"]
        print(f"{h['id']}\t{h['pipeline_tag'] or '-'}\t{dl if dl is not None else '-'}"
              f"{'  (placeholder)' if h['placeholder'] else ''}")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        rec = store.info(args.model_id)
        if rec is None:
            near = store.search(args.model_id, 5)
            hint = f"; did you mean: {', '.join(h['id'] for h in near)}" if near else ""
            raise CLIError(f"no model {args.model_id!r} in the atlas{hint}")
    if args.json:
        _print_json(rec)
        return 0
    raw = rec.pop("raw")
    for k, v in rec.items():
        if k in ("parents", "children"):
            continue
        print(f"{k:>14}: {v}")
    print("       parents: " + (", ".join(f"{p['id']} ({p['relation']}, {p['source']})" for p in rec["parents"])
                                or "none"))
    print("      children: " + ", ".join(f"{k} {v}" for k, v in rec["children"].items()))
    print(f"    raw record: {'stored' if raw else 'none'}")
    return 0


def cmd_synth(args: argparse.Namespace) -> int:
    from .store import Store
    from .synth import SynthParams, write_synthetic

    cache = resolve_cache_dir(args.cache)
    from .paths import DB_NAME

    if (cache / DB_NAME).exists() and not args.force:
        raise CLIError(f"{cache} already holds an atlas; pass --force to replace it with a synthetic one, "
                       "or --cache DIR for another directory")
    if (cache / DB_NAME).exists():
        import shutil

        for p in cache.glob(DB_NAME + "*"):
            p.unlink()
        shutil.rmtree(cache / "snapshot", ignore_errors=True)
    t = time.perf_counter()
    with Store(cache) as store:
        info = write_synthetic(store, SynthParams(models=args.models, seed=args.seed), progress=None)
        dt = time.perf_counter() - t
        _rebuild(store, None)
        if args.parquet:
            from .synth import export_parquet

            export_parquet(store, Path(args.parquet))
    info["seconds"] = round(dt, 2)
    if args.json:
        _print_json(info)
    else:
        print(f"synthetic hub: {info['models']:,} models, {info['edges']:,} edges (seed {args.seed}) "
              f"in {dt:.1f} s -> {cache}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import build_demo

    out = Path(args.out) if args.out else demo_dir()
    info = build_demo(out)
    if args.json:
        _print_json(info)
    else:
        print(f"demo atlas: {info['models']:,} models, {info['edges']:,} edges -> {out}")
    return 0


def cmd_sync(args: argparse.Namespace) -> int:
    from huggingface_hub.errors import HfHubHTTPError

    from .hubclient import HubUnavailable
    from .sync import SyncOptions, sync

    opts = SyncOptions(endpoint=args.endpoint, refresh=args.refresh, limit=args.limit, author=args.author,
                       filters=args.filter or [], page_size=args.page_size, top_downloads=args.top_downloads,
                       progress=False if args.quiet else None)

    def log(msg: str) -> None:
        print(f"hubatlas: {msg}", file=sys.stderr)

    with open_store(args, write=True) as store:
        try:
            s = sync(store, opts, log=log)
        except HubUnavailable as e:
            raise CLIError(str(e)) from None
        except HfHubHTTPError as e:
            status = getattr(getattr(e, "response", None), "status_code", "?")
            detail = getattr(e, "server_message", None) or " ".join(str(e).split())
            raise CLIError(f"the Hub refused the request (HTTP {status}): {detail}") from None
        except ValueError as e:
            raise CLIError(str(e)) from None
        _rebuild(store, None)
        q = s.quarantined
    out = s.__dict__
    if args.json:
        _print_json(out)
    else:
        print(f"sync ({s.mode}{', resumed' if s.resumed else ''}): {s.fetched:,} models from {s.pages:,} pages "
              f"in {s.seconds:.1f} s ({s.models_per_second:,.0f} models/s): {s.new:,} new, {s.updated:,} updated, "
              f"{q:,} quarantined")
        print("edges: " + ", ".join(f"{k} {v:,}" for k, v in s.edges_by_relation.items()))
        if any(s.faults.values()):
            print("faults retried: " + ", ".join(f"{k} {v}" for k, v in s.faults.items() if v))
        if q:
            print(f"{q} malformed record(s) kept in the cache's `quarantine` table for inspection")
    return 0


def cmd_layout(args: argparse.Namespace) -> int:
    from .layout import LayoutError, LayoutParams, run_layout

    p = LayoutParams(backend=args.backend, seed=args.seed, n_neighbors=args.neighbors, anchors=args.anchors,
                     n_epochs=args.epochs)
    with open_store(args, write=True) as store:
        try:
            info = run_layout(store, p, full=args.full, progress=False if args.quiet else None)
        except LayoutError as e:
            raise CLIError(str(e)) from None
        if not args.json:
            print(f"layout ({info['mode']}, {info['backend_detail']}): {info['nodes']:,} nodes in "
                  f"{info['seconds']:.1f} s", file=sys.stderr if args.report else sys.stdout)
        if args.report:
            from .layout_quality import report
            from .snapshot import open_snapshot

            t = time.perf_counter()
            info["report"] = report(open_snapshot(store.dir), sample=args.sample, seed=args.seed)
            info["report"]["seconds"] = round(time.perf_counter() - t, 2)
    if args.json:
        _print_json(info)
    elif args.report:
        r = info["report"]
        print(f"quality on {r['sample']:,} nodes: lineage locality {r['lineage_locality']:.4f} (target <= 0.05), "
              f"kNN preservation {r['knn_preservation']:.3f}, trustworthiness {r['trustworthiness']:.3f} "
              f"(target >= 0.90), modality purity {r['modality_purity']:.3f}")
    return 0


def cmd_snapshot(args: argparse.Namespace) -> int:
    with open_store(args, write=True) as store:
        m = _rebuild(store, None)
    if args.json:
        _print_json(m)
    return 0


CommandAdder = Callable[[argparse._SubParsersAction], None]
OptionAdder = Callable[[argparse.ArgumentParser], None]


def build_parser(extra: list[CommandAdder] | None = None,
                 options: list[OptionAdder] | None = None) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="hubatlas",
        description="An offline, GPU-accelerated atlas of every model on the Hugging Face Hub.",
        epilog=f"The cache directory is --cache, else ${ENV_VAR}, else the platform's user cache dir.",
    )
    p.add_argument("--version", action="version", version=f"hubatlas {__version__}")
    p.add_argument("--cache", metavar="DIR", help=f"atlas cache directory (default: ${ENV_VAR} or the user cache)")
    for add_option in options or []:
        add_option(p)
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)

    s = sub.add_parser("import", help="import Hub API records or the whole-Hub parquet dump",
                       description="Import files into the cache in one transaction: a broken file changes nothing.")
    s.add_argument("paths", nargs="+", metavar="PATH", help="JSON, JSONL or parquet files")
    s.add_argument("--format", default="auto", choices=["auto", "hub-json", "hub-jsonl", "ecosystem-parquet"],
                   help="input format (default: guessed from each file)")
    s.add_argument("--json", action="store_true", help="print a JSON summary")
    s.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    s.set_defaults(func=cmd_import)

    s = sub.add_parser("stats", help="counts of models, edges, relations and modalities",
                       description="Summarise the atlas in the cache.")
    s.add_argument("--json", action="store_true", help="print one JSON object")
    s.set_defaults(func=cmd_stats)

    s = sub.add_parser("search", help="find models by id or author prefix",
                       description="Prefix search over ids and authors; most downloaded first.")
    s.add_argument("query", metavar="QUERY")
    s.add_argument("--limit", type=int, default=20, metavar="K", help="at most K results (default 20)")
    s.add_argument("--json", action="store_true", help="print a JSON list")
    s.set_defaults(func=cmd_search)

    s = sub.add_parser("info", help="a model's record, parents and children",
                       description="Show one model: every stored field, parents with relation, children counts.")
    s.add_argument("model_id", metavar="MODEL_ID")
    s.add_argument("--json", action="store_true", help="print one JSON object")
    s.set_defaults(func=cmd_info)

    s = sub.add_parser("synth", help="generate a synthetic hub calibrated on published whole-Hub figures",
                       description="Write a synthetic atlas (marked synthetic) into the cache, for scale work.")
    s.add_argument("--models", type=int, default=100_000, metavar="N", help="number of models (default 100000)")
    s.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    s.add_argument("--parquet", metavar="FILE", help="also export it as an ecosystem-format parquet file")
    s.add_argument("--force", action="store_true", help="replace an atlas already in the cache")
    s.add_argument("--json", action="store_true", help="print a JSON summary")
    s.set_defaults(func=cmd_synth)

    s = sub.add_parser("demo", help="(re)build the bundled real demo atlas",
                       description="Build the demo atlas from the bundled SmolLM2 family and MTEB embedding models.")
    s.add_argument("--out", metavar="DIR", help="output cache directory (default: resources/demo)")
    s.add_argument("--json", action="store_true", help="print a JSON summary")
    s.set_defaults(func=cmd_demo)

    s = sub.add_parser("sync", help="crawl every public model from the Hub (resumable; --refresh for updates)",
                       description="Fetch model metadata from the Hub API into the cache. Each page is committed "
                                   "with its cursor: an interrupted sync resumes where it stopped. Uses your "
                                   "huggingface_hub login and HF_ENDPOINT; respects HF_HUB_OFFLINE.")
    s.add_argument("--refresh", action="store_true",
                   help="only fetch models changed since the last complete sync (and refresh top download counts)")
    s.add_argument("--endpoint", metavar="URL", help="Hub endpoint (default: HF_ENDPOINT or https://huggingface.co)")
    s.add_argument("--limit", type=int, metavar="N", help="stop after N models (a partial atlas)")
    s.add_argument("--author", metavar="NAME", help="only this author's or organisation's models")
    s.add_argument("--filter", action="append", metavar="TAG", help="only models with this tag (repeatable)")
    s.add_argument("--page-size", type=int, default=1000, metavar="N", help="models per page (default 1000)")
    s.add_argument("--top-downloads", type=int, default=10_000, metavar="N",
                   help="with --refresh, also refresh counts of the N most downloaded models (default 10000)")
    s.add_argument("--json", action="store_true", help="print the summary as JSON")
    s.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    s.set_defaults(func=cmd_sync)

    s = sub.add_parser("layout", help="compute the 2-D map (UMAP: cuML on an NVIDIA GPU, else the CPU path)",
                       description="Lay out every model from its metadata and lineage. Cached by content: an "
                                   "unchanged atlas is not recomputed; new models are placed without moving "
                                   "the others unless --full.")
    s.add_argument("--backend", default="auto", choices=["auto", "cuml", "cpu"],
                   help="auto: cuML when installed with a CUDA device, else cpu (default)")
    s.add_argument("--full", action="store_true", help="recompute every position")
    s.add_argument("--seed", type=int, default=0, help="random seed (the CPU path is deterministic for a seed)")
    s.add_argument("--neighbors", type=int, default=15, metavar="K", help="UMAP n_neighbors (default 15)")
    s.add_argument("--anchors", type=int, default=40_000, metavar="N",
                   help="CPU path: models laid out by UMAP itself; the rest are placed (default 40000)")
    s.add_argument("--epochs", type=int, default=200, metavar="N", help="UMAP optimisation epochs (default 200)")
    s.add_argument("--report", action="store_true", help="measure layout quality on a node sample")
    s.add_argument("--sample", type=int, default=20_000, metavar="N", help="report sample size (default 20000)")
    s.add_argument("--json", action="store_true", help="print the result as JSON")
    s.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    s.set_defaults(func=cmd_layout)

    s = sub.add_parser("snapshot", help="rebuild the Arrow snapshot from the store",
                       description="Rebuild the memory-mapped Arrow columns (done automatically after changes).")
    s.add_argument("--json", action="store_true", help="print the manifest")
    s.set_defaults(func=cmd_snapshot)

    from .analysis_cli import add_commands

    add_commands(sub)
    for add in extra or []:
        add(sub)
    return p


def main(argv: list[str] | None = None, extra: list[CommandAdder] | None = None,
         options: list[OptionAdder] | None = None) -> int:
    parser = build_parser(extra, options)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except CLIError as e:
        print(f"hubatlas: error: {e}", file=sys.stderr)
        return EXIT_DATA
    except KeyboardInterrupt:
        print("hubatlas: interrupted; nothing half-written was kept", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
