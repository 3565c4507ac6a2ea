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
from hubatlas.core.store.database import Store, utcnow
from hubatlas.core.store.schema import RELATIONS

DAY0 = np.datetime64("1970-01-01", "D")
FLOOR = int((np.datetime64("2022-03-02", "D") - DAY0).astype(int))
END = int((np.datetime64("2025-07-15", "D") - DAY0).astype(int))
START = int((np.datetime64("2019-01-01", "D") - DAY0).astype(int))

MODALITY_TASKS = {
    "Text": (["text-generation", "text-classification", "feature-extraction", "sentence-similarity", "fill-mask",
              "token-classification", "text2text-generation", "question-answering", "translation", "summarization"],
             [0.48, 0.14, 0.07, 0.06, 0.05, 0.06, 0.05, 0.04, 0.03, 0.02]),
    "Image": (["text-to-image", "image-classification", "object-detection", "image-segmentation", "image-to-image",
               "image-to-text", "depth-estimation"], [0.55, 0.25, 0.07, 0.05, 0.04, 0.03, 0.01]),
    "Video": (["text-to-video", "image-to-video", "video-classification"], [0.45, 0.3, 0.25]),
    "Audio": (["automatic-speech-recognition", "text-to-speech", "audio-classification", "text-to-audio"],
              [0.55, 0.25, 0.15, 0.05]),
    "Multimodal": (["image-text-to-text", "visual-question-answering", "any-to-any", "document-question-answering"],
                   [0.7, 0.1, 0.1, 0.1]),
    "Tabular": (["tabular-classification", "tabular-regression", "time-series-forecasting"], [0.5, 0.3, 0.2]),
    "Reinforcement learning": (["reinforcement-learning", "robotics"], [0.9, 0.1]),
    "Other": (["graph-ml", "other"], [0.3, 0.7]),
}
MODALITIES = list(MODALITY_TASKS)
ISOLATED_MODALITY_P = [0.52, 0.17, 0.01, 0.08, 0.04, 0.02, 0.12, 0.04]
FAMILY_MODALITY_P = [0.66, 0.20, 0.01, 0.05, 0.05, 0.005, 0.005, 0.02]
LIBRARY = {
    "Text": (["transformers", "sentence-transformers", "peft", "gguf", "mlx", "keras"], [0.8, 0.08, 0.04, 0.04, 0.02, 0.02]),
    "Image": (["diffusers", "timm", "transformers", "ultralytics", "keras"], [0.55, 0.15, 0.2, 0.05, 0.05]),
    "Video": (["diffusers", "transformers"], [0.7, 0.3]),
    "Audio": (["transformers", "nemo", "espnet", "speechbrain"], [0.7, 0.1, 0.1, 0.1]),
    "Multimodal": (["transformers", "mlx", "gguf"], [0.85, 0.08, 0.07]),
    "Tabular": (["sklearn", "keras", "transformers"], [0.6, 0.25, 0.15]),
    "Reinforcement learning": (["stable-baselines3", "ml-agents", "sample-factory", "lerobot"], [0.6, 0.2, 0.15, 0.05]),
    "Other": (["transformers", "pytorch", "onnx"], [0.5, 0.3, 0.2]),
}
LICENSES = ["apache-2.0", "mit", "openrail", "creativeml-openrail-m", "cc-by-4.0", "cc-by-nc-4.0", "other",
            "llama3", "llama3.1", "llama2", "gemma", "cc-by-sa-4.0", "cc-by-nc-sa-4.0", "afl-3.0", "gpl-3.0",
            "bsd-3-clause", "openrail++", "bigscience-openrail-m", "cc0-1.0", "artistic-2.0", "unknown",
            "flux-1-dev-non-commercial-license", "qwen", "agpl-3.0", "lgpl-3.0", "wtfpl", "bigcode-openrail-m",
            "cc-by-nc-nd-4.0", "mpl-2.0", "unlicense"]
LICENSE_P = np.array([0.43, 0.16, 0.05, 0.04, 0.04, 0.035, 0.07, 0.02, 0.015, 0.015, 0.015, 0.012, 0.01, 0.01,
                      0.01, 0.006, 0.006, 0.006, 0.006, 0.003, 0.01, 0.008, 0.005, 0.003, 0.002, 0.002, 0.002,
                      0.002, 0.001, 0.001])
LICENSE_P = LICENSE_P / LICENSE_P.sum()
LANGS = ["en", "zh", "fr", "de", "es", "ru", "ja", "ko", "vi", "ar", "pt", "it", "hi", "tr", "id", "nl", "pl"]
LANG_P = np.array([0.76, 0.044, 0.03, 0.025, 0.025, 0.02, 0.015, 0.012, 0.01, 0.01, 0.01, 0.008, 0.008, 0.007,
                   0.006, 0.005, 0.005])
