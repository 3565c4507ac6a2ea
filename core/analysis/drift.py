"""Trait drift along lineage (Laufer, Oderinwale, Kleinberg, "Anatomy of a Machine Learning Ecosystem",
2025): parent → child transition tables for licence and (first) language, languages declared and card
length of parents versus children, and how alike siblings are compared with parent–child pairs (Jaccard of
their tags; and, as the baseline, random pairs of one family and of the whole atlas). ``findings`` checks the
study's reported directions on the user's own atlas, each with a bootstrap margin (drift_margins)."""

from __future__ import annotations

import json

import numpy as np

from hubatlas.core.analysis.data import AtlasData
from hubatlas.core.analysis.drift_margins import family_pairs, margin, random_pairs, same_share
from hubatlas.core.store.database import Store

TOP = 8
PERMISSIVE = {
    "apache-2.0",
    "mit",
    "bsd",
    "bsd-2-clause",
    "bsd-3-clause",
    "cc-by-4.0",
    "cc-by-sa-4.0",
    "cc0-1.0",
    "unlicense",
    "openrail",
    "creativeml-openrail-m",
    "artistic-2.0",
    "afl-3.0",
    "cc-by-3.0",
    "wtfpl",
    "ecl-2.0",
    "isc",
    "zlib",
    "postgresql",
    "bsl-1.0",
    "mpl-2.0",
    "lgpl-3.0",
    "gpl-3.0",
    "agpl-3.0",
    "gpl-2.0",
    "lgpl-2.1",
}
PAIR_SAMPLE = 50_000
MIN_DISTINCT_TAGS = 5  # fewer distinct tags than this (e.g. the demo's sources) carry no similarity signal
_LINEAGE = ("base_model:", "license:")


def _pairs(data: AtlasData) -> tuple[np.ndarray, np.ndarray]:
    ok = ~data.placeholder[data.parent] & ~data.placeholder[data.child]
    return data.parent[ok], data.child[ok]


def transition(
    codes: np.ndarray, labels: list[str], parent: np.ndarray, child: np.ndarray, top: int = TOP
) -> dict:
    """Counts of (parent value → child value) over edges, for the ``top`` parent values; others pooled."""
    pc_, cc_ = codes[parent], codes[child]
    freq = np.bincount(pc_[pc_ >= 0], minlength=len(labels))
    keep = [int(i) for i in np.argsort(-freq, kind="stable")[:top] if freq[i] > 0]
    names = [labels[i] for i in keep] + ["(other)", "(none)"]
    remap = np.full(len(labels) + 1, len(keep), np.int64)  # other
    remap[keep] = np.arange(len(keep))
    remap[-1] = len(keep) + 1  # none (code -1 indexes the last slot)
    r, c = remap[pc_], remap[cc_]
    k = len(names)
    table = np.bincount(r * k + c, minlength=k * k).reshape(k, k)
    return {"labels": names, "counts": table.tolist()}


