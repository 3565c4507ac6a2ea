"""A real-shaped atlas for the exploring tests (issue 36): the synthetic Hub (calibrated power-law families,
heavy-tailed downloads, real task/licence/library mixes) at 60,000 models, above every size threshold of
``viewer.layers.limits`` once the per-view caps are lowered, plus the accounts and names the issue's
reproductions use (an account whose name prefixes another account's, a bare name the data holds only as a
parent, an old id the Hub moved). Positions: each family around its own centre, as a layout places them, so a
family selection, a zoom and a box select real neighbourhoods; computed in a second, not by the minute-long
layout."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from helpers import rec, run_cli, write_json

from hubatlas.core.common.dates import BACKFILLED

MODELS = 60_000

EXTRA = [  # id, downloads, extras
    ("sentence-transformers/all-MiniLM-L6-v2", 40_000_000, {"pipeline_tag": "sentence-similarity"}),
    ("sentence-transformers/all-mpnet-base-v2", 9_000_000, {"pipeline_tag": "sentence-similarity"}),
    ("sentence-transformers/paraphrase-MiniLM-L3-v2", 20_000, {"pipeline_tag": "sentence-similarity"}),
    ("sentence-transformers-testing/stsb-bert-tiny-safetensors", 90_000_000, {}),
    ("embaas/sentence-transformers-e5-large-v2", 80_000_000, {"pipeline_tag": "sentence-similarity"}),
    ("openai/whisper-small", 1_000_000, {"pipeline_tag": "automatic-speech-recognition"}),
    ("openai/whisper-large-v3", 800_000, {"pipeline_tag": "automatic-speech-recognition"}),
    ("me/whisper-ft", 2, {"tags": ["base_model:finetune:whisper"]}),
    (
        "google-bert/bert-base-uncased",
        60_000_000,
        {"createdAt": BACKFILLED + ".000Z", "pipeline_tag": "fill-mask"},
    ),
    ("kid/bert-ft-a", 10, {"tags": ["base_model:finetune:bert-base-uncased"]}),
    ("kid/bert-ft-b", 5, {"tags": ["base_model:finetune:bert-base-uncased"]}),
    # an account the data knows only from children naming its models (as 2024-07 knows sentence-transformers)
    *[
        (f"bge-fan{i}/bge-ft-{i}", 100 + i, {"tags": ["base_model:finetune:BAAI/bge-small-en-v1.5"]})
        for i in range(6)
    ],
    ("someone/BAAI-bge-small-en-v1.5-onnx", 10_000, {}),
]


GIANT = "stabilityai/stable-diffusion-xl-base-1.0"  # the real snapshot's largest family: 4,041 models


def giant_family() -> list[dict]:
    """A family the size and shape of the real snapshot's largest (4,041 models): a root with 3,000 adapters
    and 840 fine-tunes, 200 of those with a quantized child, across 300 accounts."""
    rng = np.random.default_rng(11)
    out = [rec(GIANT, downloads=5_000_000, pipeline_tag="text-to-image")]
    for i in range(3_840):
        kind = "adapter" if i < 3_000 else "finetune"
        dl = int(rng.pareto(1.2) * 50)
        out.append(rec(f"fan{i % 300}/sdxl-{kind}-{i}", downloads=dl, tags=[f"base_model:{kind}:{GIANT}"]))
    for i in range(3_000, 3_200):
        out.append(
            rec(
                f"q{i % 50}/sdxl-finetune-{i}-gguf",
                tags=[f"base_model:quantized:fan{i % 300}/sdxl-finetune-{i}"],
            )
        )
    return out


def build(cache: Path) -> Path:
    """Synthesise, add the named models, snapshot and place every model (see the module's text)."""
    from hubatlas.core.ingest.files import import_paths
    from hubatlas.core.layout.pipeline import apply_to_snapshot
    from hubatlas.core.store.database import Store
    from hubatlas.core.store.snapshot import build as build_snapshot, open_snapshot

    run_cli("synth", "--models", str(MODELS), cache=cache)
    recs = [rec(mid, downloads=dl, **extra) for mid, dl, extra in EXTRA] + giant_family()
    with Store(cache) as s:
        import_paths(s, [write_json(cache.parent / "extra.json", recs)])
        build_snapshot(s)
    snap = open_snapshot(cache)
    fam = snap.column("family").astype(np.int64)
    rng = np.random.default_rng(7)
    centres = rng.uniform(-0.9, 0.9, (int(fam.max()) + 1, 2))
    sizes = np.bincount(fam)
    spread = 0.01 + 0.06 * np.sqrt(sizes / sizes.max())  # big families cover more ground
    xy = centres[fam] + rng.normal(0, 1, (len(fam), 2)) * spread[fam, None]
    apply_to_snapshot(snap, np.clip(xy, -1, 1).astype(np.float32), {"backend": "test"})
    return cache