LANG_P = LANG_P / LANG_P.sum()
# (root id, modality, task, library, licence, share of all derived models)
GIANTS = [
    ("black-forest-labs/FLUX.1-dev", "Image", "text-to-image", "diffusers", "flux-1-dev-non-commercial-license", 0.050),
    ("Qwen/Qwen1.5-0.5B", "Text", "text-generation", "transformers", "other", 0.024),
    ("Qwen/Qwen1.5-1.8B", "Text", "text-generation", "transformers", "other", 0.020),
    ("meta-llama/Meta-Llama-3-8B", "Text", "text-generation", "transformers", "llama3", 0.030),
    ("google/gemma-2b", "Text", "text-generation", "transformers", "gemma", 0.018),
    ("meta-llama/Llama-3.1-8B", "Text", "text-generation", "transformers", "llama3.1", 0.022),
    ("google/gemma-7b", "Text", "text-generation", "transformers", "gemma", 0.014),
    ("distilbert/distilbert-base-uncased", "Text", "text-classification", "transformers", "apache-2.0", 0.013),
    ("Qwen/Qwen2.5-7B", "Text", "text-generation", "transformers", "apache-2.0", 0.012),
    ("stabilityai/stable-diffusion-xl-base-1.0", "Image", "text-to-image", "diffusers", "openrail++", 0.020),
]
# relation mix of derived models (finetune, adapter, quantized, merge) by family modality
REL_MIX = {"Text": [0.33, 0.37, 0.25, 0.05], "Image": [0.30, 0.68, 0.02, 0.0], "default": [0.55, 0.30, 0.12, 0.03]}
Q_MARK = ["GGUF", "GPTQ", "AWQ", "4bit", "8bit", "exl2", "mlx-4bit", "bnb-4bit"]
REL_MARK = {0: ["ft", "sft", "instruct", "chat", "dpo"], 1: ["lora", "qlora", "adapter"], 3: ["merge", "slerp", "ties"]}
WORDS = ("alpha nova tiny mini base large bert gpt t5 vit clip whisper sd llama mistral qwen phi gemma falcon "
         "roberta deberta electra xlm bart pegasus wav2vec hubert yolo detr sam resnet convnext swin beit "
         "ppo dqn sac agent taxi lunar cart pong").split()


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


def _ids(rng, n: int, parent: np.ndarray, rel: np.ndarray, roots: np.ndarray, n_giants: int) -> list[str]:
    n_auth = max(1, n // 5)
    author = np.minimum(rng.zipf(1.6, size=n) - 1, n_auth - 1)
    w = np.asarray(WORDS, dtype=object)
    a1, a2 = rng.integers(0, len(w), size=n), rng.integers(0, len(w), size=n)
    ids = [f"{w[x]}-{w[y]}-{i:x}" for i, (x, y) in enumerate(zip(a1.tolist(), a2.tolist()))]
    stems = list(ids)
    for g in range(n_giants):
        stems[int(roots[g])] = GIANTS[g][0].split("/")[1]
    out = [""] * n
    marks = {k: np.asarray(v, dtype=object) for k, v in REL_MARK.items()}
    qmarks = np.asarray(Q_MARK, dtype=object)
    pick = rng.integers(0, 8, size=n)
    # parents precede children within a family, so one pass in index order sees each parent's stem first
    par = parent.tolist()
    rl = rel.tolist()
    pk = pick.tolist()
    for i in range(n):
        p = par[i]
        if p >= 0:
            r = rl[i]
            mark = qmarks[pk[i] % len(qmarks)] if r == 2 else marks[r][pk[i] % len(marks[r])]
            # a derivative is named after its base, as on the Hub ("Llama-2-7B" -> "Llama-2-7B-GGUF")
            stems[i] = f"{stems[p][:60]}-{mark}-{i:x}"
    au = author.tolist()
    for i in range(n):
        out[i] = f"user{au[i]:x}/{stems[i]}"
    for g in range(n_giants):
        out[int(roots[g])] = GIANTS[g][0]
    return out


def _tags(h: SynthHub, i: int, parents: list[tuple[str, int]]) -> str:
    parts = []
    if h.library[i]:
        parts.append(h.library[i])
    if h.pipeline_tag[i]:
        parts.append(h.pipeline_tag[i])
    parts += h.languages[i]
    for pid, r in parents:
        parts.append(f"base_model:{pid}")
        parts.append(f"base_model:{RELATIONS[r]}:{pid}")
    if h.license[i]:
        parts.append(f"license:{h.license[i]}")
    return '["' + '","'.join(parts) + '"]' if parts else "[]"


def write_synthetic(store: Store, params: SynthParams, progress: bool | None = None) -> dict:
    """Generate and store a synthetic hub (one transaction); marks the cache as synthetic."""
    h = generate(params)
    n = len(h)
    by_child: dict[int, list[tuple[str, int]]] = {}
    for c, p, r in h.edges:
        by_child.setdefault(c, []).append((h.ids[p], r))
    days = (DAY0 + h.created_day.astype("timedelta64[D]")).astype(str).tolist()
    dl, lk, cl = h.downloads.tolist(), h.likes.tolist(), h.card_length.tolist()
    batch = 50_000
    with store.transaction(), bar(total=n, desc="synth", unit="models", enabled=progress) as pb:
        for s in range(0, n, batch):
            rows = []
            for i in range(s, min(n, s + batch)):
                mid = h.ids[i]
                langs = h.languages[i]
                rows.append((
                    mid, mid.split("/", 1)[0], days[i] + "T12:00:00.000Z", days[i] + "T12:00:00.000Z", dl[i], lk[i],
                    h.pipeline_tag[i], h.library[i], h.license[i],
                    '["' + '","'.join(langs) + '"]' if langs else "[]",
                    _tags(h, i, by_child.get(i, [])), "false", cl[i] if cl[i] >= 0 else None, "synthetic", None,
                ))
            store.upsert_models(rows)
            pb.update(len(rows))
        store.add_edges((h.ids[c], h.ids[p], RELATIONS[r], "tag") for c, p, r in h.edges)
        store.set_meta(synthetic="true", source="synthetic", synth_seed=str(params.seed), synth_models=str(n),
                       created_at=utcnow())
        store.bump_data_version()
    counts = {r: 0 for r in RELATIONS}
    for _, _, r in h.edges:
        counts[RELATIONS[r]] += 1
    return {"models": n, "edges": len(h.edges), "edges_by_relation": counts, "seed": params.seed}


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
