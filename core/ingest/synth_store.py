"""The synthetic hub (``core.ingest.synth``) written to an atlas: each model as the Hub API lists it, parsed by
the same record and lineage parsers as real Hub records, and stored (drawn and parsed in a child process while
this one writes)."""

from __future__ import annotations

from collections.abc import Iterator

from hubatlas.core.common.progress import bar
from hubatlas.core.ingest.synth import DAY0, SynthHub, SynthParams, generate
from hubatlas.core.store.bulk_load import bulk_load
from hubatlas.core.store.database import Store, utcnow
from hubatlas.core.store.rows import Batch
from hubatlas.core.store.schema import RELATIONS


def records(h: SynthHub, start: int, stop: int, by_child: dict, days: list[str]) -> list[dict]:
    """Models ``start:stop`` as the Hub API lists them (the fields `sync` asks for), lineage in tags."""
    out = []
    downloads = h.downloads[
        start:stop
    ].tolist()  # (a numpy scalar per field and record costs more than all else)
    likes = h.likes[start:stop].tolist()
    card_length = h.card_length[start:stop].tolist()
    for k, i in enumerate(range(start, stop)):
        mid = h.ids[i]
        lib, task, lic = h.library[i], h.pipeline_tag[i], h.license[i]
        tags = [t for t in (lib, task) if t] + h.languages[i]
        for pid, r in by_child.get(i, ()):
            tags += [f"base_model:{pid}", f"base_model:{RELATIONS[r]}:{pid}"]
        if lic:
            tags.append(f"license:{lic}")
        day = days[i] + "T12:00:00.000Z"
        rec = {
            "_id": f"{i:024x}",
            "id": mid,
            "author": mid.split("/", 1)[0],
            "createdAt": day,
            "lastModified": day,
            "downloads": downloads[k],
            "likes": likes[k],
            "pipeline_tag": task,
            "library_name": lib,
            "tags": tags,
            "gated": False,
        }
        if card_length[k] >= 0:
            rec["cardLength"] = card_length[k]
        out.append(rec)
    return out


def _batches(params: SynthParams, size: int = 50_000) -> Iterator[Batch]:
    """The hub's models as batches of rows, each record through the same parser as real Hub records."""
    from hubatlas.core.ingest.records import record_to_row

    h = generate(params)
    by_child: dict[int, list[tuple[str, int]]] = {}
    for c, p, r in h.edges:
        by_child.setdefault(c, []).append((h.ids[p], r))
    days = (DAY0 + h.created_day.astype("timedelta64[D]")).astype(str).tolist()
    for s in range(0, len(h), size):
        b = Batch()
        for rec in records(h, s, min(len(h), s + size), by_child, days):
            row, parents, _, _ = record_to_row(rec, "synthetic", keep_raw=False)
            b.add(row, parents, False)
        yield b


def write_synthetic(store: Store, params: SynthParams, progress: bool | None = None) -> dict:
    """Generate and store a synthetic hub (one transaction); marks the cache as synthetic. Every model goes
    through the same record parser and lineage parser as real Hub records (``record_to_row``). The hub is
    drawn and parsed in a child process while this one writes (both cores)."""
    from hubatlas.core.ingest.producers import in_process

    n = int(params.models)
    if n < 1:
        raise ValueError("--models must be at least 1")
    counts = {r: 0 for r in RELATIONS}
    n_edges = 0
    with store.transaction(), bar(total=n, desc="synth", unit="models", enabled=progress) as pb:
        with bulk_load(store):
            for b in in_process(_batches, (params,), "the synthetic hub's generator"):
                store.write_batch(b, replace_edges=False)
                for e in b.edges:
                    counts[e.relation] += 1
                n_edges += len(b.edges)
                pb.update(len(b))
        store.finish(
            synthetic="true",
            source="synthetic",
            synth_seed=str(params.seed),
            synth_models=str(n),
            created_at=utcnow(),
        )
    return {"models": n, "edges": n_edges, "edges_by_relation": counts, "seed": params.seed}
