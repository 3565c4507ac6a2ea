"""A synthetic Hub calibrated on published whole-Hub figures (see README: "Synthetic hub").

Calibration (Laufer, Oderinwale, Kleinberg 2025; Horwitz et al. 2025; Lee 2024):
- 573,653 lineage edges for 1,860,411 models (about 31% of models have a parent), relation mix finetune 33%,
  adapter 42%, quantized 18%, merge 7%; most models isolated (no parent, no child);
- power-law family sizes with giant families rooted at FLUX.1-dev, Qwen, Llama, gemma, distilbert and SDXL;
- vision families are one hop deep (over 96% at depth 1), language families deeper (a few % at depth >= 5);
- quantized models are leaves; parents are older than their children; createdAt floor 2022-03-02T23:29:04Z;
- licences (apache-2.0 and mit over 60% of those stated), English on over 75% of models declaring a language,
  about 67% of models with a card, heavy-tailed downloads.
Everything is vectorised with numpy; the same seed gives the same hub.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hubatlas.core.common.progress import bar
from hubatlas.core.ingest.synth_calibration import (
    AUTHOR_EXPONENT,
    AUTHOR_OFFSET,
    AUTHOR_SHARE,
    FAMILY_MODALITY_P,
    GIANT_CREATED,
    GIANTS,
    ISOLATED_MODALITY_P,
    LANG_P,
    LANGS,
    LIBRARY,
    LICENSE_P,
    LICENSES,
    MODALITIES,
    MODALITY_TASKS,
    Q_MARK,
    REL_MARK,
    REL_MIX,
    WORDS,
)
from hubatlas.core.store.database import Store, utcnow
from hubatlas.core.store.schema import RELATIONS

DAY0 = np.datetime64("1970-01-01", "D")
FLOOR = int((np.datetime64("2022-03-02", "D") - DAY0).astype(int))
END = int((np.datetime64("2025-07-15", "D") - DAY0).astype(int))
START = int((np.datetime64("2019-01-01", "D") - DAY0).astype(int))

@dataclass
class SynthParams:
    models: int = 100_000
    seed: int = 0
    derived_share: float = 573_653 / 1_860_411


@dataclass
class SynthHub:
    ids: list[str]
    created_day: np.ndarray
    modality: np.ndarray        # index into MODALITIES
    pipeline_tag: list
    library: list
    license: list
    languages: list[list[str]]
    downloads: np.ndarray
    likes: np.ndarray
    card_length: np.ndarray     # -1: no card
    edges: list[tuple[int, int, int]]  # (child, parent, relation code)

    def __len__(self) -> int:
        return len(self.ids)


def _choice(rng, items, p, size):
    return np.asarray(items, dtype=object)[rng.choice(len(items), size=size, p=np.asarray(p) / np.sum(p))]


def generate(params: SynthParams) -> SynthHub:
    """Generate the synthetic hub's columns (no I/O)."""
    rng = np.random.default_rng(params.seed)
    n = int(params.models)
    if n < 1:
        raise ValueError("--models must be at least 1")
    n_derived = int(round(n * params.derived_share)) if n >= 20 else 0

    # ---- families: giants first, then power-law sizes --------------------------------------------------
    sizes = [max(1, int(round(g[5] * n_derived))) for g in GIANTS] if n_derived >= 200 else []
    rest = n_derived - sum(sizes)
    if rest > 0:
        draw = np.minimum(rng.zipf(1.9, size=rest), max(2, rest // 50))
        cut = int(np.searchsorted(np.cumsum(draw), rest))
        draw = draw[: cut + 1]
        draw[-1] -= int(draw.sum() - rest)
        sizes += [int(s) for s in draw if s > 0]
    sizes_a = np.array(sizes, dtype=np.int64)           # derived members per family
    n_fam = len(sizes_a)
    fam_total = sizes_a + 1                              # with the root
    n_isolated = n - int(fam_total.sum())
    if n_isolated < 0:  # tiny hubs: trim the last families
        n_isolated = 0
    # node layout: [families (root, members...)...][isolated...]
    offsets = np.concatenate([[0], np.cumsum(fam_total)[:-1]]).astype(np.int64)
    n_fam_nodes = int(fam_total.sum())
    fam_of = np.repeat(np.arange(n_fam), fam_total)
    local = np.arange(n_fam_nodes) - offsets[fam_of]

    n_giants = min(len(GIANTS), n_fam) if n_derived >= 200 else 0
    fam_mod = rng.choice(len(MODALITIES), size=n_fam, p=FAMILY_MODALITY_P)
    for g in range(n_giants):
        fam_mod[g] = MODALITIES.index(GIANTS[g][1])
    modality = np.concatenate([fam_mod[fam_of], rng.choice(len(MODALITIES), size=n_isolated, p=ISOLATED_MODALITY_P)])

    # ---- tree shape: vision attaches to the root, language models grow deep chains ----------------------
    m_idx = np.flatnonzero(local > 0)
    fm = fam_mod[fam_of[m_idx]]
    p_root = np.where(np.isin(fm, [1, 2]), 0.97, np.where(fm == 0, 0.42, 0.75))
    to_root = rng.random(len(m_idx)) < p_root
    pl = np.where(to_root, 0, np.floor(rng.random(len(m_idx)) * local[m_idx]).astype(np.int64))
    parent = np.full(n, -1, dtype=np.int64)
    parent[m_idx] = offsets[fam_of[m_idx]] + pl

    # relation of each member
    rel = np.full(n, -1, dtype=np.int64)
    for mod_key, mix in REL_MIX.items():
        sel = (fm == 0) if mod_key == "Text" else (fm == 1) if mod_key == "Image" else ~np.isin(fm, [0, 1])
        rel[m_idx[sel]] = rng.choice(4, size=int(sel.sum()), p=mix)
    # quantized models are leaves: re-hang children of quantized nodes onto the quantized node's parent
    for _ in range(64):
        bad = m_idx[rel[parent[m_idx]] == 2]
        if not len(bad):
            break
        parent[bad] = parent[parent[bad]]
    depth = np.zeros(n, dtype=np.int64)
    for _ in range(256):  # parents precede children, so this converges in max-depth rounds
        new = np.where(parent >= 0, depth[np.maximum(parent, 0)] + 1, 0)
        if np.array_equal(new, depth):
            break
        depth = new

    # ---- dates: roots and isolated follow the Hub's growth; members after their parents ----------------
    created = np.empty(n, dtype=np.int64)
    age = rng.exponential(420.0, size=n)
    created[:] = np.clip(END - age, START, END).astype(np.int64)
    for g in range(n_giants):  # the giants' roots keep their real upload dates (approximate, from the Hub)
        created[offsets[g]] = int((np.datetime64(GIANT_CREATED[GIANTS[g][0]], "D") - DAY0).astype(int))
    # within a family, order members by time so every parent (lower local index) is older
    roots = offsets
    span = np.maximum(END - created[roots], 1)
    # m_idx is grouped by family in local order: give each family's members its sorted uniforms in that order
    fam_m = fam_of[m_idx]
    u = rng.random(len(m_idx))
    u_in_fam = u[np.lexsort((u, fam_m))]
    created[m_idx] = created[roots[fam_m]] + 1 + (u_in_fam * (span[fam_m] - 1)).astype(np.int64)
    created = np.maximum(created, FLOOR)
    # parents strictly older: enforce along the tree (depth order)
    for d in range(1, int(depth.max()) + 1 if n else 1):
        at = np.flatnonzero(depth == d)
        created[at] = np.maximum(created[at], created[parent[at]] + 1)

    # ---- merges get extra parents (same family, older, not quantized; language merges may cross families)
    edges_child = list(m_idx)
    edges_parent = list(parent[m_idx])
    edges_rel = list(rel[m_idx])
    merges = m_idx[rel[m_idx] == 3]
    if len(merges):
        k = rng.integers(1, 4, size=len(merges))
        mc = np.repeat(merges, k)
        cand = offsets[fam_of[mc]] + np.floor(rng.random(len(mc)) * local[mc]).astype(np.int64)
        text_roots = roots[fam_mod == 0]
        cross = (modality[mc] == 0) & (rng.random(len(mc)) < 0.35) & (len(text_roots) > 0)
        if cross.any():
            cand[cross] = text_roots[rng.integers(0, len(text_roots), size=int(cross.sum()))]
        ok = (rel[cand] != 2) & (created[cand] < created[mc]) & (cand != parent[mc]) & (cand != mc)
        pairs = np.unique(np.stack([mc[ok], cand[ok]], axis=1), axis=0) if ok.any() else np.zeros((0, 2), int)
        edges_child += list(pairs[:, 0])
        edges_parent += list(pairs[:, 1])
        edges_rel += [3] * len(pairs)

    # ---- attributes ---------------------------------------------------------------------------------
    tasks = np.empty(n, dtype=object)
    libs = np.empty(n, dtype=object)
    for mi, mod in enumerate(MODALITIES):
        at = np.flatnonzero(modality == mi)
        tasks[at] = _choice(rng, *MODALITY_TASKS[mod], len(at))
        libs[at] = _choice(rng, *LIBRARY[mod], len(at))
    # members mostly share their root's task
    same = m_idx[rng.random(len(m_idx)) < 0.9]
    tasks[same] = tasks[roots[fam_of[same]]]
    for g in range(n_giants):
        members = np.arange(offsets[g], offsets[g] + fam_total[g])
        tasks[members[rng.random(len(members)) < 0.95]] = GIANTS[g][2]
        libs[offsets[g]] = GIANTS[g][3]
    libs[m_idx[rel[m_idx] == 1]] = np.where(rng.random(int((rel[m_idx] == 1).sum())) < 0.8, "peft",
                                            libs[m_idx[rel[m_idx] == 1]])
    q = m_idx[rel[m_idx] == 2]
    libs[q] = _choice(rng, ["gguf", "transformers", "mlx", "llama.cpp"], [0.5, 0.32, 0.12, 0.06], len(q))
    tasks[rng.random(n) < np.where(parent >= 0, 0.27, 0.38)] = None
    libs[rng.random(n) < 0.22] = None
    for g in range(n_giants):
        tasks[offsets[g]], libs[offsets[g]] = GIANTS[g][2], GIANTS[g][3]

    lic = _choice(rng, LICENSES, LICENSE_P, n)
    inherit = m_idx[rng.random(len(m_idx)) < 0.7]
    lic[inherit] = lic[parent[inherit]]
    for g in range(n_giants):
        lic[offsets[g]] = GIANTS[g][4]
    lic[rng.random(n) < 0.55] = None

    langs: list[list[str]] = [[] for _ in range(n)]
    is_parent = np.zeros(n, dtype=bool)
    is_parent[parent[parent >= 0]] = True
    declare = rng.random(n) < np.where(is_parent, 0.6, 0.09)
    n_lang = np.where(is_parent, rng.geometric(0.3, size=n), rng.geometric(0.85, size=n))
    for i in np.flatnonzero(declare):
        langs[i] = list(dict.fromkeys(_choice(rng, LANGS, LANG_P, int(n_lang[i]))))

    downloads = np.where(rng.random(n) < 0.45, 0, np.exp(rng.normal(2.0, 2.6, size=n))).astype(np.int64)
    downloads[roots] = (downloads[roots] * 20 + np.exp(rng.normal(6, 2.5, size=len(roots)))).astype(np.int64)
    downloads[roots[:n_giants]] = np.exp(rng.normal(14, 0.8, size=n_giants)).astype(np.int64)
    likes = np.where(rng.random(n) < 0.8, 0, np.sqrt(downloads) * rng.random(n) * 0.2).astype(np.int64)
    has_card = rng.random(n) < 0.67
    card = np.where(is_parent, np.exp(rng.normal(8.6, 0.9, size=n)), np.exp(rng.normal(7.9, 0.9, size=n)))
    card_length = np.where(has_card, card, -1).astype(np.int64)

    ids = _ids(rng, n, parent, rel, roots, n_giants)
    return SynthHub(ids=ids, created_day=created, modality=modality, pipeline_tag=tasks.tolist(),
                    library=libs.tolist(), license=lic.tolist(), languages=langs, downloads=downloads,
                    likes=likes, card_length=card_length,
                    edges=list(zip(map(int, edges_child), map(int, edges_parent), map(int, edges_rel))))


def _authors(rng, n: int) -> np.ndarray:
    k = max(1, int(n * AUTHOR_SHARE))
    w = 1.0 / np.arange(AUTHOR_OFFSET, k + AUTHOR_OFFSET, dtype=np.float64) ** AUTHOR_EXPONENT
    cdf = np.cumsum(w)
    return np.minimum(np.searchsorted(cdf / cdf[-1], rng.random(n)), k - 1)


def _ids(rng, n: int, parent: np.ndarray, rel: np.ndarray, roots: np.ndarray, n_giants: int) -> list[str]:
    author = _authors(rng, n)
    w = np.asarray(WORDS, dtype=object)
    a1, a2 = rng.integers(0, len(w), size=n), rng.integers(0, len(w), size=n)
    ids = [f"{w[x]}-{w[y]}-{i:x}" for i, (x, y) in enumerate(zip(a1.tolist(), a2.tolist()))]
    stems = list(ids)
    for g in range(n_giants):
        stems[int(roots[g])] = GIANTS[g][0].split("/")[1]
    base = list(stems)  # each model's base name: its own for a root, its parent's base for a derivative
    out = [""] * n
    marks = {k: np.asarray(v, dtype=object) for k, v in REL_MARK.items()}
    qmarks = np.asarray(Q_MARK, dtype=object)
    pick = rng.integers(0, 8, size=n)
    # parents precede children within a family, so one pass in index order sees each parent's base first
    par = parent.tolist()
    rl = rel.tolist()
    pk = pick.tolist()
    for i in range(n):
        p = par[i]
        if p >= 0:
            r = rl[i]
            mark = qmarks[pk[i] % len(qmarks)] if r == 2 else marks[r][pk[i] % len(marks[r])]
            # a derivative is named after its base, as on the Hub ("Llama-2-7B" -> "Llama-2-7B-GGUF"), with
            # one marker: an adapter of an adapter is not "...-lora-...-lora"
            base[i] = base[p]
            stems[i] = f"{base[p][:60]}-{mark}-{i:x}"
    au = author.tolist()
    for i in range(n):
        out[i] = f"user{au[i]:x}/{stems[i]}"
    for g in range(n_giants):
        out[int(roots[g])] = GIANTS[g][0]
    return out


def records(h: SynthHub, start: int, stop: int, by_child: dict, days: list[str]) -> list[dict]:
    """Models ``start:stop`` as the Hub API lists them (the fields `sync` asks for), lineage in tags."""
    out = []
    for i in range(start, stop):
        mid = h.ids[i]
        tags = [t for t in (h.library[i], h.pipeline_tag[i]) if t] + list(h.languages[i])
        for pid, r in by_child.get(i, ()):
            tags += [f"base_model:{pid}", f"base_model:{RELATIONS[r]}:{pid}"]
        if h.license[i]:
            tags.append(f"license:{h.license[i]}")
        rec = {"_id": f"{i:024x}", "id": mid, "author": mid.split("/", 1)[0], "createdAt": days[i] + "T12:00:00.000Z",
               "lastModified": days[i] + "T12:00:00.000Z", "downloads": int(h.downloads[i]),
               "likes": int(h.likes[i]), "pipeline_tag": h.pipeline_tag[i], "library_name": h.library[i],
               "tags": tags, "gated": False}
        if h.card_length[i] >= 0:
            rec["cardLength"] = int(h.card_length[i])
        out.append(rec)
    return out


def write_synthetic(store: Store, params: SynthParams, progress: bool | None = None) -> dict:
    """Generate and store a synthetic hub (one transaction); marks the cache as synthetic. Every model goes
    through the same record parser and lineage parser as real Hub records (``record_to_row``)."""
    from hubatlas.core.ingest.records import record_to_row

    h = generate(params)
    n = len(h)
    by_child: dict[int, list[tuple[str, int]]] = {}
    for c, p, r in h.edges:
        by_child.setdefault(c, []).append((h.ids[p], r))
    days = (DAY0 + h.created_day.astype("timedelta64[D]")).astype(str).tolist()
    batch = 50_000
    counts = {r: 0 for r in RELATIONS}
    n_edges = 0
    with store.transaction(), bar(total=n, desc="synth", unit="models", enabled=progress) as pb:
        for s in range(0, n, batch):
            rows, edges = [], []
            for rec in records(h, s, min(n, s + batch), by_child, days):
                row, e, _, _ = record_to_row(rec, "synthetic", keep_raw=False)
                rows.append(row)
                edges += e
            store.upsert_models(rows)
            store.add_edges(edges)
            for e in edges:
                counts[e[2]] += 1
            n_edges += len(edges)
            pb.update(len(rows))
        store.set_meta(synthetic="true", source="synthetic", synth_seed=str(params.seed), synth_models=str(n),
                       created_at=utcnow())
        store.bump_data_version()
    return {"models": n, "edges": n_edges, "edges_by_relation": counts, "seed": params.seed}


def export_parquet(store: Store, path: Path) -> int:
    """Write the cache as an ecosystem-format parquet (model_id, ..., *_parent) and return its rows."""
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    c = store.conn
    parents: dict[str, dict[str, list[str]]] = {}
    for child, par, r in c.execute("SELECT child, parent, relation FROM edges"):
        parents.setdefault(child, {}).setdefault(r, []).append(par)
    cols: dict[str, list] = {k: [] for k in ("model_id", "likes", "downloads", "tags", "pipeline_tag",
                                             "library_name", "createdAt", "licenses", "languages",
                                             "finetune_parent", "adapter_parent", "quantized_parent",
                                             "merge_parent", "parent_model")}
    for mid, lk, dl, tags, tag, lib, cr, lic, langs in c.execute(
            "SELECT id, likes, downloads, tags, pipeline_tag, library_name, created_at, license, languages "
            "FROM models WHERE placeholder=0 ORDER BY rowid"):
        cols["model_id"].append(mid)
        cols["likes"].append(lk)
        cols["downloads"].append(dl)
        cols["tags"].append(json.loads(tags) if tags else [])
        cols["pipeline_tag"].append(tag)
        cols["library_name"].append(lib)
        cols["createdAt"].append(cr)
        cols["licenses"].append([lic] if lic else [])
        cols["languages"].append(json.loads(langs) if langs else [])
        ps = parents.get(mid, {})
        for r, col in (("finetune", "finetune_parent"), ("adapter", "adapter_parent"),
                       ("quantized", "quantized_parent"), ("merge", "merge_parent"), ("unknown", "parent_model")):
            v = ps.get(r)
            cols[col].append(None if not v else v[0] if len(v) == 1 else json.dumps(v))
    table = pa.table(cols)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    return table.num_rows
