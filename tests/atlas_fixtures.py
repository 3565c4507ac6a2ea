"""Hand-built atlases with known positions for render and window tests."""

from __future__ import annotations

import numpy as np
from helpers import rec, write_json

from hubatlas.core.ingest.files import import_paths
from hubatlas.core.layout.pipeline import apply_to_snapshot
from hubatlas.core.store.database import Store
from hubatlas.core.store.snapshot import build, open_snapshot

# id -> (x, y, record extras)
KNOWN = {
    "org/text-model": (
        -0.5,
        -0.5,
        {
            "pipeline_tag": "text-generation",
            "tags": ["license:mit"],
            "createdAt": "2022-05-01T00:00:00.000Z",
            "downloads": 5000,
        },
    ),
    "org/image-model": (
        0.5,
        0.5,
        {
            "pipeline_tag": "image-classification",
            "tags": ["license:apache-2.0"],
            "createdAt": "2023-05-01T00:00:00.000Z",
            "downloads": 10,
        },
    ),
    "org/audio-model": (
        0.5,
        -0.5,
        {
            "pipeline_tag": "automatic-speech-recognition",
            "tags": ["license:mit"],
            "createdAt": "2024-05-01T00:00:00.000Z",
            "downloads": 0,
        },
    ),
    "org/text-ft": (
        -0.45,
        -0.35,
        {
            "pipeline_tag": "text-generation",
            "tags": ["base_model:finetune:org/text-model", "license:apache-2.0"],
            "createdAt": "2025-05-01T00:00:00.000Z",
            "downloads": 50,
        },
    ),
    "org/newest": (
        -0.5,
        0.5,
        {
            "pipeline_tag": "text-classification",
            "tags": ["license:mit"],
            "createdAt": "2025-09-01T00:00:00.000Z",
            "downloads": 7,
        },
    ),
}


def make_known_atlas(cache, ids=None, layout=True):
    ids = list(KNOWN) if ids is None else ids
    recs = []
    for mid in ids:
        extra = dict(KNOWN[mid][2])
        recs.append(rec(mid, **extra))
    with Store(cache) as s:
        import_paths(s, [write_json(cache.parent / f"{cache.name}.json", recs)])
        build(s)
    snap = open_snapshot(cache)
    if layout:
        order = snap.nodes.column("id").to_pylist()
        xy = np.array(
            [[KNOWN[m][0], KNOWN[m][1]] if m in KNOWN else [np.nan, np.nan] for m in order], np.float32
        )
        apply_to_snapshot(snap, xy, {"backend": "test"})
    return open_snapshot(cache)


TASKS = [
    "text-generation",
    "image-classification",
    "automatic-speech-recognition",
    "text-classification",
    None,
]
LICENCES = ["mit", "apache-2.0", "llama3", None]


def make_random_atlas(cache, n: int = 3000, seed: int = 0):
    """``n`` models in a few dense blobs, with varied tasks, licences, creation dates and downloads, laid out
    at known random positions (for level-of-detail, tiling and styling tests)."""
    rng = np.random.default_rng(seed)
    recs = []
    for i in range(n):
        task, lic = TASKS[i % len(TASKS)], LICENCES[(i // 5) % len(LICENCES)]
        extra = {
            "createdAt": f"{2021 + i % 5}-{1 + i % 12:02d}-15T00:00:00.000Z",
            "downloads": int(rng.integers(0, 100_000)),
            "tags": [f"license:{lic}"] if lic else [],
        }
        if task:
            extra["pipeline_tag"] = task
        recs.append(rec(f"org{i % 40}/model-{i}", **extra))
    with Store(cache) as s:
        import_paths(s, [write_json(cache.parent / f"{cache.name}.json", recs)])
        build(s)
    snap = open_snapshot(cache)
    centres = rng.uniform(-0.8, 0.8, (6, 2))
    xy = centres[rng.integers(0, 6, len(snap))] + rng.normal(0, 0.08, (len(snap), 2))
    apply_to_snapshot(snap, np.clip(xy, -1, 1).astype(np.float32), {"backend": "test"})
    return open_snapshot(cache)


def lower_every_threshold(monkeypatch, cache):
    """Lower the viewer's thresholds a test atlas (60K models) does not reach, so every one of them is crossed
    (checked against the atlas at ``cache``); returns its snapshot."""
    from hubatlas.core.store.snapshot import open_snapshot
    from hubatlas.viewer.layers import limits

    snap = open_snapshot(cache)
    lowered = {
        "EDGE_BUDGET": 2_000,
        "FAMILY_MARKERS": 500,
        "LINEAGE_EDGES": 500,
        "LINEAGE_DRAWN": 200,
        "FAMILY_RINGS": 100,
        "LABELS_DRAWN": 6,
        "CHILDREN_SHOWN": 20,
        "FILTER_VALUES": 8,
    }
    for name, value in lowered.items():
        monkeypatch.setattr(limits, name, value)
    sizes = {
        "MIN_SAMPLE": len(snap),
        "START_SAMPLE": len(snap),
        "SHOWN_FRACTION_SAMPLE": len(snap),
        "CHUNK": len(snap),
        "EDGE_BUDGET": snap.edges.num_rows,
    }
    for name, have in sizes.items():
        assert have > getattr(limits, name), f"the test atlas is not above {name}"
    assert set(limits.THRESHOLDS) <= set(sizes) | set(lowered)  # every named threshold is crossed here
    return snap
