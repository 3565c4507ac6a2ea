"""AtlasState: what the map shows (colour mode, hidden legend classes, filters, predicted colours, sizes,
overlays, theme, selection), apart from how it is drawn. The canvas renders a state; an export renders a
copy of it."""
from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Theme:
    name: str
    background: tuple
    text: tuple


THEMES = {"dark": Theme("dark", (0.07, 0.07, 0.09, 1.0), (0.9, 0.9, 0.9, 1.0)),
          "light": Theme("light", (0.98, 0.98, 0.97, 1.0), (0.1, 0.1, 0.1, 1.0))}


def theme_named(name: str) -> Theme:
    return THEMES.get(name, THEMES["dark"])


@dataclass
class Selection:
    """A selected node, optionally its family (``related``) and lineage edges (parent, child, relation)."""
    node: int | None = None
    related: np.ndarray | None = None
    lineage: list[tuple[int, int, str]] | None = None


@dataclass
class AtlasState:
    mode: str = "modality"
    theme: str = "dark"
    hidden_classes: set[int] = field(default_factory=set)   # legend entries switched off
    filter_mask: np.ndarray | None = None                   # filters and time slider; None: everything placed
    predictions: object | None = None                       # pyarrow Table from `hubatlas predict`
    show_predicted: bool = False
    size_by_downloads: bool = False
    show_all_edges: bool = False
    selection: Selection = field(default_factory=Selection)

    def copy(self) -> AtlasState:
        """An independent copy (arrays and tables are shared: they are replaced, never edited in place)."""
        out = copy.copy(self)
        out.hidden_classes = set(self.hidden_classes)
        out.selection = copy.copy(self.selection)
        return out

    def visible_mask(self, placed: np.ndarray, classes: np.ndarray) -> np.ndarray:
        """Placed nodes that no legend entry or filter hides (``classes``: each node's legend class)."""
        m = placed.copy()
        if self.hidden_classes:
            m &= ~np.isin(classes, list(self.hidden_classes))
        if self.filter_mask is not None:
            m &= self.filter_mask
        return m
