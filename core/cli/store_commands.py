"""Commands on the store: import, stats, search, info, synth, demo, sync and snapshot."""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from pathlib import Path

from hubatlas.core.cli.common import (
    JSON,
    QUIET,
    CLIError,
    emit,
    open_store,
    print_json,
    progress_flag,
    rebuild_snapshot,
    writer_wait,
)
from hubatlas.core.cli.numbers import whole
from hubatlas.core.common.dates import BACKFILLED_TEXT, is_backfilled
from hubatlas.core.common.paths import DB_NAME, demo_dir, resolve_cache_dir
from hubatlas.core.common.text import printable, shown


def cmd_import(args: argparse.Namespace) -> int:
    from hubatlas.core.ingest.files import ImportFailed, import_paths

    cache = resolve_cache_dir(args.cache)
    new = not (cache / DB_NAME).exists()
    with open_store(args, write=True) as store:
        t = time.perf_counter()
        try:
            s = import_paths(store, args.paths, args.format, progress=progress_flag(args))
        except ImportFailed as e:
            store.close()
            if new:  # a cache this import created holds nothing: it does not stay behind
                remove_atlas(cache)
            raise CLIError(f"import rejected, nothing changed: {e}") from None
        dt = time.perf_counter() - t
        rebuild_snapshot(store, None, if_changed=True)
        out = {
            "files": s.files,
            "records": s.records,
            "edges": s.edges,
            "self_loops_dropped": s.self_loops,
            "placeholders_added": s.placeholders_added,
            "formats": s.formats,
            "quarantined": s.quarantined,
            "notes": s.notes,
            "seconds": round(dt, 2),
        }
        for note in s.notes:
            print(f"hubatlas: {note}", file=sys.stderr)
        emit(
            args,
            out,
            f"imported {s.records:,} records ({s.edges:,} edges, {s.placeholders_added:,} placeholders, "
            f"{s.self_loops} self-loops dropped) from {s.files} file(s) in {dt:.1f} s"
            + (
                f"; {s.quarantined:,} unreadable rows kept in the `quarantine` table" if s.quarantined else ""
            ),
        )
    return 0


def remove_atlas(cache: Path) -> None:
    """Remove what opening a new cache created (the database and its side files; the folder when empty)."""
    for p in cache.glob(DB_NAME + "*"):
        p.unlink(missing_ok=True)
    (cache / "atlas.lock").unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        cache.rmdir()


