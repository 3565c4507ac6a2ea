"""The real console entry point: help on every command, JSON outputs, clear errors and exit codes."""

from __future__ import annotations

import json

import pytest
from helpers import REPO, run_cli

from hubatlas.viewer.cli import main


def _commands() -> list[str]:
    """Every subcommand the real parser has (so a new command cannot miss this test)."""
    import argparse

    from hubatlas.core.cli.main import build_parser
    from hubatlas.viewer.cli import add_self_test, add_view

    p = build_parser([add_view], [add_self_test])
    sub = next(a for a in p._actions if isinstance(a, argparse._SubParsersAction))
    return sorted(sub.choices)


COMMANDS = _commands()


def test_every_command_is_listed():
    assert set(COMMANDS) >= {
        "import",
        "stats",
        "search",
        "info",
        "sync",
        "synth",
        "demo",
        "snapshot",
        "layout",
        "view",
        "export",
        "predict",
        "infer",
        "families",
        "drift",
        "trends",
        "report",
    }


@pytest.mark.parametrize("cmd", COMMANDS)
def test_help_on_every_command(cmd, capsys):
    with pytest.raises(SystemExit) as e:
        main([cmd, "--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert f"hubatlas {cmd}" in out and len(out.splitlines()) > 3


def test_import_stats_search_info(cache, data_dir):
    p = run_cli(
        "import",
        str(data_dir / "list_models_page_10_items.json"),
        str(data_dir / "model_info_mistral_small_24b_family.jsonl"),
        "--json",
        cache=cache,
    )
    assert json.loads(p.stdout)["records"] == 77
    st = json.loads(run_cli("stats", "--json", cache=cache).stdout)
    for key in (
        "models",
        "edges",
        "edges_by_relation",
        "placeholders",
        "self_loops_dropped",
        "synthetic",
        "modalities",
    ):
        assert key in st
    assert st["models"] == 77 and st["synthetic"] is False
    assert set(st["edges_by_relation"]) == {"finetune", "adapter", "quantized", "merge", "unknown"}
    assert sum(st["edges_by_relation"].values()) == st["edges"]
    hits = json.loads(run_cli("search", "mistral-small", "--limit", "3", "--json", cache=cache).stdout)
    assert len(hits) == 3 and all("mistral" in h["id"].lower() for h in hits)
    info = json.loads(run_cli("info", "Qwen/QwQ-32B-Preview", "--json", cache=cache).stdout)
    assert info["parents"] == [{"id": "Qwen/Qwen2.5-32B-Instruct", "relation": "finetune", "source": "tag"}]
    root = json.loads(run_cli("info", "mistralai/Mistral-Small-24B-Base-2501", "--json", cache=cache).stdout)
    assert root["children"]["finetune"] >= 10 and root["modality"] == "Text"


def test_errors_are_clear_and_nonzero(cache, tmp_path, demo_out):
    bad = tmp_path / "bad.json"
    bad.write_text("[{")
    p = run_cli("import", str(bad), cache=cache, check=False)
    assert p.returncode == 1 and "nothing changed" in p.stderr and "bad.json" in p.stderr
    assert "Traceback" not in p.stderr
    demo = demo_out[0]  # `hubatlas demo --out` (conftest), as test_demo_builds_the_real_bundled_atlas checks
    p = run_cli("info", "no/such-model", cache=demo, check=False)
    assert p.returncode == 1 and "no model 'no/such-model'" in p.stderr
    p = run_cli("stats", cache=tmp_path / "empty", check=False)
    assert p.returncode == 1 and "no atlas cache" in p.stderr
    for cmd in ("layout", "snapshot"):  # writers that need an atlas say there is none, and make nothing
        p = run_cli(cmd, cache=tmp_path / "none", check=False)
        assert p.returncode == 1 and "no atlas cache" in p.stderr and not (tmp_path / "none").exists(), cmd
    notdb = tmp_path / "notdb"
    notdb.mkdir()
    (notdb / "atlas.sqlite").write_bytes(b"this is not sqlite at all" * 100)
    p = run_cli("stats", cache=notdb, check=False)
    assert p.returncode == 1 and "not a usable atlas cache" in p.stderr and "Traceback" not in p.stderr


def test_synth_refuses_to_clobber_and_marks_synthetic(cache, data_dir):
    run_cli("import", str(data_dir / "list_models_default_items.json"), cache=cache)
    p = run_cli("synth", "--models", "500", cache=cache, check=False)
    assert p.returncode == 1 and "--force" in p.stderr
    run_cli("synth", "--models", "500", "--force", cache=cache)
    st = json.loads(run_cli("stats", "--json", cache=cache).stdout)
    assert st["synthetic"] is True and st["models"] == 500


def test_env_var_and_empty_default_fall_back_to_demo(tmp_path):
    env = {"HUBATLAS_CACHE": str(tmp_path / "nothing-here"), "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    p = run_cli("stats", "--json", env=env)
    st = json.loads(p.stdout)
    assert "demo" in p.stderr and st["models"] > 1900 and st["synthetic"] is False
    assert st["cache"].endswith("resources/demo")


@pytest.mark.gl
def test_view_opens_the_window_on_the_demo(tmp_path):
    """The README's run command path: an empty cache opens the real window on the bundled demo atlas."""
    import os

    if not os.environ.get("DISPLAY"):
        pytest.skip("needs a display (the test command starts Xvfb)")
    shot = tmp_path / "window.png"
    p = run_cli(
        "view",
        "--screenshot",
        str(shot),
        env={"HUBATLAS_CACHE": str(tmp_path / "nothing"), "XDG_CONFIG_HOME": str(tmp_path / "cfg")},
    )
    assert "demo" in p.stderr
    import numpy as np
    from PIL import Image

    img = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    assert img.shape[0] > 300 and img.shape[1] > 500
    # map points in the modality palette's Text blue are on screen
    assert (np.abs(img - np.array([86, 180, 233])).max(-1) < 50).sum() > 20


def test_demo_builds_the_real_bundled_atlas(demo_out):
    demo, info = demo_out  # `hubatlas demo --out NEW --json` (conftest: once a session, shared read-only)
    assert (demo / "atlas.sqlite").is_file() and (demo / "analyses" / "predictions.arrow").is_file()
    assert info["edges_by_relation"]["adapter"] == 522
    assert info["edges_by_relation"]["quantized"] == 237
    assert info["models"] == 1042 + 969 - 1  # the two sources share one model
    assert info["layout"]["backend"] == "cpu"
    assert (REPO / "resources" / "demo" / "source" / "PROVENANCE.md").exists()


def test_layout_command_defaults_are_the_library_defaults():
    """One LayoutParams for the library, the command line and the app: `hubatlas layout` with no options asks
    for exactly the defaults the app's automatic layout uses."""
    from hubatlas.core.cli.main import build_parser
    from hubatlas.core.layout.params import LayoutParams

    args = build_parser().parse_args(["layout"])
    d = LayoutParams()
    assert (args.backend, args.seed, args.neighbors, args.anchors, args.epochs) == (
        d.backend,
        d.seed,
        d.n_neighbors,
        d.anchors,
        d.n_epochs,
    )
    assert d.anchors == 40_000  # the documented CPU-path default (README, Layout)
