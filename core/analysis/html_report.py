"""`hubatlas report --out DIR`: every analysis of the atlas in one self-contained HTML file (charts embedded
as PNG, also written beside it) plus CSV tables. Model ids and labels come from untrusted metadata: every
string is HTML-escaped."""
from __future__ import annotations

import base64
import csv
import html
import json
import time
from pathlib import Path

from hubatlas.core.analysis import charts
from hubatlas.core.analysis.data import load
from hubatlas.core.analysis.drift import drift
from hubatlas.core.analysis.families import family_table
from hubatlas.core.analysis.lineage_infer import TYPED, evaluate_inference
from hubatlas.core.analysis.naive_bayes import NameWords
from hubatlas.core.analysis.predict import PREDICTED, evaluate, public
from hubatlas.core.analysis.trends import trends
from hubatlas.core.common.progress import bar
from hubatlas.core.store.database import Store
from hubatlas.core.store.snapshot import Snapshot

STEPS = ["load", "attribute prediction", "lineage inference", "families", "drift", "trends", "charts", "write"]


def build_report(store: Store, snap: Snapshot, out: Path, *, top: int = 20, seed: int = 0,
                 progress: bool | None = None) -> dict:
    """Run every analysis and write ``out/index.html``, ``out/*.png`` and ``out/*.csv``. Returns a summary
    with each step's seconds."""
    out.mkdir(parents=True, exist_ok=True)
    seconds: dict[str, float] = {}
    res: dict = {}
    with bar(total=len(STEPS), desc="report", unit="step", enabled=progress) as pb:
        def step(name, fn):
            pb.set_postfix_str(name)
            t = time.perf_counter()
            v = fn()
            seconds[name] = round(time.perf_counter() - t, 2)
            pb.update(1)
            return v

        data, words = step("load", lambda: _load(store, snap))
        res["predict"] = public(step("attribute prediction", lambda: evaluate(data, words, seed=seed)))
        res["infer"] = step("lineage inference", lambda: evaluate_inference(data, words, seed=seed))
        res["families"] = step("families", lambda: family_table(data, top))
        res["drift"] = step("drift", lambda: drift(store, data, seed))
        res["trends"] = step("trends", lambda: trends(data))
        images = step("charts", lambda: _charts(res))
        step("write", lambda: _write(out, res, images, snap.manifest))
    total = round(sum(seconds.values()), 2)
    return {"out": str(out), "nodes": data.n, "seconds": seconds, "total_seconds": total,
            "files": sorted(p.name for p in out.iterdir())}


def _load(store: Store, snap: Snapshot):
    data = load(store, snap)
    return data, NameWords(data.ids.to_pylist())


# -- charts ---------------------------------------------------------------------------------------------------

def _charts(res: dict) -> dict[str, tuple[str, bytes]]:
    img: dict[str, tuple[str, bytes]] = {}
    p = res["predict"]
    img["predict"] = ("Attribute prediction: accuracy on hidden values", charts.grouped_bars(
        list(PREDICTED), {"hubatlas": [p[a]["accuracy"] for a in PREDICTED],
                          "majority label": [p[a]["majority_accuracy"] for a in PREDICTED],
                          "paper": [p[a]["paper_accuracy"] for a in PREDICTED],
                          "paper majority": [p[a]["paper_majority"] for a in PREDICTED]},
        "Accuracy on hidden documented values", "accuracy", (0, 1)))
    rel = res["infer"].get("relation")
    if rel and rel.get("evaluated"):
        per = rel["per_type"]
        img["infer"] = ("Lineage inference: relation types", charts.grouped_bars(
            list(TYPED), {"precision": [per[t]["precision"] for t in TYPED],
                          "recall": [per[t]["recall"] for t in TYPED]},
            "Relation types of hidden edges", "", (0, 1)))
    fams = res["families"]
    if fams:
        rels = ["finetune", "adapter", "quantized", "merge", "unknown"]
        img["families"] = ("Largest families", charts.horizontal_bars(
            [f["root"] or "?" for f in fams],
            {r: [f["relations"].get(r, 0) for f in fams] for r in rels}, "Largest families: members by relation"))
    d = res["drift"]
    for key, title in (("license", "Licence: parent → child"), ("language", "First language: parent → child")):
        if d[key]["labels"]:
            img[f"drift_{key}"] = (title, charts.heatmap(d[key]["labels"], d[key]["counts"], title))
    t = res["trends"]
    if t.get("months"):
        m = t["months"]
        img["trends_modality"] = ("Models created per month by modality",
                                  charts.monthly_lines(m, t["by_modality"], "Models per month by modality", stacked=True))
        img["trends_task"] = ("Models created per month by task",
                              charts.monthly_lines(m, t["by_task"], "Models per month by task (top tasks)"))
        img["trends_relations"] = ("Lineage relations per month",
                                   charts.monthly_lines(m, t["relations"], "New lineage edges per month by relation"))
        if t["cards"]:
            img["trends_card_share"] = ("Share of models with a card", charts.values_over_months(
                m, t["cards"]["share_with_card"], "Share of new models with a model card", "share"))
            img["trends_card_length"] = ("Card length", charts.values_over_months(
                m, t["cards"]["mean_length"], "Mean model card length of new models", "characters"))
    return img


