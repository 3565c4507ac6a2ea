"""Views and figures (issue 29). Saved views: a small JSON file of what a view shows, validated as untrusted
input, applied on the atlas it was saved on exactly (export --save-view, then export --view: the same picture)
and on another atlas as far as it can (saying what it could not). Vector figures (SVG, PDF): the points one
raster, the rest real text. Time-lapses (GIF, WebP; MP4 where an encoder is)."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from atlas_fixtures import make_random_atlas
from helpers import run_cli

from hubatlas.viewer.layers.view_file import MAX_BYTES, ViewError, loads

GOOD = {"hubatlas_view": 1, "camera": {"center": [0.1, -0.2], "zoom": 3}, "color_by": "license"}


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("not json", "not valid JSON"),
        ("[1, 2]", '"hubatlas_view": 1'),
        ('{"hubatlas_view": 2}', '"hubatlas_view": 1'),
        ('{"hubatlas_view": 1, "eval": "__import__(\'os\')"}', "unknown key"),
        ('{"hubatlas_view": 1, "camera": {"center": [NaN, 0], "zoom": 1}}', "not a number"),
        ('{"hubatlas_view": 1, "camera": {"center": [1e308, 0], "zoom": 1}}', "camera.center"),
        ('{"hubatlas_view": 1, "camera": {"center": [0, 0], "zoom": 0}}', "camera.zoom"),
        ('{"hubatlas_view": 1, "color_by": "__class__"}', "color_by"),
        ('{"hubatlas_view": 1, "labels": "yes"}', "labels"),
        ('{"hubatlas_view": 1, "filters": {"license": ["mit"], "x": 1}}', "filters: unknown key"),
        ('{"hubatlas_view": 1, "filters": {"as_of": "yesterday"}}', "filters.as_of"),
        ('{"hubatlas_view": 1, "filters": {"min_downloads": -1}}', "filters.min_downloads"),
        (
            '{"hubatlas_view": 1, "selection": {"region": {"how": "lasso", "outline": [[0, 0]]}}}',
            "at least 3",
        ),
        ('{"hubatlas_view": 1, "hidden": ["' + "x" * 301 + '"]}', "hidden"),
        ("[" * 100_000 + "]" * 100_000, "not"),
        ('{"hubatlas_view": 1, "hidden": [' + ",".join(['"a"'] * 3000) + "]}", "at most 2,000"),
        (" " * (MAX_BYTES + 1), "at most"),
    ],
)
def test_a_view_file_is_untrusted_input(text, words):
    with pytest.raises(ViewError, match=None) as e:
        loads(text)
    assert words in str(e.value)
    assert len(str(e.value)) < 400  # bounded, whatever the input


def test_a_good_view_keeps_what_it_says():
    v = loads(json.dumps(GOOD))
    assert v.data["camera"] == {"center": [0.1, -0.2], "zoom": 3.0} and v.data["color_by"] == "license"
    assert loads(v.dumps(one_line=True)).data == v.data and "\n" not in v.dumps(one_line=True)


@pytest.fixture(scope="module")
def atlas(tmp_path_factory):
    d = tmp_path_factory.mktemp("views") / "c"
    make_random_atlas(d, 3000)
    return d


def _img(path):
    from PIL import Image

    return np.asarray(Image.open(path).convert("RGB")).astype(int)


@pytest.mark.gl
def test_export_save_view_then_view_remakes_the_figure(atlas, tmp_path):
    first, view = tmp_path / "a.png", tmp_path / "a.json"
    run_cli(
        "export",
        "--out",
        str(first),
        "--width",
        "400",
        "--height",
        "300",
        "--color-by",
        "license",
        "--filter",
        "license=mit,apache-2.0",
        "--focus",
        "org3/model-3",
        "--zoom",
        "3",
        "--density",
        "--save-view",
        str(view),
        cache=atlas,
    )
    saved = json.loads(view.read_text())
    assert saved["color_by"] == "license" and saved["filters"]["license"] == ["apache-2.0", "mit"]
    assert saved["selection"]["model"] == "org3/model-3" and saved["density"] is True
    assert saved["camera"]["zoom"] == pytest.approx(3.0) and saved["atlas"]["models"] == 3000
    again, view2 = tmp_path / "b.png", tmp_path / "b.json"
    run_cli("export", "--out", str(again), "--width", "400", "--height", "300", "--view", str(view),
            "--save-view", str(view2), cache=atlas)  # fmt: skip
    assert json.loads(view2.read_text()) == saved  # the view rendered is the view asked for
    a, b = _img(first), _img(again)
    assert np.array_equal(a, b)  # the same picture, pixel for pixel
    plain = tmp_path / "c.png"
    run_cli("export", "--out", str(plain), "--width", "400", "--height", "300", cache=atlas)
    assert (np.abs(a - _img(plain)).sum(-1) > 0).mean() > 0.05  # (and the view made a difference)


@pytest.mark.gl
def test_a_view_on_another_atlas_applies_what_it_can_and_says_what_not(atlas, tmp_path):
    view = dict(GOOD)
    view["filters"] = {"license": ["mit", "no-such-licence"]}
    view["selection"] = {"model": "nobody/nothing", "region": {"how": "ids", "ids": ["org1/model-1", "x/y"]}}
    view["hidden"] = ["mit", "not-a-class"]
    path = tmp_path / "v.json"
    path.write_text(json.dumps(view))
    out = tmp_path / "v.png"
    p = run_cli(
        "export", "--out", str(out), "--width", "200", "--height", "150", "--view", str(path), cache=atlas
    )
    for words in ("no-such-licence", "nobody/nothing", "1 of the 2 selected", "not-a-class"):
        assert words in p.stderr, p.stderr
    assert out.exists()
    bad = tmp_path / "bad.json"
    bad.write_text('{"hubatlas_view": 1, "camera": {"center": [0, 0], "zoom": -4}}')
    p = run_cli("export", "--out", str(out), "--view", str(bad), cache=atlas, check=False)
    assert p.returncode == 1 and "camera.zoom" in p.stderr and "Traceback" not in p.stderr


def test_capture_and_apply_round_trip_on_the_model(atlas):
    """Without GL: the state a view applies is the state it was captured from."""
    from hubatlas.core.common.filters import Filters
    from hubatlas.core.store.snapshot import open_snapshot
    from hubatlas.viewer.layers.atlas_model import AtlasModel
    from hubatlas.viewer.layers.atlas_state import AtlasState, Region
    from hubatlas.viewer.layers.colors import LegendEntry
    from hubatlas.viewer.layers.view_file import apply, capture

    model = AtlasModel(open_snapshot(atlas))
    _, labels = model.snap.codes("license")
    legend = [LegendEntry("mit", (1, 2, 3), 5, 0), LegendEntry("(none)", (0, 0, 0), 9, 1)]
    st = AtlasState(mode="license", labels=False, density=True, theme="light")
    st.update(
        filters=Filters({"license": frozenset({labels.index("mit")})}, min_downloads=10, as_of_day=19000),
        hidden_classes=frozenset({1}),
        region=Region(np.array([3, 5, 8]), None, "ids"),
    )
    v = capture(model, st, (0.25, -0.5, 2.0), legend)
    other = AtlasState()
    cam = apply(loads(v.dumps()), model, other, lambda: legend)
    assert cam == (0.25, -0.5, 2.0) and not v.notes
    assert other.mode == "license" and other.theme == "light" and not other.labels and other.density
    assert other.filters.key() == st.filters.key() and other.hidden_classes == frozenset({1})
    assert other.region.nodes.tolist() == [3, 5, 8]


@pytest.mark.gl
def test_the_window_saves_copies_and_opens_views(make_window, tmp_path, qtbot):
    pytest.importorskip("pytestqt")
    from PySide6.QtGui import QGuiApplication

    from hubatlas.viewer._qt import view_actions

    w = make_window()
    w.state.color_by("license")
    w.state.update(labels=False, theme="light")
    w.atlas.set_camera(0.2, 0.1, 2.5)
    path = view_actions.write(w, tmp_path / "w.json")
    line = view_actions.copy_view(w)
    assert path is not None and QGuiApplication.clipboard().text() == line and "\n" not in line
    w.state.color_by("modality")
    w.state.update(labels=True, theme="dark")
    w.atlas.set_camera(0, 0, 1)
    assert view_actions.paste_view(w) == []  # everything applied
    assert (w.state.mode, w.state.labels, w.state.theme) == ("license", False, "light")
    assert w.atlas.camera() == pytest.approx((0.2, 0.1, 2.5))
    assert w.mode_actions["license"].isChecked()  # the menus follow the state
    w.state.color_by("modality")
    assert view_actions.open_path(w, path) == [] and w.state.mode == "license"


@pytest.mark.gl
@pytest.mark.parametrize("fmt", ["svg", "pdf"])
def test_vector_figures_have_the_points_as_one_raster_and_real_text(atlas, tmp_path, fmt):
    out = tmp_path / f"fig.{fmt}"
    title = "<script>alert(1)</script> & a figure"
    run_cli("export", "--out", str(out), "--width", "800", "--height", "500", "--color-by", "license",
            "--title", title, cache=atlas)  # fmt: skip
    data = out.read_bytes()
    if fmt == "svg":
        import xml.etree.ElementTree as ET

        root = ET.fromstring(data)  # well-formed: the title's markup is escaped, not run
        ns = "{http://www.w3.org/2000/svg}"
        texts = ["".join(t.itertext()) for t in root.iter(f"{ns}text")]
        images = list(root.iter(f"{ns}image"))
        assert len(images) >= 1 and title in texts and "Licence" in texts
        assert any(t.startswith("mit") for t in texts) and any(t.startswith("hubatlas ·") for t in texts)
        assert b"<script>" not in data and "DejaVu Sans" in data.decode()
        assert root.get("width", "").startswith("800")
    else:
        assert data.startswith(b"%PDF") and b"FontFile2" in data  # the font embedded (TrueType)
        assert b"DejaVuSans" in data and b"/Subtype /Image" in data
    assert len(data) < 5_000_000


def test_month_ends_and_their_bounds():
    from hubatlas.viewer._vispy.export import ExportError
    from hubatlas.viewer._vispy.timelapse import MAX_FRAMES, month_ends

    days = month_ends("2023-11", "2024-02")
    assert [str(np.datetime64("1970-01-01") + np.timedelta64(d, "D")) for d in days] == [
        "2023-11-30",
        "2023-12-31",
        "2024-01-31",
        "2024-02-29",
    ]
    assert len(month_ends("2023-01", "2023-12", "quarter")) == 4
    for first, last in (("2024-05", "2024-01"), ("2000-01", "2099-01"), ("May", "2024-01")):
        with pytest.raises(ExportError):
            month_ends(first, last)
    assert MAX_FRAMES >= 120


@pytest.mark.gl
def test_a_timelapse_records_the_growth_month_by_month(atlas, tmp_path):
    from PIL import Image

    out = tmp_path / "growth.gif"
    p = run_cli("export", "--timelapse", "--from", "2021-01", "--to", "2022-06", "--step", "quarter", "--width",
                "320", "--height", "200", "--fps", "5", "--no-legend", "--no-attribution", "--no-labels", "--out",
                str(out), cache=atlas)  # fmt: skip
    assert "6 frames" in p.stderr
    im = Image.open(out)
    assert im.n_frames == 6 and im.size == (320, 200) and im.info["duration"] == 200
    lit = []
    for i in range(im.n_frames):
        im.seek(i)
        a = np.asarray(im.convert("RGB")).astype(int)[50:]  # below the caption
        lit.append(int((np.abs(a - a[-1, 0]).sum(-1) > 40).sum()))
    # the Hub grows: more of the map lit month by month (labels come and go: a little slack)
    assert all(b >= 0.97 * a for a, b in itertools.pairwise(lit)) and lit[-1] > 1.2 * lit[0]
    webp = tmp_path / "growth.webp"
    run_cli("export", "--timelapse", "--from", "2023-01", "--to", "2023-03", "--width", "160", "--height", "100",
            "--out", str(webp), cache=atlas)  # fmt: skip
    assert Image.open(webp).n_frames == 3
    p = run_cli("export", "--out", str(tmp_path / "x.gif"), cache=atlas, check=False)
    assert p.returncode == 1 and "needs --timelapse" in p.stderr


@pytest.mark.gl
def test_mp4_says_how_to_get_an_encoder_where_there_is_none(atlas, tmp_path, monkeypatch):
    from hubatlas.viewer._vispy import timelapse

    if timelapse._ffmpeg() is not None:
        pytest.skip("an ffmpeg encoder is installed here")
    p = run_cli("export", "--timelapse", "--out", str(tmp_path / "g.mp4"), cache=atlas, check=False)
    assert p.returncode == 1 and "imageio-ffmpeg" in p.stderr and "Traceback" not in p.stderr


@pytest.mark.gl
def test_the_window_records_history(make_window, tmp_path):
    pytest.importorskip("pytestqt")
    from PIL import Image

    from hubatlas.viewer._qt.record_history import record_history

    w = make_window()
    before = w.state.filters.key()
    n = record_history(w, tmp_path / "h.gif", size=(200, 120))
    assert n >= 1 and Image.open(tmp_path / "h.gif").n_frames == n
    assert w.state.filters.key() == before  # the view is given back as it was
