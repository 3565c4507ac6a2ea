"""Labels for what a view shows: how a narrowed map is named, how much of the map the overview's names reach,
whether the largest families are named by zoom 2, and what naming a view costs.

    python -m bench.view_labels --cache DIR        # an atlas with a layout (e.g. the real 2024-07 one)

- narrowed: overview labels (min_zoom 1) of the views the window offers: downloads >= 100, task
  text-generation + licence apache-2.0, as of 2022-10-01 (and whether any names a family made later);
- coverage: the share of all models, and of those without a task, within 0.15 (of the [-1, 1] square) of an
  overview label;
- families: of the 20 largest families, how many have a label at zoom <= 2 on their own ground (at least 25%
  of the 200 models nearest it are the family's);
- overview: how many labels, and how many are >= 80% precise (of the 50 models nearest a label, the share
  that are what it names: its family or families, its account, task, library or word, no task for an
  "Untagged" label, the word among their name's topics for a topic);
- cost: milliseconds to name a view (labels_from_basis on a sample, the window's path), median and p95 over
  a set of narrowings, after the basis is loaded; with ``--scale-to N``, the same on the basis repeated to
  N nodes (the 2M figure).

Last line: JSON (also bench/results/view_labels.json). Real data is read from where it lies, never copied.
"""

from __future__ import annotations

import argparse
import contextlib
import time
from pathlib import Path

import numpy as np

from bench._util import emit

NEAR = 0.15


def _views(snap) -> dict[str, tuple]:
    from hubatlas.core.common.filters import Filters, parse_day, parse_values, snapshot_mask

    def mask(**kw):
        f = Filters(parse_values(kw.pop("filters", []), snap), **kw)
        return snapshot_mask(snap, f), f.as_of_day

    views = {
        "downloads>=100": mask(min_downloads=100),
        "as_of_2022-10-01": mask(as_of_day=parse_day("2022-10-01")),
    }
    with contextlib.suppress(ValueError):  # an atlas without those values has no such view
        views["text-generation+apache-2.0"] = mask(
            filters=["pipeline_tag=text-generation", "license=apache-2.0"]
        )
    return views


def coverage(snap, table) -> dict:
    from scipy.spatial import cKDTree

    xy = np.stack([snap.column("x"), snap.column("y")], 1).astype(np.float64)
    ok = np.isfinite(xy).all(1) & ~snap.column("placeholder").astype(bool)
    mz = table.column("min_zoom").to_numpy()
    pts = np.stack([table.column("x").to_numpy(), table.column("y").to_numpy()], 1)[mz <= 1]
    if not len(pts):
        return {"coverage_all": 0.0, "coverage_untagged": 0.0}
    d, _ = cKDTree(pts).query(xy[ok], k=1)
    task, _ = snap.codes("pipeline_tag")
    near = d <= NEAR
    return {
        "coverage_all": round(float(near.mean()), 3),
        "coverage_untagged": round(float(near[task[ok] < 0].mean()), 3),
    }


def precision(basis, table) -> dict:
    """Per overview label, the share of its 50 nearest models that are what it names (a family label: any of
    the families it names; untagged: no task; topic: the word among their topics; else its members' most
    common value of its kind)."""
    from scipy.spatial import cKDTree

    tree = cKDTree(np.nan_to_num(basis.xy, nan=9.0))
    shares = []
    for r in table.to_pylist():
        if r["min_zoom"] > 1 or r["kind"] == "model" or not r["members"]:
            continue
        _, near = tree.query([r["x"], r["y"]], k=50)
        m = np.asarray(r["members"])
        if r["kind"] == "untagged":
            ok = basis.codes["task"][near] < 0
        elif r["kind"] == "topic":
            word = np.bincount(basis.topics[:, m][basis.topics[:, m] >= 0]).argmax()
            ok = (basis.topics[:, near] == word).any(0)
        else:
            code = basis.codes[r["kind"]]
            vals = code[m][code[m] >= 0]
            named = np.unique(vals) if r["kind"] == "family" else [np.bincount(vals).argmax()]
            ok = np.isin(code[near], named)
        shares.append(float(ok.mean()))
    return {
        "overview_labels_precise_0.8": f"{sum(x >= 0.8 for x in shares)}/{len(shares)}",
        "overview_label_precision_median": round(float(np.median(shares)), 3) if shares else None,
    }


