"""The named rows the store writes: a model (`ModelRow`, the `models` table's columns in order), a lineage
edge (`EdgeRow`) and a batch of both with what the parsers dropped (`Batch`). Every importer (files, parquet,
sync, the synthetic hub, the demo) produces these, and `Store.write_batch` writes them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple


class ModelRow(NamedTuple):
    """One model as the store keeps it (the `models` table's columns, in order)."""

    id: str
    author: str | None
    created_at: str | None
    last_modified: str | None
    downloads: int | None
    likes: int | None
    pipeline_tag: str | None
    library_name: str | None
    license: str | None
    languages: str | None  # JSON list
    tags: str | None  # JSON list
    gated: str | None  # 'false' | 'auto' | 'manual'
    card_length: int | None
    source: str | None  # hub-api | hub-json | ecosystem-parquet | synthetic | demo
    raw: str | None  # the record as received (JSON), where the source has one


MODEL_COLUMNS = ModelRow._fields


class EdgeRow(NamedTuple):
    """A documented parent of a model."""

    child: str
    parent: str
    relation: str  # finetune | adapter | quantized | merge | unknown
    source: str  # tag | card | baseModels | inferred


@dataclass
class Batch:
    """Rows and edges to write together, with the self-loops and non-id parents the parsers dropped."""

    rows: list[ModelRow] = field(default_factory=list)
    edges: list[EdgeRow] = field(default_factory=list)
    self_loops: list[str] = field(default_factory=list)
    dropped_parents: list[tuple[str, str]] = field(default_factory=list)  # (child, value that is not an id)

    def add(self, row: ModelRow, edges: list, self_loop: bool, dropped: list[str] | tuple = ()) -> None:
        self.rows.append(row)
        self.edges.extend(edges)
        if self_loop:
            self.self_loops.append(row.id)
        self.dropped_parents.extend((row.id, v) for v in dropped)

    def __len__(self) -> int:
        return len(self.rows)
