"""Hostile probes of the fourth round's own fixes (a red-team pass over them): an output written over the
atlas's own files (`--save-view C/atlas.sqlite` once replaced the database with a view), a view saved over the
figure it describes, paths with terminal escapes echoed raw, a zero size silently taken as the default, a
downloads range that shows nothing, `demo --out` onto a file, a view's selected ids in another case or by an
old id the Hub moved."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from helpers import refused, run_cli


@pytest.fixture(scope="module")
def laid_out(tmp_path_factory) -> Path:
    from atlas_fixtures import make_known_atlas

    cache = tmp_path_factory.mktemp("round4-outputs") / "c"
    make_known_atlas(cache)
    return cache


def _export(cache: Path, out: Path, *args: str) -> subprocess.CompletedProcess:
    return run_cli(
        "export", "--out", str(out), "--width", "64", "--height", "64", *args, cache=cache, check=False
    )


def _intact(cache: Path) -> None:
    con = sqlite3.connect(cache / "atlas.sqlite")
    try:
        assert con.execute("SELECT count(*) FROM models").fetchone()[0] > 0
    finally:
        con.close()


def test_no_output_is_written_over_the_atlas_s_own_files(laid_out, tmp_path):
    from hubatlas.core.common.atomic import atomic_output
    from hubatlas.core.common.paths import atlas_owning
    from hubatlas.core.common.regular_files import AtlasFile

    manifest = (laid_out / "snapshot" / "manifest.json").read_bytes()
    for target in (laid_out / "atlas.sqlite", laid_out / "snapshot" / "manifest.json"):
        p = _export(
            laid_out, tmp_path / "x.png", "--save-view", str(target)
        )  # once: the database became JSON
        refused(p, str(target), "a file of the atlas")
        p = _export(laid_out, target.with_suffix(".png"))  # a figure inside the snapshot folder: refused too
        if target.parent.name == "snapshot":
            refused(p, "a file of the atlas")
    _intact(laid_out)
    assert (laid_out / "snapshot" / "manifest.json").read_bytes() == manifest
    with pytest.raises(AtlasFile), atomic_output(laid_out / "atlas.sqlite-wal") as tmp:
        tmp.write_text("x")
    p = run_cli("report", "--out", str(laid_out / "layouts"), cache=laid_out, check=False)
    refused(p, "a file of the atlas")
    assert atlas_owning(tmp_path / "elsewhere.json") is None and atlas_owning(laid_out / "figure.png") is None


def test_a_view_is_not_saved_over_its_own_figure(laid_out, tmp_path):
    out = tmp_path / "x.png"
    p = _export(laid_out, out, "--save-view", str(out))  # once: the PNG silently replaced the view
    refused(p, "--save-view", "is the --out file")
    assert not out.exists()


def test_paths_are_echoed_without_their_escapes(laid_out, tmp_path):
    out = tmp_path / "x\x1b[2J\x07.png"
    view = tmp_path / "v\x1b]0;PWN\x07.json"
    p = _export(laid_out, out, "--save-view", str(view))
    assert p.returncode == 0, p.stderr
    assert (
        "\x1b" not in p.stderr
        and "\x07" not in p.stderr
        and "wrote" in p.stderr
        and "saved the view" in p.stderr
    )
    odd = tmp_path / "K\x1b]0;X\x07"
    shutil.copytree(laid_out, odd)
    s = run_cli("stats", cache=odd)
    assert "\x1b" not in s.stdout and "\x07" not in s.stdout and "atlas:" in s.stdout


def test_a_zero_size_is_refused_not_taken_as_the_default(laid_out, tmp_path):
    for flag in ("--width", "--height"):
        p = run_cli("export", "--out", str(tmp_path / "x.png"), flag, "0", cache=laid_out, check=False)
        refused(p, "too small")
        assert not (tmp_path / "x.png").exists()


def test_a_downloads_range_that_shows_nothing_says_so(laid_out):
    p = run_cli("labels", "--min-downloads", "10", "--max-downloads", "5", cache=laid_out, check=False)
    refused(p, "--min-downloads 10", "--max-downloads 5")


def test_demo_out_onto_a_file_says_so(tmp_path):
    f = tmp_path / "afile"
    f.write_text("mine")
    p = run_cli("demo", "--out", str(f), check=False)
    refused(p, "afile", "not a folder")
    assert f.read_text() == "mine"


def test_a_view_s_selected_ids_follow_case_and_moved_ids(laid_out):
    from hubatlas.core.store.database import Store
    from hubatlas.core.store.snapshot import open_snapshot
    from hubatlas.viewer.layers.atlas_model import AtlasModel
    from hubatlas.viewer.layers.view_file import _nodes_of

    with Store(laid_out) as store:
        model = AtlasModel(open_snapshot(laid_out), store)
        ids = model.ids.to_pylist()
        nodes, missing = _nodes_of(model, ["ORG/TEXT-MODEL", "org/image-model", "nobody/nothing"])
        assert sorted(nodes.tolist()) == sorted([ids.index("org/text-model"), ids.index("org/image-model")])
        assert missing == 1