def family_recall(snap, table) -> dict:
    from scipy.spatial import cKDTree

    fam = snap.column("family").astype(np.int64)
    xy = np.nan_to_num(np.stack([snap.column("x"), snap.column("y")], 1).astype(np.float64), nan=9.0)
    tree = cKDTree(xy)
    d = table.to_pydict()
    at = [i for i in range(table.num_rows) if d["min_zoom"][i] <= 2 and d["kind"][i] != "model"]
    _, near = tree.query([(d["x"][i], d["y"][i]) for i in at], k=200)
    named, missing = 0, []
    for f in np.argsort(-np.bincount(fam))[:20]:
        ok = any((fam[near[j]] == f).mean() >= 0.25 for j in range(len(at)))
        named += ok
        if not ok:
            missing.append(str(snap.nodes.column("id")[int(np.flatnonzero(fam == f)[0])]))
    return {"top20_families_on_own_ground_by_zoom2": int(named), "families_missing": missing[:8]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache", type=Path, required=True, help="an atlas cache with a layout")
    ap.add_argument("--repeat", type=int, default=5, help="timed namings of each view")
    ap.add_argument("--scale-to", type=int, default=0, metavar="N", help="also time the views on N nodes")
    a = ap.parse_args()
    from hubatlas.core.layout import label_regions as lr
    from hubatlas.core.layout.label_basis import ensure_basis
    from hubatlas.core.layout.labels import ensure_labels, labels_from_basis
    from hubatlas.core.store.snapshot import open_snapshot

    snap = open_snapshot(a.cache)
    full = ensure_labels(snap)
    t = time.perf_counter()
    basis = ensure_basis(snap)
    load_s = time.perf_counter() - t
    if basis is None:
        raise SystemExit("the atlas has no layout: run `hubatlas layout` first")
    out: dict = {"nodes": len(snap), "basis_load_seconds": round(load_s, 2)}
    mz = full.column("min_zoom").to_numpy()
    out["overview_labels"] = int((mz <= 1).sum())
    out |= precision(basis, full) | coverage(snap, full) | family_recall(snap, full)
    ms, cpu, day = [], [], snap.column("created_day").astype(np.int64)
    for name, (mask, as_of) in _views(snap).items():
        for _ in range(a.repeat):
            t, c = time.perf_counter(), time.process_time()
            table = labels_from_basis(basis, mask, as_of, sample=lr.VIEW_SAMPLE)
            ms.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
        tz = table.filter(np.asarray(table.column("min_zoom").to_numpy() <= 1))
        out[f"narrowed_{name}"] = {"shown": int(mask.sum()), "overview_labels": tz.num_rows}
        if as_of is not None:  # a family label naming a root made after the date names the future
            later = [
                r["text"]
                for r in tz.to_pylist()
                if r["kind"] == "family" and any(day[m] > as_of for m in r["members"])
            ]
            out[f"narrowed_{name}"]["labels_with_later_models"] = later
    out["view_labels"] = _ms("wall", ms) | _ms("cpu", cpu)
    if a.scale_to:
        out["scaled"] = scaled_cost(basis, [m for m, _ in _views(snap).values()], a.scale_to, a.repeat)
    emit("view_labels", out)


def scaled_cost(basis, masks: list, n: int, repeat: int) -> dict:
    """The cost of naming the same views on a basis of ``n`` nodes: the atlas's basis repeated (positions
    jittered, every per-node array tiled), so the views keep their share of the map."""
    from dataclasses import replace

    from hubatlas.core.layout import label_regions as lr
    from hubatlas.core.layout.labels import labels_from_basis

    take = np.arange(n) % len(basis)
    rng = np.random.default_rng(0)
    big = replace(
        basis,
        xy=np.clip(basis.xy[take] + rng.normal(0, 1e-3, (n, 2)), -1, 1),
        ok=basis.ok[take],
        regions=basis.regions[:, take],
        codes={k: c[take] for k, c in basis.codes.items()},
        topics=basis.topics[:, take],
        downloads=basis.downloads[take],
        created_day=basis.created_day[take],
        names=basis.names.take(take),
    )
    ms, cpu = [], []
    for mask in masks:
        for _ in range(repeat):
            t, c = time.perf_counter(), time.process_time()
            labels_from_basis(big, mask[take], None, sample=lr.VIEW_SAMPLE)
            ms.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
    return {"nodes": n} | _ms("wall", ms) | _ms("cpu", cpu)


def _ms(name: str, ms: list[float]) -> dict:
    """Median and p95 of timings; CPU time too: wall time on a shared machine includes others' work."""
    return {
        f"{name}_ms_median": round(float(np.median(ms)), 1),
        f"{name}_ms_p95": round(float(np.quantile(ms, 0.95)), 1),
    }


if __name__ == "__main__":
    main()
