"""What every importer produces: batches of normalised rows and edges, and the one error that rejects an
import (nothing changed)."""
from __future__ import annotations

from dataclasses import dataclass, field

BATCH = 20_000


class ImportFailed(ValueError):
    """An input that cannot be imported; nothing was changed."""


@dataclass
class Batch:
    rows: list[tuple] = field(default_factory=list)
    edges: list[tuple[str, str, str, str]] = field(default_factory=list)
    self_loops: list[str] = field(default_factory=list)
    dropped_parents: list[tuple[str, str]] = field(default_factory=list)  # (child, value that is not an id)

    def add(self, row: tuple, edges: list, self_loop: bool, dropped: list[str] | tuple = ()) -> None:
        self.rows.append(row)
        self.edges.extend(edges)
        if self_loop:
            self.self_loops.append(row[0])
        self.dropped_parents.extend((row[0], v) for v in dropped)
