"""What every atlas gets without anyone asking, as the last steps of `hubatlas layout`: lineage documented
without a type is typed (stored as inferred: drawn paler, counted as inferred, a documented type always wins),
and every undocumented task, library, licence and relation is predicted (the map colours those models by their
prediction, paler). Each step is skipped when nothing it depends on changed, so a layout of an unchanged atlas
costs nothing more."""

from __future__ import annotations

import time

import numpy as np

from hubatlas.core.analysis import predict as P
from hubatlas.core.analysis.data import load
from hubatlas.core.analysis.lineage_infer import TYPED, infer_relations
from hubatlas.core.analysis.naive_bayes import NameWords
from hubatlas.core.store.database import Store
from hubatlas.core.store.snapshot import ensure_snapshot


def untyped_edges(store: Store) -> int:
    """Documented edges without a type and without an inferred one yet."""
    return store.conn.execute(
        "SELECT count(*) FROM edges WHERE relation = 'unknown' AND inferred_relation IS NULL AND source != 'inferred'"
    ).fetchone()[0]


def type_lineage(store: Store) -> dict:
    """Type every documented edge without a relation (``inferred_relation``); proposed parents (`infer`)
    are left as they are. Returns what was typed; the caller rebuilds the snapshot."""
    t = time.perf_counter()
    if not untyped_edges(store):
        return {"typed": 0, "skipped": "no untyped lineage", "seconds": 0.0}
    snap = ensure_snapshot(store, progress=False)
    data = load(store, snap)
    words = NameWords(data.ids.to_pylist())
    eidx, rel, conf = infer_relations(data, words)
    ids = data.ids

    def idl(a):
        import pyarrow as pa

        return ids.take(pa.array(np.asarray(a, np.int64))).to_pylist()

    with store.transaction():
        store.conn.executemany(
            "UPDATE edges SET inferred_relation=?, confidence=? WHERE child=? AND parent=? AND relation='unknown' "
            "AND source != 'inferred'",
            zip(
                [TYPED[r] for r in rel.tolist()],
                conf.round(4).tolist(),
                idl(data.child[eidx]),
                idl(data.parent[eidx]),
                strict=True,
            ),
        )
        store.bump_data_version()
    return {
        "typed": len(eidx),
        "typed_by_relation": {r: int((rel == i).sum()) for i, r in enumerate(TYPED)},
        "seconds": round(time.perf_counter() - t, 2),
    }


def predict_missing_values(store: Store) -> dict:
    """Predict every undocumented value and save the predictions beside the atlas (skipped when those of this
    data version are there already)."""
    t = time.perf_counter()
    snap = ensure_snapshot(store, progress=False)
    version = snap.manifest.get("data_version")
    if P.load_predictions(store.dir, version, len(snap)) is not None:
        return {"skipped": "current predictions exist", "seconds": 0.0}
    data = load(store, snap)
    # the learnt weights alone (20 s on the real Hub, against 78 s with the learnt chooser); `hubatlas predict`
    # adds the chooser (1.5 points more on held-out licences) and replaces these
    preds = P.predict_missing(data, NameWords(data.ids.to_pylist()), chooser=False)
    P.save(store.dir, preds, version)
    return {
        "predicted": {a: int((c >= 0).sum()) for a, (c, _, _) in preds.items()},
        "seconds": round(time.perf_counter() - t, 2),
    }
