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
from types import SimpleNamespace

import numpy as np

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
    modality: np.ndarray  # index into MODALITIES
    pipeline_tag: list
    library: list
    license: list
    languages: list[list[str]]
    downloads: np.ndarray
    likes: np.ndarray
    card_length: np.ndarray  # -1: no card
    edges: list[tuple[int, int, int]]  # (child, parent, relation code)

    def __len__(self) -> int:
        return len(self.ids)


def _choice(rng, items, p, size):
    return np.asarray(items, dtype=object)[rng.choice(len(items), size=size, p=np.asarray(p) / np.sum(p))]


class _Draft(SimpleNamespace):
    """The hub being drawn, step by step (each step adds its arrays; the random draws keep their order, so a
    seed gives the same hub as before the steps were split)."""


def generate(params: SynthParams) -> SynthHub:
    """Generate the synthetic hub's columns (no I/O)."""
    rng = np.random.default_rng(params.seed)
    n = int(params.models)
    if n < 1:
        raise ValueError("--models must be at least 1")
    t = _families(rng, n, round(n * params.derived_share) if n >= 20 else 0)
    for step in (_tree_shape, _dates, _merges, _tasks_and_libraries, _licences, _languages, _popularity):
        step(rng, t)
    return SynthHub(
        ids=_ids(rng, n, t.parent, t.rel, t.roots, t.n_giants),
        created_day=t.created,
        modality=t.modality,
        pipeline_tag=t.tasks.tolist(),
        library=t.libs.tolist(),
        license=t.lic.tolist(),
        languages=t.langs,
        downloads=t.downloads,
        likes=t.likes,
        card_length=t.card_length,
        edges=list(
            zip(map(int, t.edges_child), map(int, t.edges_parent), map(int, t.edges_rel), strict=True)
        ),
    )


