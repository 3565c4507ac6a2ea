"""The analysis commands: predict, infer, families, drift, trends and report."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from hubatlas.core.cli.common import (
    JSON,
    QUIET,
    CLIError,
    cache_for,
    emit,
    open_store,
    progress_flag,
    rebuild_snapshot,
    snapshot_for,
)
from hubatlas.core.cli.numbers import number
from hubatlas.core.common.text import printable


def _open_snapshot(args, write: bool = False):
    """(store, current snapshot) for the cache, with clear errors for a missing, empty or stale atlas."""
    from hubatlas.core.common.paths import DB_NAME

    if write and not (cache_for(args, write=True) / DB_NAME).exists():  # never create an empty atlas here
        raise CLIError(
            f"no atlas in {cache_for(args, write=True)}: fill it with `hubatlas sync`, `hubatlas "
            "import` or `hubatlas synth` first (or pass --cache DIR); `--evaluate` also works on "
            "the bundled demo"
        )
    store = open_store(args, write=write)
    if store.conn.execute("SELECT 1 FROM models LIMIT 1").fetchone() is None:
        store.close()
        raise CLIError(
            "the atlas is empty: fill it with `hubatlas sync`, `hubatlas import` or `hubatlas synth`"
        )
    try:
        snap = snapshot_for(args, store)
    except CLIError:
        store.close()
        raise
    return store, snap


def _open(args, write: bool = False, words: bool = True):
    """(store, snapshot, data, words): the above plus the columns the analyses read (and the name words the
    predictors use, when asked)."""
    from hubatlas.core.analysis.data import load
    from hubatlas.core.analysis.naive_bayes import NameWords

    store, snap = _open_snapshot(args, write)
    data = load(store, snap)
    return store, snap, data, NameWords(data.ids.to_pylist()) if words else None


def cmd_predict(args: argparse.Namespace) -> int:
    from hubatlas.core.analysis import predict as P
    from hubatlas.core.cli.atlas_space import atlas_space

    t = time.perf_counter()
    store, snap, data, words = _open(args, write=not args.evaluate)
    with store:
        space = None if args.no_atlas else atlas_space(store, snap)
        if args.evaluate:
            r = P.public(
                P.evaluate(data, words, seed=args.seed, frac=args.fraction, split=args.split, space=space)
            )
            emit(
                args,
                {"evaluation": r, "split": args.split, "seconds": round(time.perf_counter() - t, 2)},
                "\n".join(_evaluation_lines(r, args)),
            )
            return 0
        if store.readonly:
            raise CLIError(
                f"{store.dir} is read-only: predictions are saved beside the atlas; use a writable "
                "--cache (or `predict --evaluate`, which saves nothing)"
            )
        preds = P.predict_missing(data, words, space)
        path = P.save(store.dir, preds, snap.manifest.get("data_version"))
        summary = {
            a: {"predicted": int((c >= 0).sum()), "confident": int(((c >= 0) & (conf >= 0.8)).sum())}
            for a, (c, conf, _) in preds.items()
        }
        emit(
            args,
            {"predictions": summary, "file": str(path), "seconds": round(time.perf_counter() - t, 2)},
            "\n".join(
                f"{a}: {v['predicted']:,} missing values predicted ({v['confident']:,} with confidence "
                f">= 0.8)"
                for a, v in summary.items()
            )
            + f"\nsaved {path}",
        )
    return 0


def _evaluation_lines(r: dict, args: argparse.Namespace) -> list[str]:
    lines = [
        f"{'attribute':<14}{'hidden':>9}{'accuracy':>10}{'95% interval':>16}{'majority':>10}{'paper':>8}"
        f"{'paper maj.':>11}"
    ]
    for a, v in r.items():
        ci = v.get("accuracy_95")
        lines.append(
            f"{a:<14}{v['hidden']:>9,}{_f(v['accuracy']):>10}"
            f"{(f'{ci[0]:.3f}-{ci[1]:.3f}' if ci else '—'):>16}{_f(v['majority_accuracy']):>10}"
            f"{v['paper_accuracy']:>8.2f}{v['paper_majority']:>11.2f}"
        )
    for a, v in r.items():
        if v.get("signals"):
            lines.append(
                f"{a} signals (learnt weight; accuracy without it): "
                + ", ".join(
                    f"{s} {w:g} ({_f(v['ablation'][f'without {s}'])})" for s, w in v["signals"].items()
                )
                + f"; some signal's own top answer right: {_f(v.get('reachable'))}"
                + (
                    f"; chosen by the learnt combiner (the weighted sum alone: {_f(v['weighted_sum_accuracy'])})"
                    if v.get("combiner")
                    else ""
                )
            )
        if v.get("per_type"):
            lines.append(f"{a} per type (95% intervals):")
        for k, pt in (v.get("per_type") or {}).items():
            lines.append(
                f"  {k:<10} precision {_f(pt['precision'])} {_ci(pt['precision_95'])}  recall "
                f"{_f(pt['recall'])} {_ci(pt['recall_95'])}  support {pt['support']:,}"
            )
    lines += [f"{a}: not evaluated: {v['reason']}" for a, v in r.items() if not v["evaluated"]]
    lines.append(
        f"hidden: {args.fraction:.0%} of "
        + ("each attribute's documented values" if args.split == "random" else "the authors with a value")
        + f" (split {args.split}, seed {args.seed})"
    )
    return lines


def _ci(ci) -> str:
    return f"[{ci[0]:.3f}-{ci[1]:.3f}]" if ci else "[—]"


def cmd_infer(args: argparse.Namespace) -> int:
    from hubatlas.core.analysis import lineage_infer as L

    t = time.perf_counter()
    store, _, data, words = _open(args, write=not args.evaluate)
    with store:
        if args.evaluate:
            from hubatlas.core.cli.inference_text import inference_lines

            r = L.evaluate_inference(data, words, seed=args.seed, frac=args.fraction, split=args.split)
            lines = inference_lines(r)
            emit(args, {"evaluation": r, "seconds": round(time.perf_counter() - t, 2)}, "\n".join(lines))
            return 0
        if store.readonly:
            raise CLIError(f"{store.dir} is read-only: use a writable --cache (or `infer --evaluate`)")
        summary = L.store_inferred(store, data, words, min_confidence=args.min_confidence)
        m = rebuild_snapshot(store, None)
        summary["seconds"] = round(time.perf_counter() - t, 2)
        summary["snapshot_edges"] = m["edges"]
        cal = summary["calibrated"]
        how = (
            f"at confidence >= {summary['min_confidence']:.2f}"
            if summary["min_confidence"] is not None
            else "none: no confidence reaches precision 0.80 on this atlas's held-back lineage"
        )
        if cal:
            how += f" (held-back precision {_f(cal['precision'])}, recall {_f(cal['recall'])})"
        emit(
            args,
            summary,
            f"typed {summary['typed']:,} edges documented without a relation type; proposed "
            f"{summary['proposed']:,} parents (source 'inferred') {how}",
        )
    return 0


def cmd_families(args: argparse.Namespace) -> int:
    from hubatlas.core.analysis.families import family_table

    store, _, data, _ = _open(args, words=False)
    with store:
        rows = family_table(data, args.top)
    text = [f"{'size':>9} {'depth':>5} {'breadth':>8}  root (relations)"]
    text += [
        f"{f['size']:>9,} {f['depth']:>5} {f['breadth']:>8,}  {f['root']}  "
        f"({', '.join(f'{k} {v:,}' for k, v in f['relations'].items())}"
        + (
            f"; typed by inference: {', '.join(f'{k} {v:,}' for k, v in f['inferred_relations'].items())}"
            if f["inferred_relations"]
            else ""
        )
        + ")"
        for f in rows
    ]
    emit(args, rows, "\n".join(text) if rows else "no families (no documented lineage)")
    return 0


def cmd_drift(args: argparse.Namespace) -> int:
    from hubatlas.core.analysis.drift import drift

    store, _, data, _ = _open(args, words=False)
    with store:
        d = drift(store, data, args.seed)
    text = [
        f"{'yes' if f['holds'] else 'no' if f['holds'] is False else 'no data':>8}  {f['finding']}  "
        f"(here: {' vs '.join(str(x) for x in f['this_atlas'])}{_margin_text(f.get('margin'))})"
        + (f"\n{'':>10}{f['note']}" if f.get("note") else "")
        for f in d["findings"]
    ]
    ts, lr = d["tag_similarity"], d["license_resemblance"]
    text.append(
        f"baseline: tag Jaccard parent-child {ts['parent_child']}, siblings {ts['siblings']}, one family "
        f"{ts['same_family']}, random pairs {ts['random']}; same licence parent-child {lr['parent_child']}, "
        f"one family {lr['same_family']}, random pairs {lr['random']}"
    )
    emit(args, d, "\n".join(text))
    return 0


def _margin_text(m: dict | None) -> str:
    if not m:
        return ""
    lo, hi = m["interval_95"]
    held = m["holds_in_share_of_draws"]
    return (
        f"; difference {m['difference']:g}, 95% interval {lo:g} to {hi:g}, "
        f"holds in {held:.0%} of {m['draws']} resamples"
    )


def cmd_trends(args: argparse.Namespace) -> int:
    from hubatlas.core.analysis.trends import trends

    store, _, data, _ = _open(args, words=False)
    with store:
        t = trends(data)
    months = t.get("months", [])
    text = f"{t['nodes']:,} models" + (f", {months[0]} to {months[-1]}" if months else ", no creation dates")
    if t.get("before_2022_03"):
        text += f"; {t['before_2022_03']:,} created before 2022-03 (the Hub's back-filled date: no month)"
    emit(args, t, text + " (use --json for the monthly tables, `hubatlas report` for charts)")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from hubatlas.core.analysis.html_report import build_report

    out = Path(args.out)
    if out.exists() and not out.is_dir():  # a file, a FIFO, a device: never written into nor replaced
        raise CLIError(f"--out {printable(out)}: exists and is not a folder; give a new or existing folder")
    store, snap = _open_snapshot(args)
    with store:
        r = build_report(
            store, snap, Path(args.out), top=args.top, seed=args.seed, progress=progress_flag(args)
        )
    emit(
        args,
        r,
        f"report: {printable(str(Path(args.out) / 'index.html'))} "
        f"({len(r['files'])} files, {r['total_seconds']:.1f} s)",
    )
    return 0


_fraction = number(0.0, 0.99, above_lo=True)  # a share hidden: some must stay visible


def _f(x) -> str:
    return "—" if x is None else f"{x:.3f}"


SEED = argparse.ArgumentParser(add_help=False)
SEED.add_argument("--seed", type=int, default=0, help="random seed for hidden values and samples (default 0)")
EVALUATE = argparse.ArgumentParser(add_help=False)
EVALUATE.add_argument(
    "--evaluate",
    action="store_true",
    help="hide a share of the documented values, predict them and report how many are recovered "
    "(saves nothing)",
)
EVALUATE.add_argument(
    "--fraction", type=_fraction, default=0.2, metavar="F", help="share hidden by --evaluate (default 0.2)"
)


def _add_predict_infer(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser(
        "predict",
        help="predict missing task, library, licence and relation type",
        description="Predict undocumented pipeline_tag, library_name, license and relation type from "
        "lineage and feature neighbours, and save them beside the atlas for the viewer. "
        "--evaluate hides a fraction of the documented values and reports accuracy.",
        parents=[EVALUATE, SEED, JSON],
    )
    s.add_argument(
        "--split",
        choices=("random", "author"),
        default="random",
        help="what --evaluate hides: a share of the documented values (random, default) or every value of a "
        "share of the authors (author: no same-author neighbours to lean on, an honest figure for new authors)",
    )
    s.add_argument(
        "--no-atlas",
        action="store_true",
        help="leave out the atlas-neighbour signal (it rebuilds the layout's feature blocks once per "
        "attribute, blind to that attribute: about 20 s each at 575K models)",
    )
    s.set_defaults(func=cmd_predict)

    s = sub.add_parser(
        "infer",
        help="infer undocumented lineage (relation types, missing parents)",
        description="Type edges documented without a relation and propose parents for models that "
        "declare none, from structural priors; stored as source 'inferred'. --evaluate "
        "hides documented edges and reports precision and recall.",
        parents=[EVALUATE, SEED, JSON],
    )
    s.add_argument(
        "--min-confidence",
        type=number(0.0, 1.0),
        default=None,
        metavar="C",
        help="store proposed parents only at or above this confidence (default: the lowest at which "
        "proposals for held-back documented lineage of this atlas are at least 80%% correct)",
    )
    s.add_argument(
        "--split",
        choices=("random", "author"),
        default="random",
        help="how --evaluate holds back documented children: a share of them (random, default) or every child "
        "of a share of the authors (author: no declarations of the same author to learn from)",
    )
    s.set_defaults(func=cmd_infer)


def add_commands(sub: argparse._SubParsersAction) -> None:
    _add_predict_infer(sub)

    s = sub.add_parser(
        "families",
        help="the largest lineage families and their shape",
        description="Families (weakly connected documented lineage): roots, size, depth, breadth, "
        "relation and licence mix, growth by year.",
        parents=[JSON],
    )
    s.add_argument("--top", type=int, default=20, metavar="K", help="how many families (default 20)")
    s.set_defaults(func=cmd_families)

    s = sub.add_parser(
        "drift",
        help="trait drift from parents to children (licence, language, cards)",
        description="Parent-to-child transition tables and the study's drift findings checked here.",
        parents=[SEED, JSON],
    )
    s.set_defaults(func=cmd_drift)

    s = sub.add_parser(
        "trends",
        help="models per month by modality/task, cards and relations over time",
        description="Monthly trend tables (JSON with --json).",
        parents=[JSON],
    )
    s.set_defaults(func=cmd_trends)

    s = sub.add_parser(
        "report",
        help="write an HTML report with charts and CSV tables of every analysis",
        description="Run every analysis and write DIR/index.html (self-contained), PNG charts and "
        "CSV tables.",
        parents=[SEED, JSON, QUIET],
    )
    s.add_argument("--out", required=True, metavar="DIR", help="output folder (created)")
    s.add_argument("--top", type=int, default=20, metavar="K", help="families listed (default 20)")
    s.set_defaults(func=cmd_report)
