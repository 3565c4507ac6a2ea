"""How a state becomes what the points shader reads: the colour table of the mode (hidden legend classes get
alpha 0), the filters' table of allowed values and their uniforms, and a region selection's flags. A mixin of
AtlasCanvas (it reads the canvas's state, style, points, order and theme)."""

from __future__ import annotations

import numpy as np

from hubatlas.core.common.fields import CONTINUOUS, MODE_NUMBER
from hubatlas.viewer.layers.colors import ColorResult
from hubatlas.viewer.layers.styling import FILTER_FIELDS


class StateUniforms:
    def _apply_colors(self) -> ColorResult:
        st = self.state
        colors = self.style.colors(st.mode, st.show_predicted, self.theme.background)
        lut = colors.lut_rgba.copy()
        lut[:, 3] = np.minimum(lut[:, 3], self.alpha)
        if st.hidden_classes:
            lut[np.isin(colors.lut_class, list(st.hidden_classes)), 3] = 0
        self.points.set_lut(lut)
        mode = st.mode
        rng = self.style.range_of(mode) if mode in CONTINUOUS else (0.0, 1.0)
        self.points.set_uniforms(mode=float(MODE_NUMBER[mode]), range=rng)
        return colors

    def _apply_filters(self) -> None:
        f = self.state.filters
        fields = [self.style.fields[name] for name in FILTER_FIELDS]
        key = f.key()[0]
        if key != getattr(self, "_allowed_key", None):  # the values' table changes only with the values
            self.points.set_allowed(
                [f.values.get(name) for name in FILTER_FIELDS], [fc.L + 1 for fc in fields]
            )
            self._allowed_key = key
        since = -1e9 if f.since_day is None else float(f.since_day)
        as_of = 1e9 if f.as_of_day is None else float(f.as_of_day)
        self.points.set_uniforms(
            doc_base=tuple(float(fc.L + 1) for fc in fields),
            doc_target=tuple(float(fc.target_doc) for fc in fields),
            downloads=(float(f.min_downloads), float(f.max_downloads)),
            days=(since, as_of, 1.0 if f.dated else 0.0, 1.0 if f.keeps_undated() else 0.0),
        )

    def _apply_region(self) -> None:
        """A region selection fades every other model (the selected keep their colours): one float a point,
        uploaded when the selection changes."""
        nodes = self.state.region.nodes
        if nodes is None:
            self.points.set_selected(None)
            return
        rank = np.full(self.n, -1, np.int64)
        rank[self.order] = np.arange(len(self.order))
        flags = np.zeros(len(self.order), np.float32)
        r = rank[np.asarray(nodes, np.int64)]
        flags[r[r >= 0]] = 1.0
        self.points.set_selected(flags)
