"""Against the real Hub (network; marker `external`, never in the default run): the newest weekly snapshot is
found with the real tree and paths-info endpoints, with an LFS size and sha256, and its footer gives the row
count the window offers."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.external


def test_the_real_newest_snapshot_is_declared_and_its_footer_readable():
    from hubatlas.core.ingest.snapshot_get import REPO, find_snapshot
    from hubatlas.viewer.layers.hub_offer import fetch_offer

    sf = find_snapshot("https://huggingface.co")
    assert sf.repo == REPO and re.fullmatch(r"models/\d{4}-\d{2}-\d{2}/models\.parquet", sf.path)
    assert sf.size > 100_000_000 and re.fullmatch(r"[0-9a-f]{64}", sf.sha256 or "")
    offer = fetch_offer("https://huggingface.co")
    assert offer is not None and offer.rows and offer.rows > 1_000_000
