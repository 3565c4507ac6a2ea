"""The Trends panel's data and charts: the monthly tables (``core.analysis.trends``) for the models a state
shows, charted in the window's theme and the map's colours. No Qt: the panel shows the PNG and asks which
month is under the pointer."""

from __future__ import annotations

import numpy as np

from hubatlas.core.analysis import charts
from hubatlas.core.analysis.trends import trends
from hubatlas.viewer.layers.atlas_state import theme_named
from hubatlas.viewer.layers.colors import MODALITY_COLORS, RELATION_COLORS

CHARTS = {
    "by_modality": "Models per month by modality",
    "by_task": "Models per month by task",
    "relations": "New lineage edges by relation",
    "card_share": "Share of new models with a card",
    "card_length": "Mean card length",
}


def _hex(rgb) -> str:
    return "#{:02x}{:02x}{:02x}".format(*(round(float(c) * 255) for c in rgb[:3]))


class Chart:
    """One chart: the PNG, where its months are drawn (``geometry``), and its values by month."""

    def __init__(self, png: bytes | None, geometry: dict, values: tuple | None):
        self.png, self.geometry, self.values = png, geometry, values


class TrendsModel:
    """The trends of one atlas (its data read once, in a background thread if the caller wants)."""

    def __init__(self, model):
        self.model = model
        self.data = None

    def load(self) -> None:
        """Read what the trends need (the snapshot's columns and the cards' lengths; about a second at 578K)."""
        from hubatlas.core.analysis.data import load_for_trends
        from hubatlas.core.store.database import Store

        if self.model.store is None:
            raise RuntimeError("this atlas was opened without its store")
        with Store(self.model.store.dir, readonly=True) as store:
            self.data = load_for_trends(store, self.model.snap)

    def tables(self, mask: np.ndarray | None) -> dict:
        if self.data is None:
            self.load()
        assert self.data is not None
        return trends(self.data, mask)

    @staticmethod
    def chart(t: dict, key: str, theme: str, span: tuple[int, int] | None = None) -> Chart:
        """``key`` of CHARTS for the tables ``t``, in the theme's colours; ``span``: brushed months."""
        months = t.get("months", [])
        th = theme_named(theme)
        style = {"background": _hex(th.background), "text": _hex(th.text)}
        geometry: dict = {}
        if months and key in ("by_modality", "by_task", "relations"):
            same_as_map = {"by_modality": MODALITY_COLORS, "relations": RELATION_COLORS}.get(key)
            png = charts.monthly_lines(
                months,
                t[key],
                CHARTS[key],
                stacked=key == "by_modality",
                colors=same_as_map,
                geometry=geometry,
                theme=style,
                span=span,
            )
            return Chart(
                png, geometry, (months, list(zip(t[key]["labels"], t[key]["counts"], strict=True)), "models")
            )
        if months and t.get("cards") and key in ("card_share", "card_length"):
            vals = t["cards"]["share_with_card" if key == "card_share" else "mean_length"]
            unit = "share" if key == "card_share" else "characters"
            png = charts.values_over_months(
                months, vals, CHARTS[key], unit, geometry=geometry, theme=style, span=span
            )
            return Chart(png, geometry, (months, [(CHARTS[key], vals)], unit))
        return Chart(None, {}, None)


def month_day_range(months: list[str], i0: int, i1: int) -> tuple[int, int]:
    """The first and last day of months ``i0``..``i1`` (YYYY-MM labels), in days since 1970."""
    lo, hi = sorted((i0, i1))
    first = np.datetime64(months[lo], "M").astype("datetime64[D]")
    last = (np.datetime64(months[hi], "M") + np.timedelta64(1, "M")).astype("datetime64[D]") - np.timedelta64(
        1, "D"
    )
    epoch = np.datetime64("1970-01-01", "D")
    return int((first - epoch).astype(int)), int((last - epoch).astype(int))
