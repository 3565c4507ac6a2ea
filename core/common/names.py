"""Model names (the part of an id after its namespace) and their words, dictionary-coded: shared by the
layout features, the map's labels and the analyses' name-word predictors."""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_TOKEN = re.compile(r"[a-z][a-z0-9]+")


def name_part(ids: pa.ChunkedArray | pa.Array) -> pa.Array:
    """The part of each id after its namespace (the whole id where it has none), as spelled."""
    ids = ids.combine_chunks() if isinstance(ids, pa.ChunkedArray) else ids
    return pc.replace_substring_regex(ids, "^[^/]*/", "", max_replacements=1)


def name_tokens(ids: list[str]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(owner node, token code, token labels) for the words of every model name (after the namespace)."""
    owners: list[int] = []
    toks: list[str] = []
    findall = _TOKEN.findall
    for i, mid in enumerate(ids):
        words = findall(mid.rpartition("/")[2].lower())
        toks.extend(words)
        owners.extend([i] * len(words))
    enc = pa.array(toks, type=pa.string()).dictionary_encode()
    return (
        np.asarray(owners, dtype=np.int64),
        enc.indices.to_numpy(zero_copy_only=False).astype(np.int64),
        enc.dictionary.to_pylist(),
    )
