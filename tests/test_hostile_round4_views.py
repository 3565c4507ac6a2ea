"""The fourth round of hostile probes (issue 38), saved views, time-lapse and label dates: a view on a FIFO or a
device, numbers of 400 digits, lone surrogates, `today` and `NaT` as dates, a lasso of 100,000 vertices,
--save-view onto a folder. Each once hung, ran out of memory or ended in a traceback; now a refusal naming the
file, value or limit, or the right result."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest
from helpers import refused, run_cli

FIFO = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")


# -- views: 11, 12, 15, 16, 17, 20, 23; time-lapse dates: 13 ---------------------------------------------------
@pytest.fixture(scope="module")
def laid_out(tmp_path_factory) -> Path:
    """A small atlas with a layout (known positions), for export and view."""
    from atlas_fixtures import make_known_atlas

    cache = tmp_path_factory.mktemp("round4-views") / "c"
    make_known_atlas(cache)
    return cache


def _export(cache: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return run_cli(
        "export",
        "--out",
        str(tmp_path / "x.png"),
        "--width",
        "64",
        "--height",
        "64",
        *args,
        cache=cache,
        check=False,
    )


def _view(tmp_path: Path, obj: object, name: str = "v.json") -> str:
    path = tmp_path / name
    path.write_text(obj if isinstance(obj, str) else json.dumps(obj))
    return str(path)


@FIFO
def test_a_view_on_a_fifo_without_writer_is_refused_at_once(laid_out, tmp_path):
    os.mkfifo(tmp_path / "v")
    t = time.perf_counter()
    p = _export(laid_out, tmp_path, "--view", str(tmp_path / "v"))  # once: blocked forever on open()
    refused(p, "FIFO", "not a regular file", str(tmp_path / "v"))
    assert time.perf_counter() - t < 60 and not (tmp_path / "x.png").exists()


@FIFO
def test_view_on_a_fifo_is_refused_before_the_window_opens(laid_out, tmp_path):
    os.mkfifo(tmp_path / "v")
    env = {"QT_QPA_PLATFORM": "offscreen"}
    for path in (str(tmp_path / "v"), "/dev/zero"):  # once: hung for ever; read until memory ran out
        p = run_cli("view", "--view", path, cache=laid_out, env=env, check=False)
        refused(p, "--view", path, "not a regular file")


def test_a_view_on_an_endless_device_reads_at_most_its_cap():
    from hubatlas.core.common.regular_files import NotRegularFile, read_capped
    from hubatlas.viewer.layers.view_file import ViewError, load

    with pytest.raises(ViewError, match="character device"):  # once: read until memory ran out
        load("/dev/zero")
    with pytest.raises(NotRegularFile):
        read_capped("/dev/urandom", 10)


def test_a_view_file_over_the_cap_is_refused_by_what_was_read(tmp_path):
    from hubatlas.core.common.regular_files import FileTooLarge, read_capped
    from hubatlas.viewer.layers.view_file import MAX_BYTES, ViewError, load

    big = tmp_path / "big.json"
    with open(big, "wb") as f:
        f.truncate(MAX_BYTES + 1)  # a sparse file: its size is honest, and it is read only to the cap
    with pytest.raises(ViewError, match=f"at most {MAX_BYTES:,} bytes"):
        load(big)
    assert read_capped(tmp_path / "big.json", MAX_BYTES + 1) == b"\0" * (MAX_BYTES + 1)
    with pytest.raises(FileTooLarge, match=r"big\.json"):
        read_capped(big, 1000)


@pytest.mark.parametrize(
    ("view", "words"),
    [
        ({"hubatlas_view": 1, "camera": {"center": [0, 0], "zoom": int("9" * 400)}}, "camera.zoom"),
        ({"hubatlas_view": 1, "camera": {"center": [int("9" * 400), 0]}}, "camera.center"),
        ({"hubatlas_view": 1, "selection": {"region": {"how": "ids", "ids": ["\ud800x"]}}}, "lone surrogate"),
        ({"hubatlas_view": 1, "selection": {"model": "\ud800x"}}, "lone surrogate"),
        ({"hubatlas_view": 1, "filters": {"license": ["a\udfffb"]}}, "lone surrogate"),
        ({"hubatlas_view": True}, '"hubatlas_view": 1'),
        ({"hubatlas_view": 1.0, "theme": "dark"}, None),
        ({"hubatlas_view": 1, "filters": {"since": "today"}}, "'today'"),
        ({"hubatlas_view": 1, "filters": {"as_of": "NaT"}}, "'NaT'"),
        ({"hubatlas_view": 1, "filters": {"as_of": "-200000-01-01"}}, "'-200000-01-01'"),
        ({"hubatlas_view": 1, "filters": {"since": "2024-02-30"}}, "'2024-02-30'"),
    ],
)
def test_hostile_view_values_are_one_clear_line(laid_out, tmp_path, view, words):
    from hubatlas.viewer.layers.view_file import ViewError, loads

    text = json.dumps(view)  # ensure_ascii: a lone surrogate travels as \\ud800, as a hostile file has it
    if words is None:
        assert loads(text).data["theme"] == "dark"  # 1.0 == 1 is the same number: read
        return
    with pytest.raises(ViewError, match=words.replace("(", r"\(")):
        loads(text)
    if "zoom" in text or "surrogate" in words or "today" in words:
        p = _export(laid_out, tmp_path, "--view", _view(tmp_path, text))
        refused(p, "--view", words)


def test_view_dates_keep_their_day_and_months_read_as_their_first():
    from hubatlas.core.common.filters import parse_day
    from hubatlas.viewer.layers.view_file import loads

    v = loads(json.dumps({"hubatlas_view": 1, "filters": {"since": "2023-05", "as_of": "2024-07-11"}}))
    assert v.data["filters"] == {"since": "2023-05-01", "as_of": "2024-07-11"}
    assert parse_day("2024-07-11") - parse_day("2024-07") == 10
    for bad in ("today", "NaT", "-200000-01-01", "1969-12-31", "2200-01-01", "2024-1-1", "2024-01-01T00"):
        with pytest.raises(ValueError, match="date"):
            parse_day(bad)


def test_a_lasso_of_100000_vertices_is_simplified_and_opens_in_bounded_time():
    import numpy as np
    from matplotlib.path import Path as MplPath

    from hubatlas.viewer.layers.region import MAX_OUTLINE, in_polygon
    from hubatlas.viewer.layers.view_file import loads

    t = np.linspace(0, 2 * np.pi, 100_000, endpoint=False)
    r = 0.8 + 0.1 * np.sin(37 * t)
    outline = np.round(np.stack([r * np.cos(t), r * np.sin(t)], 1), 6)
    view = loads(
        json.dumps(
            {"hubatlas_view": 1, "selection": {"region": {"how": "lasso", "outline": outline.tolist()}}}
        )
    )
    kept = np.asarray(view.data["selection"]["region"]["outline"])
    assert 3 <= len(kept) <= MAX_OUTLINE  # once: all 100,000 kept, each a pass over the models
    xy = np.random.default_rng(0).uniform(-1, 1, (20_000, 2))
    start = time.perf_counter()
    got = in_polygon(xy, np.ones(len(xy), bool), outline)  # the full outline too is bounded where it is used
    assert time.perf_counter() - start < 5
    exact = np.flatnonzero(MplPath(outline).contains_points(xy))
    assert len(np.setxor1d(got, exact)) <= 0.01 * len(exact)  # the same selection but for a few on the edge


def test_save_view_onto_a_folder_names_the_folder(laid_out, tmp_path):
    (tmp_path / "views").mkdir()
    p = _export(laid_out, tmp_path, "--save-view", str(tmp_path / "views"))
    err = refused(p, str(tmp_path / "views"), "is a directory")
    assert "x.png" not in err  # once: "x.png: not writable (Is a directory)"
    p = _export(laid_out, tmp_path, "--save-view", str(tmp_path / "nowhere" / "v.json"))
    refused(p, "--save-view", "does not exist")


@FIFO
def test_export_onto_a_fifo_refuses_before_rendering(laid_out, tmp_path):
    os.mkfifo(tmp_path / "x.png")
    p = _export(laid_out, tmp_path)
    refused(p, "x.png", "FIFO", "refusing to write over it")
    assert (tmp_path / "x.png").is_fifo()


@pytest.mark.parametrize(
    ("option", "value"), [("--from", "NaT"), ("--to", "today"), ("--from", "-200000-01"), ("--to", "2024-13")]
)
def test_timelapse_months_are_strict(laid_out, tmp_path, option, value):
    p = run_cli(
        "export",
        "--timelapse",
        "--out",
        str(tmp_path / "t.gif"),
        f"{option}={value}",
        cache=laid_out,
        check=False,
    )
    refused(p, option, repr(value), code=2)


def test_label_dates_are_strict(laid_out):
    for value in ("today", "NaT", "2024-02-30", "-200000-01-01"):
        for option in ("--as-of", "--since"):
            p = run_cli("labels", f"{option}={value}", cache=laid_out, check=False)
            refused(p, option, repr(value), code=2)
