"""The layout's parameters: one object for the library, the command line (`hubatlas layout` takes its
defaults from here) and the desktop app's automatic layout, so all three compute the same map."""

from __future__ import annotations

from dataclasses import dataclass

BACKENDS = ("auto", "cuml", "cpu")


@dataclass(frozen=True)
class LayoutParams:
    backend: str = "auto"  # auto: cuML when installed with a CUDA device, else cpu
    seed: int = 0  # the CPU path is deterministic for a seed
    n_neighbors: int = 15  # UMAP n_neighbors
    anchors: int = 40_000  # CPU path: models laid out by UMAP itself; the rest are placed
    n_epochs: int = 200  # UMAP optimisation epochs
    min_dist: float = 0.1  # UMAP min_dist
    contract: float = (
        0.5  # CPU path: derivatives end at this fraction of their UMAP distance from their parent
    )
