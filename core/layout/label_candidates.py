"""What the map's labels may call a region, per node: its family (the root's name, made readable), its publisher
(the account, when its models are downloaded enough to be known), its task (in words), its library and a
distinctive word of its name. Nothing uninformative: a library or word carried by a large share of the whole
map names nothing ("transformers", "model"), nor do generic words ("test", "finetuned"), nor accounts whose
models few people download."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hubatlas.core.common.names import name_part, name_tokens, readable, task_words
from hubatlas.core.layout.text_features import authors
from hubatlas.core.store.snapshot import Snapshot

WIDE_SHARE = 0.05  # a library or word on more than this share of the map names nothing
FAMILY_MIN = 3  # models a family needs to name a region
WORD_MIN = 20  # models a word must be on to name anything
STOP_WORDS = frozenset(
    [
        "test",
        "tests",
        "testing",
        "model",
        "models",
        "finetuned",
        "finetune",
        "fine",
        "tuned",
        "tuning",
        "train",
        "trained",
        "training",
        "demo",
        "example",
        "checkpoint",
        "checkpoints",
        "final",
        "best",
        "new",
        "my",
        "output",
        "outputs",
        "results",
        "run",
        "runs",
        "experiment",
        "exp",
        "trial",
        "sample",
        "base",
        "large",
        "small",
        "tiny",
        "mini",
        "medium",
        "huge",
        "v1",
        "v2",
        "v3",
        "v4",
        "lora",
        "peft",
        "adapter",
        "merged",
        "merge",
        "gguf",
        "quantized",
        "quant",
        "bit",
        "int4",
        "int8",
        "4bit",
        "8bit",
        "fp16",
        "bf16",
        "hf",
        "the",
        "and",
        "for",
        "with",
        "from",
        # words of names that say nothing of what a model is about (tutorial names, casing, generic kinds)
        "uncased",
        "cased",
        "name",
        "repo",
        "awesome",
        "instruct",
        "chat",
        "open",
        "text",
    ]
)
KIND_WEIGHT = {"family": 1.3, "publisher": 1.0, "task": 0.8, "word": 0.7, "library": 0.6, "topic": 0.5}
TOPIC_SHARE = 0.15  # a name word on more of the map than this is no topic ("bert" is one, "model" not)
TOPICS = 3  # name words kept per model as its topics (the most common first)


@dataclass
class Candidates:
    """Per kind: a code per node (-1: none), the text of each code, and whether a code may name a region at
    each level (``allowed[kind](code, level)``)."""

    codes: dict[str, np.ndarray]
    texts: dict[str, list[str]]
    author_downloads: np.ndarray  # total downloads of each publisher's models
    family_size: np.ndarray  # models in each node's family (per node)
    topics: np.ndarray  # (TOPICS, n): a model's name words that may name what a region is about (-1: none)


def candidates(snap: Snapshot) -> Candidates:
    n = len(snap)
    ids = snap.nodes.column("id").combine_chunks()
    names = name_part(ids).to_pylist()
    codes: dict[str, np.ndarray] = {}
    texts: dict[str, list[str]] = {}
    fam, root = snap.column("family").astype(np.int64), snap.column("root").astype(np.int64)
    fam_size = np.bincount(fam, minlength=int(fam.max(initial=0)) + 1)[fam] if n else np.zeros(0, np.int64)
    codes["family"] = np.where(fam_size >= FAMILY_MIN, root, -1)  # a code is the root's node index
    texts["family"] = _lazy_readable(names)
    a = authors(ids).dictionary_encode()
    acode = a.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    codes["publisher"], texts["publisher"] = acode, a.dictionary.to_pylist()
    dl = np.nan_to_num(snap.column("downloads").astype(np.float64), nan=0.0).clip(0)
    ok = acode >= 0
    author_dl = np.bincount(acode[ok], weights=dl[ok], minlength=len(texts["publisher"]))
    tcode, tlabels = snap.codes("pipeline_tag")
    codes["task"], texts["task"] = tcode.astype(np.int64), [task_words(t) if t else "" for t in tlabels]
    lcode, llabels = snap.codes("library_name")
    lshare = np.append(np.bincount(lcode[lcode >= 0], minlength=len(llabels)) / max(n, 1), 0.0)  # never empty
    codes["library"] = np.where((lcode >= 0) & (lshare[np.maximum(lcode, 0)] <= WIDE_SHARE), lcode, -1)
    texts["library"] = [str(x) for x in llabels]
    codes["word"], texts["word"], topics = _words(ids.to_pylist(), n)
    return Candidates(codes, texts, author_dl, fam_size, topics)


class _lazy_readable(list):
    """The readable name of each node (a root's name is the family's text), computed when first read."""

    def __getitem__(self, i):
        return readable(super().__getitem__(i))


def _words(ids: list[str], n: int) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Each model's most distinctive name word: the rarest of its words on at least WORD_MIN models and at
    most WIDE_SHARE of the map, not a generic word; and its topics (see _topics)."""
    owner, wcode, words = name_tokens(ids)
    freq = np.bincount(wcode, minlength=len(words))
    good = np.array([len(w) >= 3 and not w.isdigit() and w not in STOP_WORDS for w in words], bool)
    topics = _topics(owner, wcode, freq, good, n)
    usable = (freq[wcode] >= WORD_MIN) & (freq[wcode] <= WIDE_SHARE * n) & good[wcode]
    best = np.full(n, -1, np.int64)
    o, c = owner[usable], wcode[usable]
    order = np.lexsort((freq[c], o))  # by owner, rarest word first
    first = np.ones(len(order), bool)
    first[1:] = o[order][1:] != o[order][:-1]
    best[o[order][first]] = c[order][first]
    return best, [readable(w) for w in words], topics


def _topics(owner: np.ndarray, wcode: np.ndarray, freq: np.ndarray, good: np.ndarray, n: int) -> np.ndarray:
    """(TOPICS, n): up to TOPICS distinct name words of each model that are on at least WORD_MIN models and at
    most TOPIC_SHARE of the map, the most common first: what an untagged region's models are about ("BERT",
    "Whisper", "exl2") when nothing else names it."""
    out = np.full((TOPICS, n), -1, np.int32)
    use = good[wcode] & (freq[wcode] >= WORD_MIN) & (freq[wcode] <= TOPIC_SHARE * n)
    key = np.unique(owner[use] * len(freq) + wcode[use])  # distinct words of a model
    o, c = key // max(len(freq), 1), key % max(len(freq), 1)
    order = np.lexsort((-freq[c], o))  # by owner, most common word first
    o, c = o[order], c[order]
    start = np.searchsorted(o, o, side="left")
    rank = np.arange(len(o)) - start
    keep = rank < TOPICS
    out[rank[keep], o[keep]] = c[keep]
    return out
