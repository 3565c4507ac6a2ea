"""The third round of hostile probes (issue 30), each a one-line reproduction that once ended in a
traceback: undecodable arguments, numbers that overflow or are not finite, unbounded queries, empty and
undecodable files, a byte-order mark, an empty --cache. Each ends in one clear line (or the right result)
and changes nothing."""

from __future__ import annotations

import gzip
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
