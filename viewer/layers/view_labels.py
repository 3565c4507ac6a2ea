"""The labels of what a view shows, for the window and its exports (no Qt, no GL): the full map's labels
when nothing is narrowed, else labels named for the shown models (core.layout.labels.view_labels), counted
from the label basis cached with the layout, loaded once per atlas when a view is first narrowed."""

from __future__ import annotations

import numpy as np

from hubatlas.viewer.layers.labels import LabelSet


class ViewLabels:
    """Names a view of one open atlas (``model``: the window's AtlasModel)."""

    def __init__(self, model):
        self.model = model
        self._basis = None

    def for_view(self, shown: np.ndarray | None, as_of_day: int | None) -> LabelSet:
        """The LabelSet of a view showing the mask ``shown`` (None: everything) as of ``as_of_day``."""
        if shown is None and as_of_day is None:
            return self.model.labels
        from hubatlas.core.layout.label_basis import ensure_basis
        from hubatlas.core.layout.labels import view_labels

        if self._basis is None:
            self._basis = ensure_basis(self.model.snap)
        return LabelSet(view_labels(self.model.snap, shown, as_of_day, basis=self._basis))
