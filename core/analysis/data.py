"""What the analyses read, loaded once and vectorised: the snapshot's columns plus the store columns the
snapshot does not carry (languages, card length, and marker flags found in names, tags and libraries).

Marker flags are the structural priors of the atlas research: quantized models carry quantization markers
(gguf, gptq, awq, exl2, mlx, bnb, 4bit/8bit...), adapters come from peft or say lora/adapter, merges say
merge/mergekit. Lineage tags (``base_model:...``) are removed before looking, so a flag never restates a
documented relation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hubatlas.core.common.dates import BACKFILLED_DAY
from hubatlas.core.common.fields import STORED
from hubatlas.core.common.names import name_part
from hubatlas.core.store.database import Store
from hubatlas.core.store.snapshot import NO_PARENT, RELATION_CODE, Snapshot

# the stored categorical fields (core.common.fields) that `predict` fills in, in the order their evaluation's
# random streams are numbered (a new order would hide other values than the figures in the README were made with)
ATTRIBUTES = ("pipeline_tag", "library_name", "license")
assert set(ATTRIBUTES) == set(STORED), "core.common.fields and the analyses disagree on the stored fields"
QUANT_RE = (
    r"(?i)(^|[^a-z0-9])(gguf|ggml|gptq|awq|exl2|mlx|bnb|bitsandbytes|[2-8][-_]?bits?|int[48]|nf4|fp8|"
    r"q[2-8]_(k|0|1)[a-z0-9_]*|q[0-9]f[0-9]+(_[0-9])?|w[48]a(8|16)|quantized|quantised|imatrix)([^a-z0-9]|$)"
)
ADAPTER_RE = r"(?i)(^|[^a-z0-9])(lora|qlora|peft|adapter|adapters|dora)([^a-z0-9]|$)"
MERGE_RE = r"(?i)(^|[^a-z0-9])(merge|merged|mergekit|slerp|ties|dare|passthrough|frankenmerge)([^a-z0-9]|$)"
QUANT_LIBRARIES = ("gguf", "mlx", "llama.cpp", "exllamav2", "ctranslate2", "gptq", "awq", "mlc-llm", "rkllm")
ADAPTER_LIBRARIES = ("peft",)
_LINEAGE_TAG = r'"base_model:[^"]*",?'
CHUNK = 250_000


_NONE = np.zeros(0)


@dataclass
class AtlasData:
    """Columns of every node (index = snapshot node index) and every documented edge."""

    n: int
    ids: pa.Array
    names: pa.Array  # lower-case name after the namespace
    author: np.ndarray  # int32 code
    attrs: dict[str, tuple[np.ndarray, list[str]]]  # attribute -> (int32 codes, -1 = missing; labels)
    modality: tuple[np.ndarray, list[str]]
    created_day: np.ndarray  # int32 days since 1970-01-01, -1 unknown
    downloads: np.ndarray
    placeholder: np.ndarray
    family: np.ndarray
    root: np.ndarray
    depth: np.ndarray
    parent: np.ndarray  # documented edges: parent, child node indices, relation codes
    child: np.ndarray
    relation: np.ndarray  # uint8 code into RELATIONS (documented; 'unknown' when untyped)
    # read from the store by load() (empty until then)
    n_langs: np.ndarray = field(default_factory=lambda: _NONE)  # int16 number of declared languages
    first_lang: tuple[np.ndarray, list[str]] = field(default_factory=lambda: (_NONE, []))
    card_length: np.ndarray = field(default_factory=lambda: _NONE)  # float64 characters, NaN when unknown
    cards_recorded: bool = False  # whether this atlas's source records model cards at all
    quant: np.ndarray = field(default_factory=lambda: _NONE)  # marker flags
    adapter: np.ndarray = field(default_factory=lambda: _NONE)
    merge: np.ndarray = field(default_factory=lambda: _NONE)
    synthetic: bool = False
    likes: np.ndarray = field(default_factory=lambda: _NONE)
    # per documented edge: the type `layout`/`infer` inferred for it when it was documented untyped, else -1
    inferred_relation: np.ndarray = field(default_factory=lambda: _NONE)
    # each node's tags (lower case) as (node index, tag text) pairs, lineage and licence tags removed
    tag_pairs: tuple[np.ndarray, pa.Array] = field(default_factory=lambda: (_NONE, pa.array([], pa.string())))
    # per-model arrays the analyses derive from the above, made once (attribute_signals.derived)
    derived: dict[str, np.ndarray] = field(default_factory=dict)

    def month(self) -> np.ndarray:
        """Months since 1970-01 of each node's creation (-1 unknown, and for the Hub's back-filled date: such a
        model was created before 2022-03, in a month nobody recorded)."""
        d = self.created_day
        m = d.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
        return np.where((d >= 0) & (d != BACKFILLED_DAY), m, -1)


def load(store: Store, snap: Snapshot, progress=None) -> AtlasData:
    """Read everything the analyses use (a few seconds at 2M models)."""
    ids = snap.nodes.column("id").combine_chunks()
    names = pc.utf8_lower(name_part(ids))
    author = pc.replace_substring_regex(ids, "/.*$", "").dictionary_encode().indices
    e = snap.edges
    proposed = e.column("proposed").to_numpy(zero_copy_only=False)
    inferred = e.column("inferred").to_numpy(zero_copy_only=False)
    rel = e.column("relation").to_numpy().copy()
    guessed = np.where(inferred & ~proposed, rel.astype(np.int16), -1)
    rel[inferred & ~proposed] = RELATION_CODE["unknown"]  # documented untyped edges stay untyped here
    keep = ~proposed
    attrs = {a: snap.codes(a) for a in ATTRIBUTES}
    data = AtlasData(
        n=len(snap),
        ids=ids,
        names=names,
        author=author.to_numpy(zero_copy_only=False).astype(np.int32),
        attrs=attrs,
        modality=snap.codes("modality"),
        created_day=snap.column("created_day").astype(np.int32),
        downloads=snap.column("downloads"),
        likes=snap.column("likes"),
        placeholder=snap.column("placeholder").astype(bool),
        family=snap.column("family"),
        root=snap.column("root"),
        depth=snap.column("depth"),
        parent=e.column("source").to_numpy()[keep],
        child=e.column("target").to_numpy()[keep],
        relation=rel[keep],
        synthetic=bool(snap.manifest.get("synthetic")),
        inferred_relation=guessed[keep],
    )
    _load_store_columns(store, data, progress)
    return data


def load_for_trends(store: Store, snap: Snapshot) -> AtlasData:
    """What the trends need and nothing more: the snapshot's columns and the store's card lengths (a fraction
    of ``load``'s time: no names, tags, languages or markers are read)."""
    e = snap.edges
    proposed = e.column("proposed").to_numpy(zero_copy_only=False)
    inferred = e.column("inferred").to_numpy(zero_copy_only=False)
    rel = e.column("relation").to_numpy().copy()
    rel[inferred & ~proposed] = RELATION_CODE["unknown"]
    keep = ~proposed
    data = AtlasData(
        n=len(snap),
        ids=snap.nodes.column("id"),
        names=pa.array([], pa.string()),  # not read for the trends
        author=_NONE,
        attrs={"pipeline_tag": snap.codes("pipeline_tag")},
        modality=snap.codes("modality"),
        created_day=snap.column("created_day").astype(np.int32),
        downloads=_NONE,
        placeholder=snap.column("placeholder").astype(bool),
        family=_NONE,
        root=_NONE,
        depth=_NONE,
        parent=e.column("source").to_numpy()[keep],
        child=e.column("target").to_numpy()[keep],
        relation=rel[keep],
    )
    col = store.conn.execute("SELECT card_length FROM models ORDER BY rowid").fetchall()
    card = pc.fill_null(pa.array([c for (c,) in col], pa.float64()), np.nan).to_numpy(zero_copy_only=False)
    if len(card) != data.n:  # removed models are not in the snapshot: read them by id instead
        card = _cards_by_id(store, data.ids)
    data.card_length = card
    data.cards_recorded = bool(np.isfinite(card).any())
    return data


def _cards_by_id(store: Store, ids) -> np.ndarray:
    lengths = dict(store.conn.execute("SELECT id, card_length FROM models"))
    return np.array(
        [lengths.get(i) if lengths.get(i) is not None else np.nan for i in ids.to_pylist()], np.float64
    )


def _load_store_columns(store: Store, data: AtlasData, progress=None) -> None:
    n = data.n
    n_langs = np.zeros(n, np.int16)
    first: list = []
    card = np.full(n, np.nan)
    flags = {k: np.zeros(n, bool) for k in ("quant", "adapter", "merge")}
    lib_codes, lib_labels = data.attrs["library_name"]
    qlib = np.isin(np.arange(len(lib_labels)), [i for i, x in enumerate(lib_labels) if x in QUANT_LIBRARIES])
    alib = np.isin(
        np.arange(len(lib_labels)), [i for i, x in enumerate(lib_labels) if x in ADAPTER_LIBRARIES]
    )
    cur = store.conn.execute("SELECT languages, card_length, tags FROM models ORDER BY rowid")
    start = 0
    tag_parts: list[tuple[np.ndarray, pa.Array]] = []
    while True:
        rows = cur.fetchmany(CHUNK)
        if not rows:
            break
        k = len(rows)
        langs, cards, tags = (
            pa.array(c, type=t)
            for c, t in zip(zip(*rows, strict=False), (pa.string(), pa.int64(), pa.string()), strict=False)
        )
        del rows
        sl = slice(start, start + k)
        langs = pc.fill_null(langs, "[]")
        n_langs[sl] = np.where(
            pc.equal(langs, "[]").to_numpy(zero_copy_only=False),
            0,
            pc.count_substring(langs, '","').to_numpy(zero_copy_only=False) + 1,
        )
        first.append(pc.struct_field(pc.extract_regex(langs, r'^\["(?P<l>[^"]*)"'), [0]))
        card[sl] = pc.fill_null(pc.cast(cards, pa.float64()), np.nan).to_numpy(zero_copy_only=False)
        tags = pc.replace_substring_regex(pc.fill_null(tags, ""), _LINEAGE_TAG, "")
        tag_parts.append(_tag_pairs(tags, start))
        text = pc.binary_join_element_wise(data.names[sl], tags, " ")
        for key, rx in (("quant", QUANT_RE), ("adapter", ADAPTER_RE), ("merge", MERGE_RE)):
            flags[key][sl] = pc.fill_null(pc.match_substring_regex(text, rx), False).to_numpy(
                zero_copy_only=False
            )
        start += k
        if progress:
            progress(k)
    fl = (
        pa.chunked_array(first, type=pa.string()).combine_chunks().dictionary_encode()
        if first
        else pa.array([], pa.string()).dictionary_encode()
    )
    idx = pc.fill_null(fl.indices, -1).to_numpy(zero_copy_only=False).astype(np.int32)
    has_lib = lib_codes >= 0
    flags["quant"] |= has_lib & qlib[np.maximum(lib_codes, 0)] if len(lib_labels) else False
    flags["adapter"] |= has_lib & alib[np.maximum(lib_codes, 0)] if len(lib_labels) else False
    data.n_langs, data.first_lang = n_langs, (idx, fl.dictionary.to_pylist())
    data.card_length = card
    data.cards_recorded = bool(np.isfinite(card).any())
    data.quant, data.adapter, data.merge = flags["quant"], flags["adapter"], flags["merge"]
    if tag_parts:
        data.tag_pairs = (
            np.concatenate([r for r, _ in tag_parts]),
            pa.chunked_array([t for _, t in tag_parts], pa.string()).combine_chunks(),
        )


def _tag_pairs(tags: pa.Array, start: int) -> tuple[np.ndarray, pa.Array]:
    """(node index, tag) for every tag of a chunk of stored JSON tag lists, licence tags left out (they
    are the licence itself)."""
    inner = pc.replace_substring_regex(pc.utf8_lower(tags), r'^\[|\]$|"', "")
    lists = pc.split_pattern(inner, ",")
    flat = pc.list_flatten(lists)
    rows = pc.list_parent_indices(lists).to_numpy(zero_copy_only=False).astype(np.int64) + start
    keep = pc.and_(pc.not_equal(flat, ""), pc.invert(pc.starts_with(flat, "license:")))
    keep = pc.fill_null(keep, False)
    return rows[keep.to_numpy(zero_copy_only=False)], pc.filter(flat, keep)


def node_relation(data: AtlasData) -> np.ndarray:
    """Documented relation of each node to its parents (int codes; NO_PARENT's code when none; several
    parents of a node take the most specific documented type, merge first)."""
    none = len(RELATION_CODE)
    out = np.full(data.n, none, np.int32)
    order = [RELATION_CODE[r] for r in ("unknown", "finetune", "adapter", "quantized", "merge")]
    for code in order:  # later assignments win
        sel = data.relation == code
        out[data.child[sel]] = code
    return out


RELATION_LABELS = [*list(RELATION_CODE), NO_PARENT]