# -- files --------------------------------------------------------------------------------------------------

def _csv(path: Path, header: list[str], rows) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def _table_csv(path: Path, table: dict) -> None:
    _csv(path, ["parent \\ child"] + table["labels"], ([lab] + row for lab, row in zip(table["labels"], table["counts"])))


def _monthly_csv(path: Path, months: list[str], series: dict) -> None:
    _csv(path, ["month"] + series["labels"], ([m] + [c[i] for c in series["counts"]] for i, m in enumerate(months)))


def _write(out: Path, res: dict, images: dict, manifest: dict) -> None:
    p = res["predict"]
    _csv(out / "predict_evaluation.csv",
         ["attribute", "documented", "hidden", "accuracy", "majority_label", "majority_accuracy",
          "accuracy_when_confident", "confident_share", "paper_accuracy", "paper_majority"],
         ([a] + [p[a][k] for k in ("documented", "hidden", "accuracy", "majority_label", "majority_accuracy",
                                   "accuracy_when_confident", "confident_share", "paper_accuracy",
                                   "paper_majority")] for a in PREDICTED))
    inf = res["infer"]
    if (inf.get("relation") or {}).get("evaluated"):
        per = inf["relation"]["per_type"]
        _csv(out / "infer_relations.csv", ["relation", "precision", "recall", "support"],
             ([t, per[t]["precision"], per[t]["recall"], per[t]["support"]] for t in TYPED))
    if inf.get("parents"):
        pa_ = inf["parents"]
        buckets = pa_["by_confidence"]
        _csv(out / "infer_parents.csv", list(buckets[0]), [list(b.values()) for b in buckets])
    _csv(out / "families.csv", ["root", "size", "depth", "breadth", "roots", "relations", "licenses", "no_license",
                                "first", "last", "models_per_year"],
         ([f["root"], f["size"], f["depth"], f["breadth"], f["roots"], json.dumps(f["relations"]),
           json.dumps(f["licenses"]), f["no_license"], f["first"], f["last"], json.dumps(f["models_per_year"])]
          for f in res["families"]))
    d = res["drift"]
    _table_csv(out / "drift_license.csv", d["license"])
    _table_csv(out / "drift_language.csv", d["language"])
    _csv(out / "drift_summary.csv", ["measure", "value"], _drift_rows(d))
    _csv(out / "findings.csv", ["finding", "this_atlas_a", "this_atlas_b", "holds"],
         ([f["finding"], *f["this_atlas"], f["holds"]] for f in d["findings"]))
    t = res["trends"]
    if t.get("months"):
        _monthly_csv(out / "trends_modality.csv", t["months"], t["by_modality"])
        _monthly_csv(out / "trends_task.csv", t["months"], t["by_task"])
        _monthly_csv(out / "trends_relations.csv", t["months"], t["relations"])
        if t["cards"]:
            c = t["cards"]
            _csv(out / "trends_cards.csv", ["month", "models", "share_with_card", "mean_length"],
                 zip(t["months"], c["models"], c["share_with_card"], c["mean_length"]))
    for key, (_, png) in images.items():
        (out / f"{key}.png").write_bytes(png)
    (out / "report.json").write_text(json.dumps(res, indent=1))
    (out / "index.html").write_text(_html(res, images, manifest), encoding="utf-8")


def _drift_rows(d: dict):
    for k, v in d["languages_declared"].items():
        yield [f"languages_{k}", v]
    for k, v in (d["card_length"] or {}).items():
        yield [f"card_{k}", v]
    for k, v in d["license_flow"].items():
        yield [f"license_{k}", v]
    ts = d["tag_similarity"]
    yield ["tag_jaccard_parent_child", ts["parent_child"]]
    yield ["tag_jaccard_siblings", ts["siblings"]]