def _families(rng, n: int, n_derived: int) -> _Draft:
    """Families: giants first, then power-law sizes; nodes laid out as [families (root, members...)...]
    [isolated...]; each family's modality."""
    sizes = [max(1, round(g[5] * n_derived)) for g in GIANTS] if n_derived >= 200 else []
    rest = n_derived - sum(sizes)
    if rest > 0:
        draw = np.minimum(rng.zipf(1.9, size=rest), max(2, rest // 50))
        cut = int(np.searchsorted(np.cumsum(draw), rest))
        draw = draw[: cut + 1]
        draw[-1] -= int(draw.sum() - rest)
        sizes += [int(s) for s in draw if s > 0]
    sizes_a = np.array(sizes, dtype=np.int64)  # derived members per family
    t = _Draft(n=n, n_fam=len(sizes_a), fam_total=sizes_a + 1)  # with the root
    t.n_isolated = max(n - int(t.fam_total.sum()), 0)  # tiny hubs: trim the last families
    t.offsets = np.concatenate([[0], np.cumsum(t.fam_total)[:-1]]).astype(np.int64)
    t.roots = t.offsets
    t.fam_of = np.repeat(np.arange(t.n_fam), t.fam_total)
    t.local = np.arange(int(t.fam_total.sum())) - t.offsets[t.fam_of]
    t.n_giants = min(len(GIANTS), t.n_fam) if n_derived >= 200 else 0
    t.fam_mod = rng.choice(len(MODALITIES), size=t.n_fam, p=FAMILY_MODALITY_P)
    for g in range(t.n_giants):
        t.fam_mod[g] = MODALITIES.index(GIANTS[g][1])
    t.modality = np.concatenate(
        [t.fam_mod[t.fam_of], rng.choice(len(MODALITIES), size=t.n_isolated, p=ISOLATED_MODALITY_P)]
    )
    return t


def _tree_shape(rng, t: _Draft) -> None:
    """Vision attaches to the root, language models grow deep chains; each member's relation; quantized
    models are leaves; depth."""
    n = t.n
    t.m_idx = m_idx = np.flatnonzero(t.local > 0)
    fm = t.fam_mod[t.fam_of[m_idx]]
    p_root = np.where(np.isin(fm, [1, 2]), 0.97, np.where(fm == 0, 0.42, 0.75))
    to_root = rng.random(len(m_idx)) < p_root
    pl = np.where(to_root, 0, np.floor(rng.random(len(m_idx)) * t.local[m_idx]).astype(np.int64))
    t.parent = parent = np.full(n, -1, dtype=np.int64)
    parent[m_idx] = t.offsets[t.fam_of[m_idx]] + pl
    t.rel = rel = np.full(n, -1, dtype=np.int64)
    for mod_key, mix in REL_MIX.items():
        sel = (fm == 0) if mod_key == "Text" else (fm == 1) if mod_key == "Image" else ~np.isin(fm, [0, 1])
        rel[m_idx[sel]] = rng.choice(4, size=int(sel.sum()), p=mix)
    # quantized models are leaves: re-hang children of quantized nodes onto the quantized node's parent
    for _ in range(64):
        bad = m_idx[rel[parent[m_idx]] == 2]
        if not len(bad):
            break
        parent[bad] = parent[parent[bad]]
    t.depth = np.zeros(n, dtype=np.int64)
    for _ in range(256):  # parents precede children, so this converges in max-depth rounds
        new = np.where(parent >= 0, t.depth[np.maximum(parent, 0)] + 1, 0)
        if np.array_equal(new, t.depth):
            break
        t.depth = new


def _dates(rng, t: _Draft) -> None:
    """Roots and isolated models follow the Hub's growth; members come after their parents."""
    created = np.empty(t.n, dtype=np.int64)
    age = rng.exponential(420.0, size=t.n)
    created[:] = np.clip(END - age, START, END).astype(np.int64)
    for g in range(t.n_giants):  # the giants' roots keep their real upload dates (approximate, from the Hub)
        created[t.offsets[g]] = int((np.datetime64(GIANT_CREATED[GIANTS[g][0]], "D") - DAY0).astype(int))
    # within a family, order members by time so every parent (lower local index) is older
    span = np.maximum(END - created[t.roots], 1)
    # m_idx is grouped by family in local order: give each family's members its sorted uniforms in that order
    fam_m = t.fam_of[t.m_idx]
    u = rng.random(len(t.m_idx))
    u_in_fam = u[np.lexsort((u, fam_m))]
    created[t.m_idx] = created[t.roots[fam_m]] + 1 + (u_in_fam * (span[fam_m] - 1)).astype(np.int64)
    created = np.maximum(created, FLOOR)
    # parents strictly older: enforce along the tree (depth order)
    for d in range(1, int(t.depth.max()) + 1 if t.n else 1):
        at = np.flatnonzero(t.depth == d)
        created[at] = np.maximum(created[at], created[t.parent[at]] + 1)
    t.created = created


def _merges(rng, t: _Draft) -> None:
    """The edges; merges get extra parents (same family, older, not quantized; language merges may cross
    families)."""
    m_idx, rel = t.m_idx, t.rel
    t.edges_child, t.edges_parent, t.edges_rel = list(m_idx), list(t.parent[m_idx]), list(rel[m_idx])
    merges = m_idx[rel[m_idx] == 3]
    if not len(merges):
        return
    k = rng.integers(1, 4, size=len(merges))
    mc = np.repeat(merges, k)
    cand = t.offsets[t.fam_of[mc]] + np.floor(rng.random(len(mc)) * t.local[mc]).astype(np.int64)
    text_roots = t.roots[t.fam_mod == 0]
    cross = (t.modality[mc] == 0) & (rng.random(len(mc)) < 0.35) & (len(text_roots) > 0)
    if cross.any():
        cand[cross] = text_roots[rng.integers(0, len(text_roots), size=int(cross.sum()))]
    ok = (rel[cand] != 2) & (t.created[cand] < t.created[mc]) & (cand != t.parent[mc]) & (cand != mc)
    pairs = np.unique(np.stack([mc[ok], cand[ok]], axis=1), axis=0) if ok.any() else np.zeros((0, 2), int)
    t.edges_child += list(pairs[:, 0])
    t.edges_parent += list(pairs[:, 1])
    t.edges_rel += [3] * len(pairs)


def _tasks_and_libraries(rng, t: _Draft) -> None:
    n, m_idx, rel, roots = t.n, t.m_idx, t.rel, t.roots
    tasks = np.empty(n, dtype=object)
    libs = np.empty(n, dtype=object)
    for mi, mod in enumerate(MODALITIES):
        at = np.flatnonzero(t.modality == mi)
        tasks[at] = _choice(rng, *MODALITY_TASKS[mod], len(at))
        libs[at] = _choice(rng, *LIBRARY[mod], len(at))
    # members mostly share their root's task
    same = m_idx[rng.random(len(m_idx)) < 0.9]
    tasks[same] = tasks[roots[t.fam_of[same]]]
    for g in range(t.n_giants):
        members = np.arange(t.offsets[g], t.offsets[g] + t.fam_total[g])
        tasks[members[rng.random(len(members)) < 0.95]] = GIANTS[g][2]
        libs[t.offsets[g]] = GIANTS[g][3]
    libs[m_idx[rel[m_idx] == 1]] = np.where(
        rng.random(int((rel[m_idx] == 1).sum())) < 0.8, "peft", libs[m_idx[rel[m_idx] == 1]]
    )
    q = m_idx[rel[m_idx] == 2]
    libs[q] = _choice(rng, ["gguf", "transformers", "mlx", "llama.cpp"], [0.5, 0.32, 0.12, 0.06], len(q))
    tasks[rng.random(n) < np.where(t.parent >= 0, 0.27, 0.38)] = None
    libs[rng.random(n) < 0.22] = None
    for g in range(t.n_giants):
        tasks[t.offsets[g]], libs[t.offsets[g]] = GIANTS[g][2], GIANTS[g][3]
    t.tasks, t.libs = tasks, libs


def _licences(rng, t: _Draft) -> None:
    lic = _choice(rng, LICENSES, LICENSE_P, t.n)
    inherit = t.m_idx[rng.random(len(t.m_idx)) < 0.7]
    lic[inherit] = lic[t.parent[inherit]]
    for g in range(t.n_giants):
        lic[t.offsets[g]] = GIANTS[g][4]
    lic[rng.random(t.n) < 0.55] = None
    t.lic = lic


def _languages(rng, t: _Draft) -> None:
    n = t.n
    t.langs = [[] for _ in range(n)]
    t.is_parent = np.zeros(n, dtype=bool)
    t.is_parent[t.parent[t.parent >= 0]] = True
    declare = rng.random(n) < np.where(t.is_parent, 0.6, 0.09)
    n_lang = np.where(t.is_parent, rng.geometric(0.3, size=n), rng.geometric(0.85, size=n))
    at = np.flatnonzero(declare)
    # one draw for all (the same random stream as one draw per model, in order: a choice with p draws one
    # uniform per item), split per model, each model's repeats dropped
    drawn = _choice(rng, LANGS, LANG_P, int(n_lang[at].sum())).tolist()
    ends = np.cumsum(n_lang[at]).tolist()
    start = 0
    for i, end in zip(at.tolist(), ends, strict=True):
        t.langs[i] = list(dict.fromkeys(drawn[start:end]))
        start = end


def _popularity(rng, t: _Draft) -> None:
    """Downloads (heavy-tailed; roots and giants more), likes, card length (-1: no card)."""
    n, roots = t.n, t.roots
    downloads = np.where(rng.random(n) < 0.45, 0, np.exp(rng.normal(2.0, 2.6, size=n))).astype(np.int64)
    downloads[roots] = (downloads[roots] * 20 + np.exp(rng.normal(6, 2.5, size=len(roots)))).astype(np.int64)
    downloads[roots[: t.n_giants]] = np.exp(rng.normal(14, 0.8, size=t.n_giants)).astype(np.int64)
    t.downloads = downloads
    t.likes = np.where(rng.random(n) < 0.8, 0, np.sqrt(downloads) * rng.random(n) * 0.2).astype(np.int64)
    has_card = rng.random(n) < 0.67
    card = np.where(t.is_parent, np.exp(rng.normal(8.6, 0.9, size=n)), np.exp(rng.normal(7.9, 0.9, size=n)))
    t.card_length = np.where(has_card, card, -1).astype(np.int64)


def _authors(rng, n: int) -> np.ndarray:
    k = max(1, int(n * AUTHOR_SHARE))
    w = 1.0 / np.arange(AUTHOR_OFFSET, k + AUTHOR_OFFSET, dtype=np.float64) ** AUTHOR_EXPONENT
    cdf = np.cumsum(w)
    return np.minimum(np.searchsorted(cdf / cdf[-1], rng.random(n)), k - 1)


def _ids(rng, n: int, parent: np.ndarray, rel: np.ndarray, roots: np.ndarray, n_giants: int) -> list[str]:
    author = _authors(rng, n)
    w = np.asarray(WORDS, dtype=object)
    a1, a2 = rng.integers(0, len(w), size=n), rng.integers(0, len(w), size=n)
    ids = [f"{w[x]}-{w[y]}-{i:x}" for i, (x, y) in enumerate(zip(a1.tolist(), a2.tolist(), strict=False))]
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
