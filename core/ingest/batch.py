"""What every importer produces: batches of named rows and edges (``core.store.rows``), and the one error
that rejects an import (nothing changed)."""

from __future__ import annotations

from hubatlas.core.store.rows import Batch

BATCH = 20_000

__all__ = ["BATCH", "Batch", "ImportFailed"]


class ImportFailed(ValueError):
    """An input that cannot be imported; nothing was changed."""
