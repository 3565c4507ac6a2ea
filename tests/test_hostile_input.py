"""Hostile ids and metadata: ids that break the Hub's repository-id rules are rejected (never stored or printed
raw), error messages quote a bounded, escaped part of what they reject, and untrusted fields reach the
terminal as plain text."""

from __future__ import annotations

import json

import pytest
from helpers import file_digest, rec, run_cli, write_json

HOSTILE = {
    "escape": "org/\x1b[31mred\x1b[0m",
    "bell": "org/ding\x07",
    "nul": "org/a\x00b",
    "rtl_override": "org/gpt\u202etxt.exe",
    "zero_width": "org/lla\u200bma",
    "newline": "org/a\nb",
    "path": "org/base/tree/main",
    "dots": "org/..",
    "dot_start": "./local",
    "at": "org/base@v1",
    "space": "org/a b",
    "too_long": "org/" + "x" * 97,
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_ids_are_rejected_and_nothing_changes(kind, tmp_path):
    cache = tmp_path / "c"
    run_cli("import", write_json(tmp_path / "ok.json", [rec("org/fine")]).as_posix(), cache=cache)
    before = file_digest(cache)
    bad = write_json(tmp_path / "bad.json", [rec("org/also-fine"), rec(HOSTILE[kind])])
    p = run_cli("import", str(bad), cache=cache, check=False)
    assert p.returncode == 1 and "invalid model id" in p.stderr, p.stderr
    assert "Traceback" not in p.stderr
    assert not any(ch in p.stderr for ch in "\x1b\x07\x00\u202e\u200b"), repr(p.stderr)
    assert file_digest(cache) == before  # a broken import changes nothing


def test_a_huge_id_is_quoted_once_and_bounded(tmp_path):
    huge = "org/" + "A" * 1_000_000
    p = run_cli(
        "import", str(write_json(tmp_path / "h.json", [rec(huge)])), cache=tmp_path / "c", check=False
    )
    assert p.returncode == 1 and len(p.stderr) < 1000 and "1000004 characters" in p.stderr, p.stderr[:300]
    p = run_cli("info", huge[:100_000], cache=tmp_path / "c", check=False)  # (argv holds at most 128 KiB)
    assert p.returncode == 1 and len(p.stderr) < 1000


def test_untrusted_fields_reach_the_terminal_as_plain_text(tmp_path):
    cache = tmp_path / "c"
    nasty = rec(
        "org/model-x",
        pipeline_tag="text\x1b]0;pwned\x07-generation",
        library_name="lib\u202erev",
        tags=["license:\x1b[2Jmit"],
    )
    run_cli("import", str(write_json(tmp_path / "n.json", [nasty])), cache=cache)
    for args in (("search", "model-x"), ("info", "org/model-x"), ("stats",)):
        p = run_cli(*args, cache=cache)
        out = p.stdout + p.stderr
        assert "model-x" in out or args == ("stats",)
        assert not any(ch in out for ch in "\x1b\x07\u202e"), (args, repr(out))
    info = json.loads(run_cli("info", "org/model-x", "--json", cache=cache).stdout)
    assert info["pipeline_tag"].startswith("text\x1b")  # stored as given; JSON output escapes it itself


def test_odd_files_and_values_get_clear_errors(tmp_path):
    cache = tmp_path / "c"
    run_cli("import", str(write_json(tmp_path / "ok.json", [rec("org/fine")])), cache=cache)
    before = file_digest(cache)
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    deep_lines = tmp_path / "deep.jsonl"
    deep_lines.write_text('{"id": "org/a"}\n' + '{"a":' * 100_000 + "1" + "}" * 100_000 + "\n")
    huge_int = tmp_path / "int.json"
    huge_int.write_text('[{"_id": "x", "id": "org/a", "downloads": 1' + "0" * 400 + ', "tags": []}]')
    folder = tmp_path / "folder.json"
    folder.mkdir()
    cases = {
        deep: "nested too deeply",
        deep_lines: "nested too deeply",
        huge_int: "out of range",
        folder: "is a folder",
        tmp_path / "missing.json": "no such file",
    }
    for path, why in cases.items():
        p = run_cli("import", str(path), cache=cache, check=False)
        assert p.returncode == 1 and why in p.stderr and "Traceback" not in p.stderr, (
            path.name,
            p.stderr[-500:],
        )
    assert file_digest(cache) == before
