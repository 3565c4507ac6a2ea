"""Trends over time (the model-reuse study and the hub analysis): models created per month by modality and by
task, the share of models with a card and their card length, and lineage relation types by the child's
month. Every table can be restricted to a node mask (the viewer's current filter)."""

from __future__ import annotations

import numpy as np

from hubatlas.core.analysis.data import AtlasData
from hubatlas.core.common.dates import BACKFILLED_DAY
from hubatlas.core.store.schema import RELATIONS

TOP_TASKS = 8


def _monthly(month: np.ndarray, group: np.ndarray, labels: list[str], m0: int, k: int) -> dict:
    ok = (month >= 0) & (group >= 0)
    g = len(labels)
    table = np.bincount((month[ok] - m0) * g + group[ok], minlength=k * g).reshape(k, g)
    return {"labels": labels, "counts": table.T.tolist()}


def trends(data: AtlasData, mask: np.ndarray | None = None) -> dict:
    """Monthly series: {"months": [...], "by_modality": {...}, "by_task": {...}, "cards": {...},
    "relations": {...}}; counts are per month, in the order of "months"."""
    sel = ~data.placeholder if mask is None else (mask & ~data.placeholder)
    month = np.where(sel, data.month(), -1)
    known = month[month >= 0]
    if len(known) == 0:
        return {"months": [], "nodes": int(sel.sum())}
    m0, m1 = int(known.min()), int(known.max())
    k = m1 - m0 + 1
    out = {
        "months": [f"{1970 + m // 12}-{m % 12 + 1:02d}" for m in range(m0, m1 + 1)],
        "nodes": int(sel.sum()),
        # the Hub's back-filled creation date: created before 2022-03, in no known month (not plotted as one)
        "before_2022_03": int((sel & (data.created_day == BACKFILLED_DAY)).sum()),
    }
    mod, mod_labels = data.modality
    out["by_modality"] = _monthly(month, mod, mod_labels, m0, k)
    task, task_labels = data.attrs["pipeline_tag"]
    freq = np.bincount(task[(task >= 0) & sel], minlength=len(task_labels))
    top = [int(i) for i in np.argsort(-freq, kind="stable")[:TOP_TASKS] if freq[i] > 0]
    remap = np.full(len(task_labels) + 1, len(top), np.int64)
    remap[top] = np.arange(len(top))
    remap[-1] = len(top) + 1
    out["by_task"] = _monthly(
        month, remap[task], [task_labels[i] for i in top] + ["(other)", "(none)"], m0, k
    )
    total = np.bincount(month[month >= 0] - m0, minlength=k)
    if data.cards_recorded:
        card = data.card_length
        has = (month >= 0) & np.isfinite(card)
        with_card = np.bincount(month[has] - m0, minlength=k)
        length = np.bincount(month[has] - m0, weights=card[has], minlength=k)
        out["cards"] = {
            "share_with_card": _div(with_card, total),
            "mean_length": _div(length, with_card),
            "models": total.tolist(),
        }
    else:
        out["cards"] = None
    cm = month[data.child]
    ok = cm >= 0
    out["relations"] = {
        "labels": list(RELATIONS),
        "counts": np.bincount(
            (cm[ok] - m0) * len(RELATIONS) + data.relation[ok], minlength=k * len(RELATIONS)
        )
        .reshape(k, len(RELATIONS))
        .T.tolist(),
    }
    return out


def _div(a: np.ndarray, b: np.ndarray) -> list:
    return [round(float(x) / y, 4) if y else None for x, y in zip(a, b, strict=False)]
