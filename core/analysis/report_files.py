"""The report's CSV tables and files beside `index.html`, one function per section."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from hubatlas.core.analysis.lineage_infer import TYPED
from hubatlas.core.analysis.predict import PREDICTED
from hubatlas.core.common import atomic
from hubatlas.core.common.text import csv_cell

PREDICT_COLUMNS = (
    "documented",
    "hidden",
    "accuracy",
    "majority_label",
    "majority_accuracy",
    "accuracy_when_confident",
    "confident_share",
    "paper_accuracy",
    "paper_majority",
)
FAMILY_COLUMNS = (
    "root",
    "size",
    "depth",
    "breadth",
    "roots",
    "relations",
    "licenses",
    "no_license",
    "first",
    "last",
    "models_per_year",
)
JSON_COLUMNS = ("relations", "licenses", "models_per_year")


def write_csv(path: Path, header: list[str], rows) -> None:
    """A CSV table; headers and cells hold untrusted values (licences, tasks, family roots): each goes
    through ``csv_cell``, so none reaches a spreadsheet as a formula or with control characters."""
    with atomic.atomic_output(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow([csv_cell(h) for h in header])
        w.writerows([csv_cell(c) for c in row] for row in rows)


def _table_csv(path: Path, table: dict) -> None:
    write_csv(
        path,
        ["parent \\ child", *table["labels"]],
        ([lab, *row] for lab, row in zip(table["labels"], table["counts"], strict=False)),
    )


def _monthly_csv(path: Path, months: list[str], series: dict) -> None:
    write_csv(
        path,
        ["month", *series["labels"]],
        ([m, *[c[i] for c in series["counts"]]] for i, m in enumerate(months)),
    )


def drift_rows(d: dict):
    """The drift section's single measures as (measure, value) rows."""
    for k, v in d["languages_declared"].items():
        yield [f"languages_{k}", v]
    for k, v in (d["card_length"] or {}).items():
        yield [f"card_{k}", v]
    for k, v in d["license_flow"].items():
        yield [f"license_{k}", v]
    ts = d["tag_similarity"]
    for k in ("parent_child", "siblings", "same_family", "random"):
        yield [f"tag_jaccard_{k}", ts.get(k)]
    for k, v in (d.get("license_resemblance") or {}).items():
        yield [f"same_license_{k}", v]


def write_files(out: Path, res: dict, images: dict) -> None:
    """Every CSV table, the charts as PNG files and the results as JSON."""
    for part in (_predict, _infer, _families, _drift, _trends):
        part(out, res)
    for key, (_, png) in images.items():  # each through atomic: a FIFO or device there is refused, untouched
        atomic.write_bytes(out / f"{key}.png", png)
    atomic.write_text(out / "report.json", json.dumps(res, indent=1))


def _predict(out: Path, res: dict) -> None:
    p = res["predict"]
    rows = ([a, *[p[a][k] for k in PREDICT_COLUMNS]] for a in PREDICTED)
    write_csv(out / "predict_evaluation.csv", ["attribute", *PREDICT_COLUMNS], rows)


def _infer(out: Path, res: dict) -> None:
    inf = res["infer"]
    if (inf.get("relation") or {}).get("evaluated"):
        per = inf["relation"]["per_type"]
        write_csv(
            out / "infer_relations.csv",
            ["relation", "precision", "recall", "support"],
            ([t, per[t]["precision"], per[t]["recall"], per[t]["support"]] for t in TYPED),
        )
    if inf.get("parents"):
        buckets = inf["parents"]["by_confidence"]
        write_csv(out / "infer_parents.csv", list(buckets[0]), [list(b.values()) for b in buckets])


def _families(out: Path, res: dict) -> None:
    rows = (
        [json.dumps(f[c]) if c in JSON_COLUMNS else f[c] for c in FAMILY_COLUMNS] for f in res["families"]
    )
    write_csv(out / "families.csv", list(FAMILY_COLUMNS), rows)


def _drift(out: Path, res: dict) -> None:
    d = res["drift"]
    _table_csv(out / "drift_license.csv", d["license"])
    _table_csv(out / "drift_language.csv", d["language"])
    write_csv(out / "drift_summary.csv", ["measure", "value"], drift_rows(d))
    write_csv(
        out / "findings.csv",
        [
            "finding",
            "this_atlas_a",
            "this_atlas_b",
            "holds",
            "difference",
            "interval_low",
            "interval_high",
            "stable",
        ],
        (
            [
                f["finding"],
                *f["this_atlas"],
                f["holds"],
                *((m["difference"], *m["interval_95"], m["stable"]) if (m := f.get("margin")) else ("",) * 4),
            ]
            for f in d["findings"]
        ),
    )


def _trends(out: Path, res: dict) -> None:
    t = res["trends"]
    if not t.get("months"):
        return
    _monthly_csv(out / "trends_modality.csv", t["months"], t["by_modality"])
    _monthly_csv(out / "trends_task.csv", t["months"], t["by_task"])
    _monthly_csv(out / "trends_relations.csv", t["months"], t["relations"])
    if t["cards"]:
        c = t["cards"]
        write_csv(
            out / "trends_cards.csv",
            ["month", "models", "share_with_card", "mean_length"],
            zip(t["months"], c["models"], c["share_with_card"], c["mean_length"], strict=False),
        )
