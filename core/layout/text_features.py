"""Text blocks of the layout features, from metadata alone: character trigrams of model names and the Hub
tags beyond task/library/licence (datasets, languages, arXiv ids, architecture words, quantization and
adapter markers). Both are hashed into a fixed number of buckets, weighted by how rare they are (IDF), and
projected to a few dense dimensions by a fixed random matrix (the hashing trick): the same model gets the
same vector on every machine, and the cost is linear in the number of models."""

from __future__ import annotations

import json
from collections.abc import Set

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hubatlas.core.common.names import name_part

NAME_BUCKETS = 1 << 15
TAG_BUCKETS = 1 << 15
NAME_CHARS = 48  # characters of a name that count (longer names are cut)
MIN_TAG_MODELS = 3  # tags on fewer models carry no neighbourhood
# tags that say nothing about what a model is, or are encoded by other blocks or the lineage
SKIP_PREFIXES = (
    "region:",
    "license:",
    "base_model:",
    "endpoints_compatible",
    "autotrain_compatible",
    "has_space",
    "deploy:",
    "doi:",
    "co2_eq_emissions",
    "model-index",
    "template:",
)


def _projection(buckets: int, dims: int, salt: int) -> np.ndarray:
    rng = np.random.default_rng(0x5EED + salt)
    return (rng.standard_normal((buckets, dims)) / np.sqrt(dims)).astype(np.float32)


def _project(rows: np.ndarray, cols: np.ndarray, n: int, buckets: int, dims: int, salt: int) -> np.ndarray:
    """Sum of IDF-weighted bucket directions per row, L2-normalised (rows without entries stay zero)."""
    from scipy.sparse import csr_matrix

    out = np.zeros((n, dims), dtype=np.float32)
    if not len(rows):
        return out
    m = csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(n, buckets))
    m.sum_duplicates()
    m.data = np.minimum(m.data, 2.0)  # a repeated trigram counts at most twice
    df = np.bincount(m.indices, minlength=buckets).astype(np.float32)
    idf = np.log1p(n / np.maximum(df, 1.0)).astype(np.float32)
    m = m.multiply(idf[None, :]).tocsr()
    out[:] = m @ _projection(buckets, dims, salt)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    np.divide(out, norms, out=out, where=norms > 0)
    return out


def model_names(ids: pa.ChunkedArray | pa.Array) -> pa.Array:
    """The part of each id after the namespace, lower-cased."""
    return pc.utf8_lower(name_part(ids))


def authors(ids: pa.ChunkedArray | pa.Array) -> pa.Array:
    """The namespace of each id (null for ids without one)."""
    ids = ids.combine_chunks() if isinstance(ids, pa.ChunkedArray) else ids
    return pc.struct_field(pc.extract_regex(ids, "^(?P<author>[^/]+)/"), [0])


def name_trigrams(ids: pa.ChunkedArray | pa.Array, dims: int) -> np.ndarray:
    """(n, dims) float32: the IDF-weighted character trigrams of each model name (with a space at both ends,
    so beginnings and ends of names count), hashed and projected."""
    names = model_names(ids)
    n = len(names)
    padded = pc.binary_join_element_wise(" ", pc.utf8_slice_codeunits(names, 0, NAME_CHARS), " ", "")
    raw = np.asarray(padded.cast(pa.binary()).to_numpy(zero_copy_only=False), dtype=f"S{NAME_CHARS * 4 + 2}")
    width = raw.dtype.itemsize
    b = raw.view(np.uint8).reshape(n, width).astype(np.uint32)
    length = np.char.str_len(raw) if n else np.zeros(0, int)
    rows, cols = [], []
    for i in range(max(int(length.max(initial=0)) - 2, 0)):
        ok = np.flatnonzero(length >= i + 3)
        h = (
            (b[ok, i] * np.uint32(0x01000193))
            ^ (b[ok, i + 1] * np.uint32(0x9E3779B1))
            ^ (b[ok, i + 2] << np.uint32(16))
        )
        h = (h * np.uint32(0x85EBCA6B)) ^ (h >> np.uint32(13))
        rows.append(ok)
        cols.append((h % np.uint32(NAME_BUCKETS)).astype(np.int64))
    if not rows:
        return np.zeros((n, dims), np.float32)
    return _project(np.concatenate(rows), np.concatenate(cols), n, NAME_BUCKETS, dims, salt=1)


def tag_lists(tags_json: list[str | None]) -> tuple[np.ndarray, list[str]]:
    """(owner row, tag) pairs from the stored JSON lists; anything that is not a list of strings is ignored."""
    owners: list[int] = []
    flat: list[str] = []
    loads = json.loads
    for i, t in enumerate(tags_json):
        if not t:
            continue
        try:
            v = loads(t)
        except (ValueError, RecursionError):
            continue
        if isinstance(v, list):
            s = [x for x in v if isinstance(x, str)]
            flat.extend(s)
            owners.extend([i] * len(s))
    return np.asarray(owners, dtype=np.int64), flat


def tag_vectors(
    tags_json: list[str | None] | None, n: int, dims: int, skip: Set[str] = frozenset()
) -> np.ndarray:
    """(n, dims) float32: the IDF-weighted informative tags of each model, hashed and projected. ``skip``: tags
    already encoded by other blocks (the task, library and licence names)."""
    if tags_json is None:
        return np.zeros((n, dims), np.float32)
    owners, flat = tag_lists(tags_json)
    if not len(flat):
        return np.zeros((n, dims), np.float32)
    enc = pa.array(flat, type=pa.string()).dictionary_encode()
    code = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    labels = enc.dictionary.to_pylist()
    counts = np.bincount(code, minlength=len(labels))
    keep_label = np.array(
        [
            c >= MIN_TAG_MODELS and not lab.startswith(SKIP_PREFIXES) and lab not in skip
            for lab, c in zip(labels, counts, strict=False)
        ],
        dtype=bool,
    )
    bucket = np.array([_stable_hash(lab) % TAG_BUCKETS for lab in labels], dtype=np.int64)
    keep = keep_label[code]
    return _project(owners[keep], bucket[code[keep]], n, TAG_BUCKETS, dims, salt=2)


def _stable_hash(s: str) -> int:
    import zlib

    return zlib.crc32(s.encode("utf-8", "surrogatepass"))
