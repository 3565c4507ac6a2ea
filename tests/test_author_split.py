"""Honest evaluation (issue 28): `predict --evaluate --split author` hides every value of a share of the
authors, so same-author neighbours cannot give the answer away."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import analysis, make


def test_author_split_hides_every_value_of_a_share_of_authors():
    from types import SimpleNamespace

    from hubatlas.core.analysis.predict import hide

    rng = np.random.default_rng(0)
    author = rng.integers(0, 50, 2000)
    data = SimpleNamespace(author=author)
    documented = np.flatnonzero(rng.random(2000) < 0.7)
    hidden = hide(data, documented, np.random.default_rng(1), 0.2, "author")
    who = np.unique(author[hidden])
    assert len(who) == 10  # 20% of the 50 authors with a documented value
    assert np.isin(documented[np.isin(author[documented], who)], hidden).all()  # all of theirs hidden
    assert not np.isin(author[np.setdiff1d(documented, hidden)], who).any()  # none of theirs left visible
    random = hide(data, documented, np.random.default_rng(1), 0.2, "random")
    assert len(random) == round(0.2 * len(documented)) and len(np.unique(author[random])) > 10
    with pytest.raises(ValueError, match="unknown split"):
        hide(data, documented, rng, 0.2, "family")


def test_author_split_is_harder_where_authors_carry_the_label(tmp_path):
    """Each author publishes one task under uninformative names: neighbours by author give the task away in
    the random split, not when the author's every value is hidden."""
    from hubatlas.core.analysis.predict import evaluate

    tasks = ["text-classification", "translation", "image-classification", "automatic-speech-recognition"]
    recs = [
        {"id": f"a{a}/m{i}", "pipeline_tag": tasks[a % 4], "downloads": i, "library_name": "transformers"}
        for a in range(60)
        for i in range(12)
    ]
    cache = tmp_path / "c"
    make(cache, recs)
    store, data, words = analysis(cache)
    with store:
        rnd = evaluate(data, words, attributes=("pipeline_tag",))["pipeline_tag"]
        auth = evaluate(data, words, attributes=("pipeline_tag",), split="author")["pipeline_tag"]
    assert rnd["accuracy"] > 0.9 and auth["accuracy"] < rnd["accuracy"] - 0.3
