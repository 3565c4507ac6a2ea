"""The fourth round of hostile probes (issue 38), lineage and filters: a model naming its own old id (a
self-loop through the alias), a chain deeper than int16, a filter value holding commas."""

from __future__ import annotations

import json
import os
import time

import pytest
from helpers import rec, run_cli, write_json

FIFO = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")


# -- lineage: 18, 19 ----------------------------------------------------------------------------------------------
BACKFILLED = "2022-03-02T23:29:04.000Z"


def test_a_model_naming_its_own_old_id_is_never_its_own_parent(tmp_path):
    recs = [
        rec("org-self/selfie", createdAt=BACKFILLED, downloads=5000, tags=["base_model:selfie"]),
        rec("u/kid", tags=["base_model:selfie"]),
    ]
    cache = tmp_path / "c"
    run_cli("import", str(write_json(tmp_path / "m.json", recs)), cache=cache)
    info = json.loads(run_cli("info", "org-self/selfie", "--json", cache=cache).stdout)
    assert info["parents"] == []  # once: itself, through the alias `selfie`
    assert sum(info["children"].values()) == 1  # u/kid only
    fams = json.loads(run_cli("families", "--json", cache=cache).stdout)
    assert fams[0]["root"] == "org-self/selfie" and fams[0]["size"] == 2  # once: root null
    import sqlite3

    with sqlite3.connect(cache / "atlas.sqlite") as c:
        assert c.execute("SELECT count(*) FROM edges WHERE child = parent COLLATE NOCASE").fetchone()[0] == 0
        assert (
            c.execute("SELECT canonical FROM aliases WHERE alias = 'selfie'").fetchone()[0]
            == "org-self/selfie"
        )
        assert c.execute("SELECT id FROM self_loops").fetchall() == [("org-self/selfie",)]


def test_a_chain_deeper_than_int16_reports_its_true_depth():
    import numpy as np

    from hubatlas.core.analysis.families import FamilyTree
    from hubatlas.core.store.graph import families

    n = 100_000
    child, parent = np.arange(1, n), np.arange(0, n - 1)
    fam = families(n, parent, child)
    assert int(fam.depth.max()) == n - 1 and fam.depth.dtype.itemsize >= 4  # once: 32,767
    start = time.perf_counter()
    below = FamilyTree(n, parent, child, fam.depth, fam.primary_parent).below()
    assert below[0] == n - 1 and below[n - 1] == 0
    assert time.perf_counter() - start < 30  # one sort, not a scan of every node per level


def test_families_of_a_deep_chain_through_the_cli(tmp_path):
    n = 33_000  # past int16
    recs = [rec(f"o/m{i}", tags=[f"base_model:o/m{i - 1}"] if i else []) for i in range(n)]
    cache = tmp_path / "c"
    run_cli("import", str(write_json(tmp_path / "chain.json", recs)), cache=cache)
    fam = json.loads(run_cli("families", "--json", cache=cache).stdout)[0]
    assert (fam["size"], fam["depth"], fam["breadth"], fam["root"]) == (n, n - 1, 1, "o/m0")


# -- filters: 21 --------------------------------------------------------------------------------------------------
def test_a_filter_value_holding_commas_is_quoted_or_escaped(tmp_path):
    from hubatlas.core.common.filters import parse_values
    from hubatlas.core.store.snapshot import open_snapshot

    recs = [
        rec("a/one", tags=["license:cc,by,4.0"]),
        rec("a/two", tags=["license:mit"]),
        rec("a/three", tags=["license:cc"]),
        rec("a/four", tags=["license:by"]),
    ]
    run_cli("import", str(write_json(tmp_path / "m.json", recs)), cache=tmp_path / "c")
    snap = open_snapshot(tmp_path / "c")
    _, labels = snap.codes("license")
    want = {labels.index("cc,by,4.0")}
    assert parse_values(['license="cc,by,4.0"'], snap)["license"] == want
    assert parse_values(["license=cc\\,by\\,4.0"], snap)["license"] == want
    assert parse_values(['license=mit,"cc,by,4.0"'], snap)["license"] == want | {labels.index("mit")}
    assert parse_values(["license=cc,by"], snap)["license"] == {labels.index("cc"), labels.index("by")}
    with pytest.raises(ValueError, match=r"'4\.0'"):  # unquoted: three values, as before
        parse_values(["license=cc,by,4.0"], snap)
    for bad in ['license="cc,by', "license="]:
        with pytest.raises(ValueError, match="bad --filter"):
            parse_values([bad], snap)
