"""The third round of hostile probes (issue 30), each a one-line reproduction that once ended in a
traceback: undecodable arguments, numbers that overflow or are not finite, unbounded queries, empty and
undecodable files, a byte-order mark, an empty --cache. Each ends in one clear line (or the right result)
and changes nothing."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import time

import pytest
from helpers import file_digest, rec, run_cli, write_json


@pytest.fixture(scope="module")
def atlas(tmp_path_factory):
    d = tmp_path_factory.mktemp("probes")
    recs = [rec(f"org{i % 7}/llama-{i}", downloads=i) for i in range(300)] + [
        rec("bert/bert-base", downloads=9)
    ]
    run_cli("import", str(write_json(d / "m.json", recs)), cache=d / "c")
    return d / "c"


def _raw(cache, *args: bytes | str) -> subprocess.CompletedProcess:
    """The CLI with arguments as the shell passes them: bytes, not necessarily UTF-8."""
    argv = [sys.executable.encode(), b"-m", b"hubatlas.viewer.cli", b"--cache", os.fsencode(cache)]
    argv += [a if isinstance(a, bytes) else a.encode() for a in args]
    env = {k: v for k, v in os.environ.items() if k != "HUBATLAS_CACHE"}
    return subprocess.run(argv, capture_output=True, env=env, timeout=120)


def _one_clear_line(p: subprocess.CompletedProcess, code: int, words: str) -> None:
    err = p.stderr.decode("utf-8", "replace")
    assert p.returncode == code, err
    assert "Traceback" not in err and words in err, err


@pytest.mark.parametrize(
    "args", [[b"search", b"\xff"], [b"info", b"bert\xfe"], [b"export", b"--focus", b"\xff"]]
)
def test_an_undecodable_argument_is_one_clear_line(atlas, args):
    _one_clear_line(_raw(atlas, *args), 2, "not valid UTF-8")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["search", "bert", "--limit", "9223372036854775808"], "out of range"),
        (["search", "bert", "--limit", "1e3"], "not a whole number"),
        (["layout", "--seed", "-1"], "out of range"),
        (["layout", "--seed", "99999999999999999999"], "out of range"),
        (["infer", "--min-confidence", "nan"], "not a finite number"),
        (["infer", "--min-confidence", "2"], "out of range"),
        (["export", "--zoom", "nan", "--out", "x.png"], "not a finite number"),
        (["export", "--zoom", "inf", "--out", "x.png"], "not a finite number"),
        (["export", "--zoom", "1e308", "--out", "x.png"], "out of range"),
        (["predict", "--evaluate", "--fraction", "1"], "out of range"),
        (["--wait", "-5", "info", "bert/bert-base"], "out of range"),
        (["synth", "--models", "0"], "out of range"),
    ],
)
def test_numbers_are_checked_where_they_are_parsed(atlas, args, words):
    before = file_digest(atlas)
    _one_clear_line(_raw(atlas, *args), 2, words)
    assert file_digest(atlas) == before


def test_an_empty_cache_path_is_refused(tmp_path):
    p = subprocess.run(
        [sys.executable, "-m", "hubatlas.viewer.cli", "--cache", "", "info", "x/y"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert p.returncode == 2 and "empty path" in p.stderr and "Traceback" not in p.stderr


def test_a_huge_query_of_repeated_words_is_bounded(atlas):
    from hubatlas.core.store.database import Store
    from hubatlas.core.store.search import MAX_WORDS, fts_query

    assert fts_query("ll " * 30000) == '"ll"*'  # repeated words count once
    q = fts_query(" ".join(f"w{i}" for i in range(1000)))
    assert q is not None and q.count("AND") == MAX_WORDS - 1
    with Store(atlas, readonly=True) as s:
        t = time.perf_counter()
        hits = s.search("llama " * 15000, 5)  # 90 KB
        assert time.perf_counter() - t < 5 and hits and hits[0]["id"] == "org5/llama-299"  # 299 % 7
        assert (
            s.search("x" * 100_000 + " llama", 3) == []
        )  # cut at MAX_QUERY_CHARS: a word that matches nothing


def test_empty_undecodable_and_bom_files(tmp_path):
    cache = tmp_path / "c"
    empty = tmp_path / "models.jsonl.gz"
    with gzip.open(empty, "wb"):
        pass
    p = run_cli("import", str(empty), cache=cache, check=False)
    assert p.returncode == 1 and "is empty" in p.stderr and not cache.exists()
    (tmp_path / "zero.json").write_bytes(b"")
    p = run_cli("import", str(tmp_path / "zero.json"), cache=cache, check=False)
    assert p.returncode == 1 and "is empty" in p.stderr and not cache.exists()
    lone = tmp_path / "lone.json"
    lone.write_text('[{"id": "a/b", "pipeline_tag": "\\ud800"}]', encoding="ascii")
    p = run_cli("import", str(lone), cache=cache, check=False)
    assert p.returncode == 1 and "not valid Unicode" in p.stderr and "Traceback" not in p.stderr
    assert not cache.exists()  # a cache this import would have created is not left behind
    run_cli("import", str(write_json(tmp_path / "ok.json", [rec("x/kept")])), cache=cache)
    before = file_digest(cache)
    p = run_cli("import", str(lone), cache=cache, check=False)
    assert p.returncode == 1 and file_digest(cache) == before  # nothing stored changes
    bom = tmp_path / "bom.json"
    bom.write_bytes(b"\xef\xbb\xbf" + write_json(tmp_path / "plain.json", [rec("y/with-bom")]).read_bytes())
    run_cli("import", str(bom), cache=cache)
    assert "y/with-bom" in run_cli("search", "with-bom", cache=cache).stdout


def test_dates_after_the_data_or_before_the_hub_are_unknown_not_a_month(tmp_path):
    cache = tmp_path / "c"
    recs = [
        rec("a/future", createdAt="9999-12-31T00:00:00.000Z", lastModified="2024-01-01T00:00:00.000Z"),
        rec("a/ancient", createdAt="1970-01-02T00:00:00.000Z"),
        rec("a/fine", createdAt="2023-05-01T00:00:00.000Z", lastModified="2024-01-01T00:00:00.000Z"),
    ]
    run_cli("import", str(write_json(tmp_path / "d.json", recs)), cache=cache)
    p = run_cli("trends", "--json", cache=cache)
    t = json.loads(p.stdout)
    assert t["months"] == ["2023-05"] and len(p.stdout) < 10_000  # not 96,360 months, not megabytes
    manifest = json.loads((cache / "snapshot" / "manifest.json").read_text())
    assert manifest["dates_out_of_range"] == 2 and manifest["data_date"].startswith("2024-01-01")


def test_ids_differing_only_in_case_are_one_model(tmp_path):
    from hubatlas.core.store.database import Store
    from hubatlas.core.store.snapshot import open_snapshot

    cache = tmp_path / "c"
    recs = [
        rec("Case/Model", downloads=1),
        rec("case/model", downloads=2),
        rec("CASE/MODEL", downloads=3),
        rec("u/kid", tags=["base_model:case/model"]),
    ]
    run_cli("import", str(write_json(tmp_path / "a.json", recs)), cache=cache)
    with Store(cache, readonly=True) as s:
        assert s.count_models() == 2 and s.get("CASE/MODEL")["downloads"] == 3  # the last record wins
    run_cli("import", str(write_json(tmp_path / "b.json", [rec("case/Model", downloads=7)])), cache=cache)
    with Store(cache, readonly=True) as s:
        rows = s.conn.execute("SELECT id, downloads FROM models WHERE placeholder=0 ORDER BY id").fetchall()
        assert rows == [("case/Model", 7), ("u/kid", 0)]  # over what is stored, too
    snap = open_snapshot(cache)
    ids = snap.nodes.column("id").to_pylist()
    e = snap.edges
    assert [
        (ids[p], ids[c])
        for p, c in zip(e.column("source").to_pylist(), e.column("target").to_pylist(), strict=True)
    ] == [("case/Model", "u/kid")]  # the child's parent follows the new spelling: no placeholder beside it


def test_a_file_size_limit_says_what_ran_out_and_that_the_atlas_is_intact(tmp_path):
    import resource

    cache = tmp_path / "c"
    run_cli("synth", "--models", "2000", cache=cache)
    before = run_cli("stats", "--json", cache=cache).stdout
    most = 40_960

    def limit() -> None:  # 40 KB a file: the predictions (about 70 KB of 2,000 models) cannot be written
        resource.setrlimit(resource.RLIMIT_FSIZE, (most, most))

    env = {k: v for k, v in os.environ.items() if k != "HUBATLAS_CACHE"}
    p = subprocess.run(
        [sys.executable, "-m", "hubatlas.viewer.cli", "--cache", str(cache), "predict"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        preexec_fn=limit,
    )
    assert p.returncode == 1 and "Traceback" not in p.stderr, p.stderr
    assert "file-size limit" in p.stderr and "intact (checked)" in p.stderr and "damaged" not in p.stderr
    assert run_cli("stats", "--json", cache=cache).stdout == before  # nothing lost, and not "damaged"
    run_cli("predict", cache=cache)  # with the limit raised, the same command finishes
    assert (cache / "analyses" / "predictions.arrow").stat().st_size > 1.5 * most  # what the limit stopped


def test_the_export_font_has_every_glyph_the_legends_use():
    """The ramp legends of downloads and created say "≤"/"≥" and "→": drawn as glyphs, not empty boxes."""
    import numpy as np

    from hubatlas.viewer._vispy.figure import font

    f = font(16)
    tofu = np.asarray(f.getmask("\U000f0000"))  # a private-use character no font has: its missing-glyph box
    for ch in "≤≥→·":
        mask = np.asarray(f.getmask(ch))
        assert mask.size and mask.any(), ch
        assert mask.shape != tofu.shape or not np.array_equal(mask, tofu), f"{ch!r} is drawn as an empty box"
