"""The report's charts (PNG bytes from the Agg canvas), one function per section of the report."""

from __future__ import annotations

from hubatlas.core.analysis import charts
from hubatlas.core.analysis.lineage_infer import TYPED
from hubatlas.core.analysis.predict import PREDICTED

Charts = dict[str, tuple[str, bytes]]  # key -> (title, PNG)


def report_charts(res: dict) -> Charts:
    """Every chart of the report for the analyses' results ``res``."""
    img: Charts = {}
    for part in (_predict, _infer, _families, _drift, _trends):
        part(res, img)
    return img


def _predict(res: dict, img: Charts) -> None:
    p = res["predict"]
    img["predict"] = (
        "Attribute prediction: accuracy on hidden values",
        charts.grouped_bars(
            list(PREDICTED),
            {
                "hubatlas": [p[a]["accuracy"] for a in PREDICTED],
                "majority label": [p[a]["majority_accuracy"] for a in PREDICTED],
                "paper": [p[a]["paper_accuracy"] for a in PREDICTED],
                "paper majority": [p[a]["paper_majority"] for a in PREDICTED],
            },
            "Accuracy on hidden documented values",
            "accuracy",
            (0, 1),
        ),
    )


def _infer(res: dict, img: Charts) -> None:
    rel = res["infer"].get("relation")
    if rel and rel.get("evaluated"):
        per = rel["per_type"]
        img["infer"] = (
            "Lineage inference: relation types",
            charts.grouped_bars(
                list(TYPED),
                {
                    "precision": [per[t]["precision"] for t in TYPED],
                    "recall": [per[t]["recall"] for t in TYPED],
                },
                "Relation types of hidden edges",
                "",
                (0, 1),
            ),
        )


def _families(res: dict, img: Charts) -> None:
    fams = res["families"]
    if fams:
        rels = ["finetune", "adapter", "quantized", "merge", "unknown"]
        img["families"] = (
            "Largest families",
            charts.horizontal_bars(
                [f["root"] or "?" for f in fams],
                {r: [f["relations"].get(r, 0) for f in fams] for r in rels},
                "Largest families: members by relation",
            ),
        )


def _drift(res: dict, img: Charts) -> None:
    d = res["drift"]
    for key, title in (
        ("license", "Licence: parent → child"),
        ("language", "First language: parent → child"),
    ):
        if d[key]["labels"]:
            img[f"drift_{key}"] = (title, charts.heatmap(d[key]["labels"], d[key]["counts"], title))


def _trends(res: dict, img: Charts) -> None:
    t = res["trends"]
    if not t.get("months"):
        return
    m = t["months"]
    img["trends_modality"] = (
        "Models created per month by modality",
        charts.monthly_lines(m, t["by_modality"], "Models per month by modality", stacked=True),
    )
    img["trends_task"] = (
        "Models created per month by task",
        charts.monthly_lines(m, t["by_task"], "Models per month by task (top tasks)"),
    )
    img["trends_relations"] = (
        "Lineage relations per month",
        charts.monthly_lines(m, t["relations"], "New lineage edges per month by relation"),
    )
    if t["cards"]:
        img["trends_card_share"] = (
            "Share of models with a card",
            charts.values_over_months(
                m, t["cards"]["share_with_card"], "Share of new models with a model card", "share"
            ),
        )
        img["trends_card_length"] = (
            "Card length",
            charts.values_over_months(
                m, t["cards"]["mean_length"], "Mean model card length of new models", "characters"
            ),
        )
