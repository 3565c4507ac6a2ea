"""`hubatlas report --out DIR`: every analysis of the atlas in one self-contained HTML file (charts embedded
as PNG, also written beside it) plus CSV tables. Model ids and labels come from untrusted metadata: every
string is HTML-escaped."""

from __future__ import annotations

import time
from pathlib import Path

from hubatlas.core.analysis.data import load
from hubatlas.core.analysis.drift import drift
from hubatlas.core.analysis.families import family_table
from hubatlas.core.analysis.lineage_infer import evaluate_inference
from hubatlas.core.analysis.naive_bayes import NameWords
from hubatlas.core.analysis.predict import evaluate, public
from hubatlas.core.analysis.report_charts import report_charts
from hubatlas.core.analysis.report_files import write_files
from hubatlas.core.analysis.report_html import report_html
from hubatlas.core.analysis.trends import trends
from hubatlas.core.common import atomic
from hubatlas.core.common.progress import bar
from hubatlas.core.store.database import Store
from hubatlas.core.store.snapshot import Snapshot

STEPS = [
    "load",
    "attribute prediction",
    "lineage inference",
    "families",
    "drift",
    "trends",
    "charts",
    "write",
]


def build_report(
    store: Store, snap: Snapshot, out: Path, *, top: int = 20, seed: int = 0, progress: bool | None = None
) -> dict:
    """Run every analysis and write ``out/index.html``, ``out/*.png`` and ``out/*.csv``. Returns a summary
    with each step's seconds."""
    from hubatlas.core.common.regular_files import refuse_atlas_file

    refuse_atlas_file(out / "index.html")  # never a folder of an atlas's own (its snapshot, layouts, ...)
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
        res["predict"] = public(  # accuracy only: the ablation (`predict --evaluate`) would take minutes more
            step("attribute prediction", lambda: evaluate(data, words, seed=seed, ablate=False))
        )
        res["infer"] = step("lineage inference", lambda: evaluate_inference(data, words, seed=seed))
        res["families"] = step("families", lambda: family_table(data, top))
        res["drift"] = step("drift", lambda: drift(store, data, seed))
        res["trends"] = step("trends", lambda: trends(data))
        images = step("charts", lambda: report_charts(res))
        step("write", lambda: _write(out, res, images, snap.manifest))
    total = round(sum(seconds.values()), 2)
    return {
        "out": str(out),
        "nodes": data.n,
        "seconds": seconds,
        "total_seconds": total,
        "files": sorted(p.name for p in out.iterdir()),
    }


def _load(store: Store, snap: Snapshot):
    data = load(store, snap)
    return data, NameWords(data.ids.to_pylist())


def _write(out: Path, res: dict, images: dict, manifest: dict) -> None:
    write_files(out, res, images)
    atomic.write_text(out / "index.html", report_html(res, images, manifest))
