"""The report's `index.html`: one self-contained page (charts embedded as PNG). Model ids and labels come
from untrusted metadata: every string goes through ``printable`` (no control or bidi characters) and is
HTML-escaped."""

from __future__ import annotations

import base64
import html

from hubatlas.core.analysis.lineage_infer import TYPED
from hubatlas.core.analysis.predict import PREDICTED
from hubatlas.core.analysis.report_files import drift_rows
from hubatlas.core.common.text import printable


def e(value: object) -> str:
    """Untrusted text for the page: ``printable`` (bounded), then HTML-escaped."""
    return html.escape(printable(value, 10_000))


STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;color:#222}"
    "table{border-collapse:collapse;margin:1em 0;font-size:13px}td,th{border:1px solid #ccc;"
    "padding:3px 8px;text-align:left}img{max-width:100%}figcaption{font-size:12px;color:#555}"
)
TREND_CHARTS = (
    "trends_modality",
    "trends_task",
    "trends_relations",
    "trends_card_share",
    "trends_card_length",
)


def table(header, rows) -> str:
    head = "".join(f"<th>{e(str(h))}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{e('' if c is None else str(c))}</td>" for c in r) + "</tr>" for r in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def figure(images: dict, key: str) -> str:
    if key not in images:
        return "<p><em>No data for this chart in this atlas.</em></p>"
    title, png = images[key]
    return (
        f'<figure><img alt="{e(title)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'
        f'<figcaption>{e(title)} (<a href="{e(key)}.png">PNG</a>)</figcaption></figure>'
    )


def report_html(res: dict, images: dict, manifest: dict) -> str:
    kind = "synthetic hub (not real data)" if manifest.get("synthetic") else "Hugging Face Hub metadata"
    parts = [
        f"<h1>hubatlas report</h1><p>{manifest.get('nodes', 0):,} models, {manifest.get('edges', 0):,} "
        f"lineage edges · {e(kind)} · snapshot {e(str(manifest.get('built_at', ''))[:10])}</p>"
    ]
    for section in (_predict, _infer, _families, _drift):
        parts += section(res, images)
    parts.append("<h2>5. Trends</h2>")
    parts += [figure(images, k) for k in TREND_CHARTS]
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>hubatlas report</title>"
        f"<style>{STYLE}</style></head><body>{''.join(parts)}</body></html>"
    )


def _predict(res: dict, images: dict) -> list[str]:
    p = res["predict"]
    keys = ("hidden", "accuracy", "majority_label", "majority_accuracy", "paper_accuracy", "paper_majority")
    return [
        "<h2>1. Predicting undocumented attributes</h2><p>20% of each attribute's documented values are "
        "hidden (seeded) and predicted from lineage votes and name/author/attribute neighbours.</p>",
        table(
            ["attribute", "hidden", "accuracy", "majority", "majority accuracy", "paper", "paper majority"],
            [[a, *[p[a][k] for k in keys]] for a in PREDICTED],
        ),
        figure(images, "predict"),
    ]


def _infer(res: dict, images: dict) -> list[str]:
    inf = res["infer"]
    parts = ["<h2>2. Charting undocumented lineage</h2>"]
    r = inf.get("relation")
    if r and not r["evaluated"]:
        parts.append(f"<p>Relation types: not evaluated: {e(r['reason'])}.</p>")
    elif r:
        parts.append(
            f"<p>Relation types of {r['hidden']:,} hidden edges: accuracy {r['accuracy']} "
            f"(majority '{e(r['majority'])}': {r['majority_accuracy']}).</p>"
        )
        per = r["per_type"]
        rows = [[t, per[t]["precision"], per[t]["recall"], per[t]["support"]] for t in TYPED]
        parts += [table(["relation", "precision", "recall", "support"], rows), figure(images, "infer")]
    if inf.get("parents"):
        q = inf["parents"]
        parts.append(
            f"<p>Proposed parents for {q['hidden_children']:,} models whose documented parents were "
            f"hidden: {q['proposed']:,} proposals, precision {q['precision']}, recall {q['recall']}; "
            f"`infer` proposes at confidence {q['threshold'] if q['threshold'] is not None else 'none'} "
            f"(the lowest with precision &ge; {q['target_precision']}).</p>"
        )
        header = ["confidence", "proposed", "precision", "proposed at or above", "precision at or above"]
        parts.append(table([*header, "recall at or above"], [list(b.values()) for b in q["by_confidence"]]))
    return parts


def _families(res: dict, images: dict) -> list[str]:
    def mix(counts: dict) -> str:
        return ", ".join(f"{k} {v:,}" for k, v in counts.items())

    rows = [
        [
            f["root"],
            f["size"],
            f["depth"],
            f["breadth"],
            mix(f["relations"]),
            mix(f["licenses"]),
            f["first"],
            f["last"],
        ]
        for f in res["families"]
    ]
    header = ["root", "size", "depth", "breadth", "relations", "licences", "first", "last"]
    return ["<h2>3. Families</h2>", table(header, rows), figure(images, "families")]


def _interval(m: dict | None) -> str:
    if not m:
        return "—"
    lo, hi = m["interval_95"]
    return f"{m['difference']:g} ({lo:g} to {hi:g})"


def _drift(res: dict, images: dict) -> list[str]:
    d = res["drift"]
    said = {True: "yes", False: "no", None: "no data"}
    rows = [
        [
            f["finding"],
            " vs ".join(str(x) for x in f["this_atlas"]),
            said[f["holds"]] if not f.get("note") else f"{said[f['holds']]} ({f['note']})",
            _interval(f.get("margin")),
        ]
        for f in d["findings"]
    ]
    return [
        "<h2>4. Trait drift</h2>",
        table(
            ["finding (the study)", "this atlas", "holds here", "difference (95% bootstrap interval)"], rows
        ),
        table(["measure", "value"], list(drift_rows(d))),
        figure(images, "drift_license"),
        figure(images, "drift_language"),
    ]
