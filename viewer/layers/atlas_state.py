"""AtlasState: what the map shows (colour mode, hidden legend classes, filters, predicted colours, sizes,
overlays, theme, selection), apart from how it is drawn. The Qt panels edit it, the canvas follows it (plain
callbacks: ``on_change``), an export renders a copy of it. No Qt, no GL."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field, fields

import numpy as np

from hubatlas.core.common.filters import Filters


@dataclass(frozen=True)
class Theme:
    name: str
    background: tuple
    text: tuple


THEMES = {
    "dark": Theme("dark", (0.07, 0.07, 0.09, 1.0), (0.9, 0.9, 0.9, 1.0)),
    "light": Theme("light", (0.98, 0.98, 0.97, 1.0), (0.1, 0.1, 0.1, 1.0)),
}


def theme_named(name: str) -> Theme:
    return THEMES.get(name, THEMES["dark"])


@dataclass
class Selection:
    """A selected node, optionally its family (``related``) and lineage edges (parent, child, relation)."""

    node: int | None = None
    related: np.ndarray | None = None
    lineage: list[tuple[int, int, str]] | None = None


@dataclass(frozen=True)
class Region:
    """A region selection: its models (sorted node indices; None: none), the shape drawn (world coordinates;
    None for "all shown") and how it was made ("box", "lasso", "all shown")."""

    nodes: np.ndarray | None = None
    outline: np.ndarray | None = None
    how: str = ""

    def __len__(self) -> int:
        return 0 if self.nodes is None else len(self.nodes)


@dataclass(eq=False)
class AtlasState:
    mode: str = "modality"
    theme: str = "dark"
    hidden_classes: frozenset[int] = frozenset()  # legend entries switched off
    filters: Filters = field(default_factory=Filters.none)
    show_predicted: bool = False
    size_by_downloads: bool = False
    show_all_edges: bool = False
    labels: bool = True  # region, family and model labels
    density: bool = False  # shaded density (terrain) under the points
    selection: Selection = field(default_factory=Selection)
    region: Region = field(default_factory=Region)  # box, lasso or "all shown"; the others fade

    def __post_init__(self):
        self._listeners: list[Callable[[set[str]], None]] = []

    def on_change(self, callback: Callable[[set[str]], None]) -> Callable[[], None]:
        """Call ``callback(names of the fields that changed)`` after every ``update``; returns what undoes
        the subscription."""
        self._listeners.append(callback)

        def unsubscribe() -> None:
            if callback in self._listeners:
                self._listeners.remove(callback)

        return unsubscribe

    def update(self, **changes) -> set[str]:
        """Set fields; listeners hear which ones changed (nothing is sent when nothing changed)."""
        names = {f.name for f in fields(self)}
        unknown = set(changes) - names
        if unknown:
            raise AttributeError(f"AtlasState has no field {', '.join(sorted(unknown))}")
        changed = {k for k, v in changes.items() if not _same(getattr(self, k), v)}
        for k in changed:
            setattr(self, k, changes[k])
        if changed:
            for cb in list(self._listeners):
                cb(changed)
        return changed

    # -- the named transitions (each one update, so listeners hear one change) ---------------------------------
    def color_by(self, mode: str) -> set[str]:
        """Colour by ``mode``; the legend classes hidden belong to the old mode, so all are shown again."""
        return self.update(mode=mode, hidden_classes=frozenset())

    def show_class(self, key: int, visible: bool) -> set[str]:
        """Show or hide one legend class."""
        hidden = set(self.hidden_classes)
        (hidden.discard if visible else hidden.add)(key)
        return self.update(hidden_classes=frozenset(hidden))

    def show_predictions(self, on: bool) -> set[str]:
        """Colour undocumented values by their predictions (the atlas's, from `hubatlas predict`), paler, or
        not; the legend changes, so every class is shown again."""
        return self.update(show_predicted=on, hidden_classes=frozenset())

    def copy(self) -> AtlasState:
        """An independent copy without listeners (arrays and tables are shared: they are replaced, never
        edited in place)."""
        out = copy.copy(self)
        out._listeners = []
        out.selection = copy.copy(self.selection)
        out.filters = copy.deepcopy(self.filters)
        return out


def _same(a, b) -> bool:
    """Equal plain values (and filters); any other object (tables, arrays, selections) only if the same."""
    if a is b:
        return True
    plain = (str, int, float, bool, frozenset, Filters, type(None))
    return isinstance(a, plain) and type(a) is type(b) and a == b