def _sample_pairs(rng, a: np.ndarray, b: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    if len(a) > k:
        s = rng.choice(len(a), size=k, replace=False)
        return a[s], b[s]
    return a, b


def _sibling_pairs(par: np.ndarray, kid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(par, kind="stable")
    sp_, sk = par[order], kid[order]
    same = np.flatnonzero(sp_[1:] == sp_[:-1])  # adjacent children of one parent
    return sk[same], sk[same + 1]


def tag_similarity(store: Store, data: AtlasData, seed: int = 0) -> dict:
    """Mean Jaccard similarity of tag sets (lineage and licence tags removed) for sampled parent–child
    pairs, sibling pairs (two children of the same parent) and, as baselines, random pairs of one family
    and random pairs of the atlas. ``_values`` holds the per-pair values (for margins; not reported)."""
    rng = np.random.default_rng(seed)
    par, kid = _pairs(data)
    real = np.flatnonzero(~data.placeholder)
    pairs = {
        "parent_child": _sample_pairs(rng, par, kid, PAIR_SAMPLE),
        "siblings": _sample_pairs(rng, *_sibling_pairs(par, kid), PAIR_SAMPLE),
        "same_family": family_pairs(data.family, real, rng, PAIR_SAMPLE),
        "random": random_pairs(real, rng, PAIR_SAMPLE),
    }
    need = np.unique(np.concatenate([x for ab in pairs.values() for x in ab]))
    tags = _tags(store, data, need)

    if len({t for ts in tags.values() for t in ts}) < MIN_DISTINCT_TAGS:
        out: dict = dict.fromkeys(pairs)
        out["pairs"] = dict.fromkeys(pairs, 0)
        out["note"] = "too few distinct tags in this atlas to compare"
        out["_values"] = {}
        return out

    def jaccard(a, b) -> np.ndarray:
        vals = []
        for x, y in zip(a.tolist(), b.tolist(), strict=False):
            ta, tb = tags.get(x, frozenset()), tags.get(y, frozenset())
            if ta or tb:
                vals.append(len(ta & tb) / len(ta | tb))
        return np.asarray(vals, np.float64)

    values = {k: jaccard(*ab) for k, ab in pairs.items()}
    out = {k: (round(float(v.mean()), 4) if len(v) else None) for k, v in values.items()}
    out["pairs"] = {k: len(ab[0]) for k, ab in pairs.items()}
    out["_values"] = values
    return out


def license_resemblance(data: AtlasData, seed: int = 0) -> dict:
    """Share of pairs with the same licence (both declared): parent–child, siblings, and the baselines."""
    rng = np.random.default_rng([seed, 1])
    lic = data.attrs["license"][0]
    par, kid = _pairs(data)
    real = np.flatnonzero(~data.placeholder)
    pairs = {
        "parent_child": (par, kid),
        "siblings": _sibling_pairs(par, kid),
        "same_family": family_pairs(data.family, real, rng, PAIR_SAMPLE),
        "random": random_pairs(real, rng, PAIR_SAMPLE),
    }
    out: dict = {}
    for k, (a, b) in pairs.items():
        out[k], out[f"{k}_pairs"] = same_share(lic, a, b)
    return out


def _tags(store: Store, data: AtlasData, nodes: np.ndarray) -> dict[int, frozenset]:
    """Tag sets of ``nodes`` (snapshot order is the store's rowid order)."""
    rowids = store.conn.execute("SELECT rowid FROM models ORDER BY rowid").fetchall() if len(nodes) else []
    want = {rowids[i][0]: i for i in nodes.tolist()}
    out = {}
    q = "SELECT rowid, tags FROM models WHERE rowid IN (SELECT value FROM json_each(?))"
    keys = list(want)
    for s in range(0, len(keys), 50_000):
        for rid, raw in store.conn.execute(q, (json.dumps(keys[s : s + 50_000]),)):
            try:
                t = json.loads(raw) if raw else []
            except ValueError:
                t = []
            out[want[rid]] = frozenset(x for x in t if isinstance(x, str) and not x.startswith(_LINEAGE))
    return out


def drift(store: Store, data: AtlasData, seed: int = 0) -> dict:
    """Every drift table and statistic, plus the study's findings checked on this atlas."""
    par, kid = _pairs(data)
    lic, lic_labels = data.attrs["license"]
    lang, lang_labels = data.first_lang
    is_parent = np.zeros(data.n, bool)
    is_parent[par] = True
    is_child = np.zeros(data.n, bool)
    is_child[kid] = True
    real = ~data.placeholder
    out: dict = {
        "edges": len(par),
        "license": transition(lic, lic_labels, par, kid),
        "language": transition(lang, lang_labels, par, kid),
    }
    any_langs = bool(data.n_langs.any())  # an atlas whose source records no languages has no data here
    out["languages_declared"] = {
        "mean_per_parent": _mean(data.n_langs[is_parent & real]) if any_langs else None,
        "mean_per_child": _mean(data.n_langs[is_child & real]) if any_langs else None,
        "share_declaring_english": _share(lang_labels, lang, real, "en"),
    }
    card = data.card_length
    if data.cards_recorded:
        both = np.isfinite(card[par]) & np.isfinite(card[kid])
        out["card_length"] = {
            "mean_parent": _mean(card[is_parent & real & np.isfinite(card)]),
            "mean_child": _mean(card[is_child & real & np.isfinite(card)]),
            "mean_change_child_minus_parent": _mean(card[kid[both]] - card[par[both]]),
            "pairs_with_both_cards": int(both.sum()),
        }
    else:
        out["card_length"] = None
    # licence drift toward permissive licences: parent not permissive -> child permissive, and back
    perm = np.array([x in PERMISSIVE for x in lic_labels] + [False])
    known = (lic[par] >= 0) & (lic[kid] >= 0)
    p_perm, c_perm = perm[lic[par]], perm[lic[kid]]
    out["license_flow"] = {
        "to_permissive": int((known & ~p_perm & c_perm).sum()),
        "from_permissive": int((known & p_perm & ~c_perm).sum()),
        "changed": int((known & (lic[par] != lic[kid])).sum()),
        "both_known": int(known.sum()),
    }
    tags = tag_similarity(store, data, seed)
    tv = tags.pop("_values")
    out["tag_similarity"] = tags
    out["license_resemblance"] = license_resemblance(data, seed)
    rng = np.random.default_rng([seed, 2])
    flow = np.where(known & ~p_perm & c_perm, 1.0, np.where(known & p_perm & ~c_perm, -1.0, 0.0))
    out["margins"] = {
        "languages": margin(data.n_langs[is_parent & real], data.n_langs[is_child & real], rng)
        if any_langs
        else None,
        "card_length": margin(
            card[is_parent & real & np.isfinite(card)], card[is_child & real & np.isfinite(card)], rng
        )
        if data.cards_recorded
        else None,
        "license_flow": margin(flow[known], None, rng, stat=np.sum) if known.any() else None,
        "tags": margin(tv["siblings"], tv["parent_child"], rng) if tv else None,
    }
    out["findings"] = findings(out)
    return out


def findings(d: dict) -> list[dict]:
    """The study's reported directions, each checked on this atlas (holds: True/False/None = no data), with
    its bootstrap margin (``margin``; ``stable`` False when it flips on resampling) where there are samples."""
    rows = _findings(d)
    m = d.get("margins") or {}
    for row, key in zip(rows, ("languages", "card_length", "license_flow", "tags"), strict=True):
        row["margin"] = m.get(key)
        if row["holds"] is not None and row["margin"] is not None and not row["margin"]["stable"]:
            row["note"] = "flips on resampling: not a finding on this atlas"
    ts, lr = d["tag_similarity"], d.get("license_resemblance") or {}
    rows[3]["baseline"] = {
        "tags_same_family": ts.get("same_family"),
        "tags_random_pairs": ts.get("random"),
        "license_same_parent_child": lr.get("parent_child"),
        "license_same_family": lr.get("same_family"),
        "license_random_pairs": lr.get("random"),
    }
    return rows


def _findings(d: dict) -> list[dict]:
    rows = []
    ld = d["languages_declared"]
    rows.append(
        _finding(
            "Parents declare more languages than their children (study: 4.18 vs 0.45 per model)",
            ld["mean_per_parent"],
            ld["mean_per_child"],
            lambda a, b: a > b,
        )
    )
    cl = d["card_length"] or {}
    rows.append(
        _finding(
            "Parents' model cards are longer than their children's (study: 9,773 vs 4,402 chars)",
            cl.get("mean_parent"),
            cl.get("mean_child"),
            lambda a, b: a > b,
        )
    )
    lf = d["license_flow"]
    rows.append(
        _finding(
            "Licences drift toward permissive ones (more children leave a restrictive licence for "
            "a permissive one than the reverse)",
            lf["to_permissive"],
            lf["from_permissive"],
            lambda a, b: a > b,
            need=lf["both_known"] > 0,
        )
    )
    ts = d["tag_similarity"]
    rows.append(
        _finding(
            "Siblings are more alike than parent and child (mean Jaccard of tags)",
            ts["siblings"],
            ts["parent_child"],
            lambda a, b: a > b,
        )
    )
    return rows


def _finding(text, a, b, test, need=True) -> dict:
    ok = None if (a is None or b is None or not need) else bool(test(a, b))
    return {"finding": text, "this_atlas": [a, b], "holds": ok}


def _mean(x) -> float | None:
    return round(float(np.mean(x)), 3) if len(x) else None


def _share(labels, codes, mask, value) -> float | None:
    if value not in labels or not mask.any():
        return None
    declared = mask & (codes >= 0)
    return round(float((codes[declared] == labels.index(value)).mean()), 4) if declared.any() else None
