"""The details panel's text of a model (viewer.layers.describe): counts read as every other panel prints them."""

from __future__ import annotations

from hubatlas.viewer.layers.describe import detail_lines


def test_counts_have_thousands_separators_and_text_stays_as_it_is():
    lines = detail_lines({"downloads": 23711362, "likes": 654, "gated": "false", "card_length": 1200})
    assert "downloads: 23,711,362" in lines and "likes: 654" in lines and "card_length: 1,200" in lines
    assert "gated: false" in lines and "author: -" in lines
