"""The atlas-neighbour signal's space (analysis.attribute_signals.AtlasSpace): where each model sits among the
layout's own feature blocks, built without the attribute being predicted.

Not the map's x/y: the layout places models by their task, library and licence (core.layout.features), so a
documented model's position already encodes the value an evaluation hides (measured on the real 2024-07 Hub:
its 10 nearest documented models on the map give its hidden licence 94% of the time), while an undocumented
model sits among the undocumented (the same models placed again without their licence: 13%). So the blocks
are rebuilt with the target's unknown values masked (the author and family blocks, which mix their members'
content, then never see them either), the target's own block is left out, and the rest is reduced to
DIMS principal components: the neighbours the map is drawn from, blind to what is predicted. This lives in the
CLI because the analyses never import the layout (import-linter contract)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hubatlas.core.layout.features import BLOCKS, reduce, stored_tags, weighted_blocks
from hubatlas.core.store.database import Store
from hubatlas.core.store.snapshot import Snapshot

DIMS = 12  # principal components kept (a k-d tree is fast up to about 12)
BLOCK_OF = {"pipeline_tag": "task", "library_name": "library", "license": "license"}


def atlas_space(store: Store, snap: Snapshot):
    """An AtlasSpace over this snapshot: ``space(target, codes)`` -> (n, DIMS) float32 coordinates built
    with ``target`` unknown wherever ``codes`` < 0."""
    tags = stored_tags(store, len(snap))

    def space(target: str, codes: np.ndarray) -> np.ndarray:
        nodes = snap.nodes
        col = nodes.column(target).combine_chunks()
        idx = pc.if_else(pa.array(codes < 0), pa.nulls(len(codes), col.indices.type), col.indices)
        masked = pa.DictionaryArray.from_arrays(idx, col.dictionary)
        nodes = nodes.set_column(nodes.column_names.index(target), target, masked)
        blocks = weighted_blocks(nodes, snap.edges, tags)
        keep: list[int] = []
        at = 0
        for name, (dims, _) in BLOCKS.items():
            if name != BLOCK_OF[target]:
                keep.extend(range(at, at + dims))
            at += dims
        return reduce(np.ascontiguousarray(blocks[:, keep]), DIMS)

    return space