def cmd_stats(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        st = store.stats()
        st["data_source"] = data_source(store.meta())
    if args.json:
        print_json(st)
        return 0
    print(f"atlas: {printable(str(st['cache']))}{'  [SYNTHETIC]' if st['synthetic'] else ''}")
    print(
        f"models: {st['models']:,}   placeholders: {st['placeholders']:,}   removed from the Hub: "
        f"{st['removed']:,}   edges: {st['edges']:,}"
    )
    if st["data_source"]:
        print(f"data source: {st['data_source']['text']}")
    print("edges by relation: " + ", ".join(f"{k} {v:,}" for k, v in st["edges_by_relation"].items()))
    if st["inferred_edges"] or st["inferred_relation_types"]:
        print(
            f"inferred (`hubatlas infer`): {st['inferred_edges']:,} proposed parents, "
            f"{st['inferred_relation_types']:,} relation types"
        )
    print("modalities: " + ", ".join(f"{k} {v:,}" for k, v in st["modalities"].items() if v))
    print(
        f"self-loops dropped: {st['self_loops_dropped']}   parent values that are not model ids dropped: "
        f"{st['invalid_parents_dropped']:,}   updated: {st['updated_at']}"
    )
    return 0


def data_source(meta: dict) -> dict | None:
    """Where the atlas's data came from, when a weekly snapshot was imported (`hubatlas get`)."""
    if not meta.get("snapshot_file"):
        return None
    from hubatlas.core.store.snapshot import source_text

    out = {k[len("snapshot_") :]: v for k, v in meta.items() if k.startswith("snapshot_")}
    out["rows"] = int(out.get("rows") or 0)
    out["text"] = source_text(meta)
    return out


def cmd_search(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        hits = store.search(args.query, args.limit)
    if args.json:
        print_json(hits)
        return 0
    if not hits:
        print(f"no model matches {shown(args.query)}", file=sys.stderr)
        return 1
    for h in hits:  # metadata is untrusted: printed as plain text, escape sequences and all removed
        dl = h["downloads"]
        print(
            f"{printable(h['id'])}\t{printable(h['pipeline_tag'] or '-')}\t{dl if dl is not None else '-'}"
            f"{'  (placeholder)' if h['placeholder'] else ''}"
        )
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        rec = store.info(args.model_id)
        if rec is None:
            near = store.search(args.model_id, 5)
            hint = f"; did you mean: {', '.join(printable(h['id']) for h in near)}" if near else ""
            raise CLIError(f"no model {shown(args.model_id)} in the atlas{hint}")
    if args.json:
        print_json(rec)
        return 0
    raw = rec.pop("raw")
    for k, v in rec.items():
        if k in ("parents", "children"):
            continue
        if k == "created_at" and isinstance(v, str) and is_backfilled(v):
            v = f"{BACKFILLED_TEXT} (the Hub's back-filled date {v[:10]})"
        print(f"{k:>14}: {printable(v, 2000)}")
    print(
        "       parents: "
        + (
            ", ".join(f"{printable(p['id'])} ({p['relation']}, {p['source']})" for p in rec["parents"])
            or "none"
        )
    )
    print("      children: " + ", ".join(f"{k} {v}" for k, v in rec["children"].items()))
    print(f"    raw record: {'stored' if raw else 'none'}")
    return 0


def cmd_synth(args: argparse.Namespace) -> int:
    from hubatlas.core.ingest.synth import SynthParams
    from hubatlas.core.ingest.synth_store import write_synthetic

    cache = resolve_cache_dir(args.cache)
    if (cache / DB_NAME).exists() and not args.force:
        raise CLIError(
            f"{cache} already holds an atlas; pass --force to replace it with a synthetic one, "
            "or --cache DIR for another directory"
        )
    t = time.perf_counter()
    with open_store(args, write=True) as store:
        if args.force:
            store.clear()  # under the writer lock: nobody else is writing what is removed
        info = write_synthetic(store, SynthParams(models=args.models, seed=args.seed), progress=None)
        dt = time.perf_counter() - t
        rebuild_snapshot(store, None)
        if args.parquet:
            from hubatlas.core.ingest.parquet_export import export_parquet

            export_parquet(store, Path(args.parquet))
    info["seconds"] = round(dt, 2)
    emit(
        args,
        info,
        f"synthetic hub: {info['models']:,} models, {info['edges']:,} edges (seed {args.seed}) "
        f"in {dt:.1f} s -> {cache}",
    )
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from hubatlas.core.demo import AtlasExists, build_demo, is_demo_atlas
    from hubatlas.core.store.lock import CacheBusy

    out = Path(args.out) if args.out else demo_dir()
    # the bundled demo (no --out) is rebuilt in place; any other atlas only with --force, as `synth` does
    replace = args.force or (not args.out and is_demo_atlas(out))
    try:
        info = build_demo(out, replace=replace, **writer_wait(args))
    except (AtlasExists, CacheBusy) as e:
        raise CLIError(str(e)) from None
    emit(
        args, info, f"demo atlas: {info['models']:,} models, {info['edges']:,} edges -> {printable(str(out))}"
    )
    return 0


def cmd_sync(args: argparse.Namespace) -> int:
    from huggingface_hub.errors import HfHubHTTPError

    from hubatlas.core.ingest.hubclient import HubRefused, HubUnavailable
    from hubatlas.core.ingest.sync import SyncOptions, sync

    opts = SyncOptions(
        endpoint=args.endpoint,
        refresh=args.refresh,
        limit=args.limit,
        author=args.author,
        filters=args.filter or [],
        page_size=args.page_size,
        top_downloads=args.top_downloads,
        progress=progress_flag(args),
    )

    def log(msg: str) -> None:
        print(f"hubatlas: {msg}", file=sys.stderr)

    with open_store(args, write=True) as store:
        try:
            s = sync(store, opts, log=log)
        except (HubUnavailable, HubRefused) as e:
            raise CLIError(str(e)) from None
        except HfHubHTTPError as e:
            status = getattr(getattr(e, "response", None), "status_code", "?")
            detail = getattr(e, "server_message", None) or " ".join(str(e).split())
            raise CLIError(f"the Hub refused the request (HTTP {status}): {detail}") from None
        except ValueError as e:
            raise CLIError(str(e)) from None
        rebuild_snapshot(store, None, if_changed=True)
        q = s.quarantined
    lines = [
        f"sync ({s.mode}{', resumed' if s.resumed else ''}): {s.fetched:,} models from {s.pages:,} pages "
        f"in {s.seconds:.1f} s ({s.models_per_second:,.0f} models/s): {s.new:,} new, {s.updated:,} updated, "
        f"{q:,} quarantined"
        + (f", {s.removed:,} no longer listed (marked removed)" if s.removed else "")
        + (f", {s.restored:,} listed again (restored)" if s.restored else ""),
        "edges: " + ", ".join(f"{k} {v:,}" for k, v in s.edges_by_relation.items()),
    ]
    if any(s.faults.values()):
        lines.append("faults retried: " + ", ".join(f"{k} {v}" for k, v in s.faults.items() if v))
    if q:
        lines.append(f"{q} malformed record(s) kept in the cache's `quarantine` table for inspection")
    emit(args, s.__dict__, "\n".join(lines))
    return 0


def cmd_snapshot(args: argparse.Namespace) -> int:
    with open_store(args, write=True, create=False) as store:
        m = rebuild_snapshot(store, None)
    emit(args, m, None)  # the summary line is on stderr already
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    """The store's commands: import, stats, search, info, synth, demo, sync, snapshot."""
    _add_reads(sub)
    _add_writes(sub)
    _add_sync(sub)


def _add_reads(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser(
        "import",
        help="import Hub API records or the whole-Hub parquet dump",
        description="Import files into the cache in one transaction: a broken file changes nothing.",
        parents=[JSON, QUIET],
    )
    s.add_argument("paths", nargs="+", metavar="PATH", help="JSON, JSONL or parquet files")
    s.add_argument(
        "--format",
        default="auto",
        choices=["auto", "hub-json", "hub-jsonl", "ecosystem-parquet", "hub-snapshot-parquet"],
        help="input format (default: guessed from each file)",
    )
    s.set_defaults(func=cmd_import)

    s = sub.add_parser(
        "stats",
        help="counts of models, edges, relations and modalities",
        description="Summarise the atlas in the cache.",
        parents=[JSON],
    )
    s.set_defaults(func=cmd_stats)

    s = sub.add_parser(
        "search",
        help="find models by id or author prefix",
        description="Prefix search over ids and authors; most downloaded first.",
        parents=[JSON],
    )
    s.add_argument("query", metavar="QUERY")
    s.add_argument("--limit", type=int, default=20, metavar="K", help="at most K results (default 20)")
    s.set_defaults(func=cmd_search)

    s = sub.add_parser(
        "info",
        help="a model's record, parents and children",
        description="Show one model: every stored field, parents with relation, children counts.",
        parents=[JSON],
    )
    s.add_argument("model_id", metavar="MODEL_ID")
    s.set_defaults(func=cmd_info)


def _add_writes(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser(
        "synth",
        help="generate a synthetic hub calibrated on published whole-Hub figures",
        description="Write a synthetic atlas (marked synthetic) into the cache, for scale work.",
        parents=[JSON],
    )
    s.add_argument(
        "--models", type=whole(1), default=100_000, metavar="N", help="number of models (default 100000)"
    )
    s.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    s.add_argument("--parquet", metavar="FILE", help="also export it as an ecosystem-format parquet file")
    s.add_argument("--force", action="store_true", help="replace an atlas already in the cache")
    s.set_defaults(func=cmd_synth)

    s = sub.add_parser(
        "demo",
        help="(re)build the bundled real demo atlas",
        description="Build the demo atlas from the bundled SmolLM2 family and MTEB embedding models.",
        parents=[JSON],
    )
    s.add_argument("--out", metavar="DIR", help="output cache directory (default: resources/demo)")
    s.add_argument("--force", action="store_true", help="replace an atlas already in --out")
    s.set_defaults(func=cmd_demo)
    s = sub.add_parser(
        "snapshot",
        help="rebuild the Arrow snapshot from the store",
        description="Rebuild the memory-mapped Arrow columns (done automatically after changes).",
        parents=[JSON],
    )
    s.set_defaults(func=cmd_snapshot)


def _add_sync(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser(
        "sync",
        help="crawl every public model from the Hub (resumable; --refresh for updates)",
        description="Fetch model metadata from the Hub API into the cache. Each page is committed "
        "with its cursor: an interrupted sync resumes where it stopped. Uses your "
        "huggingface_hub login and HF_ENDPOINT; respects HF_HUB_OFFLINE.",
        parents=[JSON, QUIET],
    )
    s.add_argument(
        "--refresh",
        action="store_true",
        help="only fetch models changed since the last complete sync (and refresh top download counts)",
    )
    s.add_argument(
        "--endpoint", metavar="URL", help="Hub endpoint (default: HF_ENDPOINT or https://huggingface.co)"
    )
    s.add_argument("--limit", type=int, metavar="N", help="stop after N models (a partial atlas)")
    s.add_argument("--author", metavar="NAME", help="only this author's or organisation's models")
    s.add_argument("--filter", action="append", metavar="TAG", help="only models with this tag (repeatable)")
    s.add_argument("--page-size", type=int, default=1000, metavar="N", help="models per page (default 1000)")
    s.add_argument(
        "--top-downloads",
        type=int,
        default=10_000,
        metavar="N",
        help="with --refresh, also refresh counts of the N most downloaded models (default 10000)",
    )
    s.set_defaults(func=cmd_sync)