def _html(res: dict, images: dict, manifest: dict) -> str:
    e = html.escape

    def img(key):
        if key not in images:
            return "<p><em>No data for this chart in this atlas.</em></p>"
        title, png = images[key]
        return (f'<figure><img alt="{e(title)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'
                f"<figcaption>{e(title)} (<a href=\"{e(key)}.png\">PNG</a>)</figcaption></figure>")

    def table(header, rows):
        head = "".join(f"<th>{e(str(h))}</th>" for h in header)
        body = "".join("<tr>" + "".join(f"<td>{e('' if c is None else str(c))}</td>" for c in r) + "</tr>"
                       for r in rows)
        return f"<table><tr>{head}</tr>{body}</table>"

    p, inf, d = res["predict"], res["infer"], res["drift"]
    kind = "synthetic hub (not real data)" if manifest.get("synthetic") else "Hugging Face Hub metadata"
    parts = [f"<h1>hubatlas report</h1><p>{manifest.get('nodes', 0):,} models, {manifest.get('edges', 0):,} "
             f"lineage edges · {e(kind)} · snapshot {e(str(manifest.get('built_at', ''))[:10])}</p>",
             "<h2>1. Predicting undocumented attributes</h2><p>20% of each attribute's documented values are "
             "hidden (seeded) and predicted from lineage votes and name/author/attribute neighbours.</p>",
             table(["attribute", "hidden", "accuracy", "majority", "majority accuracy", "paper", "paper majority"],
                   [[a, p[a]["hidden"], p[a]["accuracy"], p[a]["majority_label"], p[a]["majority_accuracy"],
                     p[a]["paper_accuracy"], p[a]["paper_majority"]] for a in PREDICTED]), img("predict"),
             "<h2>2. Charting undocumented lineage</h2>"]
    if inf.get("relation") and not inf["relation"]["evaluated"]:
        parts.append(f"<p>Relation types: not evaluated: {e(inf['relation']['reason'])}.</p>")
    elif inf.get("relation"):
        r = inf["relation"]
        parts.append(f"<p>Relation types of {r['hidden']:,} hidden edges: accuracy {r['accuracy']} "
                     f"(majority '{e(r['majority'])}': {r['majority_accuracy']}).</p>")
        parts.append(table(["relation", "precision", "recall", "support"],
                           [[t, r["per_type"][t]["precision"], r["per_type"][t]["recall"],
                             r["per_type"][t]["support"]] for t in TYPED]))
        parts.append(img("infer"))
    if inf.get("parents"):
        q = inf["parents"]
        parts.append(f"<p>Proposed parents for {q['hidden_children']:,} models whose documented parents were "
                     f"hidden: {q['proposed']:,} proposals, precision {q['precision']}, recall {q['recall']}; "
                     f"`infer` proposes at confidence {q['threshold'] if q['threshold'] is not None else 'none'} "
                     f"(the lowest with precision &ge; {q['target_precision']}).</p>")
        parts.append(table(["confidence", "proposed", "precision", "proposed at or above", "precision at or above",
                            "recall at or above"], [list(b.values()) for b in q["by_confidence"]]))
    parts.append("<h2>3. Families</h2>")
    parts.append(table(["root", "size", "depth", "breadth", "relations", "licences", "first", "last"],
                       [[f["root"], f["size"], f["depth"], f["breadth"],
                         ", ".join(f"{k} {v:,}" for k, v in f["relations"].items()),
                         ", ".join(f"{k} {v:,}" for k, v in f["licenses"].items()), f["first"], f["last"]]
                        for f in res["families"]]))
    parts.append(img("families"))
    parts.append("<h2>4. Trait drift</h2>")
    parts.append(table(["finding (the study)", "this atlas", "holds here"],
                       [[f["finding"], " vs ".join(str(x) for x in f["this_atlas"]),
                         {True: "yes", False: "no", None: "no data"}[f["holds"]]] for f in d["findings"]]))
    parts.append(table(["measure", "value"], list(_drift_rows(d))))
    parts += [img("drift_license"), img("drift_language")]
    parts.append("<h2>5. Trends</h2>")
    parts += [img(k) for k in ("trends_modality", "trends_task", "trends_relations", "trends_card_share",
                               "trends_card_length")]
    style = ("body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;color:#222}"
             "table{border-collapse:collapse;margin:1em 0;font-size:13px}td,th{border:1px solid #ccc;"
             "padding:3px 8px;text-align:left}img{max-width:100%}figcaption{font-size:12px;color:#555}")
    return ("<!doctype html><html><head><meta charset='utf-8'><title>hubatlas report</title>"
            f"<style>{style}</style></head><body>{''.join(parts)}</body></html>")
