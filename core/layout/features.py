"""Per-model feature vectors for the layout, from metadata only (no model weights):
modality, task, library, licence, name tokens and family membership, each a block of deterministic
pseudo-random directions (a hashing-trick embedding), weighted and concatenated into float32 rows."""
from __future__ import annotations

import zlib

import numpy as np
import pyarrow as pa

from hubatlas.core.common.names import name_tokens

FEATURES_VERSION = 2
# block name -> (dimensions, weight)
BLOCKS = {"modality": (8, 3.0), "task": (12, 2.0), "library": (8, 1.5), "license": (6, 1.0),
          "name": (16, 1.6), "family": (14, 16.0)}
DIMS = sum(d for d, _ in BLOCKS.values())
MIN_TOKEN_COUNT = 5  # name tokens rarer than this (hashes, serial numbers) carry no neighbourhood


def _directions(labels: list, dims: int, salt: str) -> np.ndarray:
    """A unit vector per label, the same for the same label string on every machine and run."""
    out = np.zeros((len(labels), dims), dtype=np.float32)
    for i, lab in enumerate(labels):
        if lab is None:
            continue
        rng = np.random.default_rng(zlib.crc32(f"{salt}:{lab}".encode()))
        v = rng.standard_normal(dims)
        out[i] = v / np.linalg.norm(v)
    return out


def _categorical(col: pa.ChunkedArray, dims: int, salt: str) -> np.ndarray:
    arr = col.combine_chunks()
    if not pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_encode()
    labels = arr.dictionary.to_pylist()
    idx = arr.indices.to_numpy(zero_copy_only=False)
    table = _directions(labels, dims, salt)
    valid = ~np.asarray(arr.is_null().to_numpy(zero_copy_only=False), dtype=bool) if arr.null_count else None
    out = table[np.nan_to_num(idx, nan=0).astype(np.int64)] if len(labels) else np.zeros((len(arr), dims), np.float32)
    if valid is not None:
        out[~valid] = 0
    return out


def build_features(nodes: pa.Table) -> np.ndarray:
    """Feature matrix (n, DIMS) float32 for the snapshot's nodes."""
    n = nodes.num_rows
    blocks = []
    for name, col in (("modality", "modality"), ("task", "pipeline_tag"), ("library", "library_name"),
                      ("license", "license")):
        dims, w = BLOCKS[name]
        blocks.append(_categorical(nodes.column(col), dims, name) * w)
    # name tokens: mean of the frequent tokens' directions
    dims, w = BLOCKS["name"]
    owner, code, labels = name_tokens(nodes.column("id").to_pylist())
    counts = np.bincount(code, minlength=len(labels))
    keep = counts[code] >= MIN_TOKEN_COUNT
    owner, code = owner[keep], code[keep]
    used = np.unique(code)
    table = np.zeros((len(labels), dims), dtype=np.float32)
    table[used] = _directions([labels[i] for i in used], dims, "name")
    acc = np.zeros((n, dims), dtype=np.float32)
    np.add.at(acc, owner, table[code])
    norms = np.linalg.norm(acc, axis=1, keepdims=True)
    blocks.append(np.divide(acc, norms, out=np.zeros_like(acc), where=norms > 0) * w)
    # family membership: members of a multi-model family share a direction
    dims, w = BLOCKS["family"]
    fam = nodes.column("family").to_numpy()
    sizes = np.bincount(fam, minlength=int(fam.max()) + 1 if n else 0)
    multi = np.flatnonzero(sizes > 1)
    ftab = np.zeros((len(sizes), dims), dtype=np.float32)
    rng = np.random.default_rng(12345)
    v = rng.standard_normal((len(multi), dims)).astype(np.float32)
    ftab[multi] = v / np.linalg.norm(v, axis=1, keepdims=True)
    blocks.append(ftab[fam] * w)
    return np.ascontiguousarray(np.hstack(blocks), dtype=np.float32)
