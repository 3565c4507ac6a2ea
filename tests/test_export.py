"""Screenshot export: sizes, read-back pixels of known nodes, legend/attribution on and off, tiling, and the
CLI's errors (real renders under Xvfb/Mesa in CI)."""

from __future__ import annotations

import numpy as np
import pytest
from atlas_fixtures import KNOWN, make_known_atlas
from helpers import run_cli

from hubatlas.viewer.layers.atlas_model import AtlasModel

pytestmark = pytest.mark.gl


@pytest.fixture(scope="module")
def known(tmp_path_factory):
    d = tmp_path_factory.mktemp("exp") / "c"
    make_known_atlas(d)
    return d


def read(path):
    from PIL import Image

    return np.asarray(Image.open(path).convert("RGBA"))


def world_px(x, y, w, h, zoom=1.0):
    """Pixel of a world point in an export of the default view (-1.1..1.1, widened to the image's aspect)."""
    half_h = 1.1 / zoom
    half_w = half_h
    if w / h > 1:
        half_w = half_h * w / h
    else:
        half_h = half_w * h / w
    return (x + half_w) / (2 * half_w) * w, (half_h - y) / (2 * half_h) * h


@pytest.mark.parametrize("w,h", [(320, 240), (800, 800), (1200, 500)])
def test_export_sizes_and_known_pixels(known, tmp_path, w, h):
    out = tmp_path / f"m{w}.png"
    run_cli(
        "export",
        "--out",
        str(out),
        "--width",
        str(w),
        "--height",
        str(h),
        "--no-legend",
        "--no-attribution",
        cache=known,
    )
    img = read(out)
    assert img.shape == (h, w, 4)
    from hubatlas.viewer.layers.colors import MODALITY_COLORS

    for mid, mod in (("org/text-model", "Text"), ("org/image-model", "Image"), ("org/audio-model", "Audio")):
        px, py = world_px(*KNOWN[mid][:2], w, h)
        patch = img[int(py) - 1 : int(py) + 2, int(px) - 1 : int(px) + 2, :3].reshape(-1, 3).astype(int)
        want = np.array(MODALITY_COLORS[mod])
        assert (np.abs(patch - want).max(1) < 60).any(), (mid, patch)


def test_legend_and_attribution_present_only_when_asked(known, tmp_path):
    plain, full = tmp_path / "plain.png", tmp_path / "full.png"
    run_cli(
        "export",
        "--out",
        str(plain),
        "--width",
        "600",
        "--height",
        "400",
        "--no-legend",
        "--no-attribution",
        cache=known,
    )
    run_cli(
        "export", "--out", str(full), "--width", "600", "--height", "400", "--title", "Hello", cache=known
    )
    a, b = read(plain).astype(int), read(full).astype(int)
    legend_box = (slice(250, 390), slice(5, 200))
    attribution = (slice(370, 395), slice(300, 595))
    title = (slice(5, 40), slice(5, 120))
    for region in (legend_box, attribution, title):
        assert np.abs(a[region] - b[region]).max() > 60  # something drawn there in the full export
    bg = a[legend_box][..., :3]
    assert np.abs(bg - bg[0, 0]).max() < 5  # and nothing there in the plain one


def test_jpeg_transparent_and_tiled(known, tmp_path):
    from hubatlas.core.store.snapshot import open_snapshot
    from hubatlas.viewer._vispy.canvas import AtlasCanvas
    from hubatlas.viewer._vispy.export import ExportOptions, export_image

    atlas = AtlasCanvas(AtlasModel(open_snapshot(known)), size=(300, 200))
    try:
        one = export_image(
            atlas, tmp_path / "one.png", ExportOptions(width=900, height=600, legend=False, attribution=False)
        )
        tiled = export_image(
            atlas,
            tmp_path / "tiled.png",
            ExportOptions(width=900, height=600, legend=False, attribution=False),
            tile=256,
        )
        a, b = read(one).astype(int), read(tiled).astype(int)
        assert a.shape == b.shape == (600, 900, 4)
        # tiles stitch into the same picture (points on tile seams may differ by antialiasing only)
        assert (np.abs(a - b).max(-1) > 40).mean() < 0.002
        assert (a[..., :3].sum(-1) > 200).sum() > 50
        t = export_image(
            atlas,
            tmp_path / "t.png",
            ExportOptions(width=200, height=200, legend=False, attribution=False, transparent=True),
        )
        assert read(t)[100, 100, 3] == 0 and read(t)[..., 3].max() > 0
        j = export_image(atlas, tmp_path / "x.jpg", ExportOptions(width=200, height=150))
        from PIL import Image

        assert Image.open(j).format == "JPEG" and Image.open(j).size == (200, 150)
    finally:
        atlas.close()


def test_focus_zoom_and_filter(known, tmp_path):
    out = tmp_path / "focus.png"
    run_cli(
        "export",
        "--out",
        str(out),
        "--width",
        "400",
        "--height",
        "400",
        "--focus",
        "org/image-model",
        "--zoom",
        "8",
        "--no-legend",
        "--no-attribution",
        cache=known,
    )
    img = read(out)
    assert img[200, 200, 0] > 200 and img[200, 200, 1] < 120  # the highlighted focus sits in the centre
    out2 = tmp_path / "filter.png"
    run_cli(
        "export",
        "--out",
        str(out2),
        "--width",
        "400",
        "--height",
        "400",
        "--filter",
        "modality=Image",
        "--no-legend",
        "--no-attribution",
        cache=known,
    )
    img2 = read(out2).astype(int)
    px, py = world_px(*KNOWN["org/text-model"][:2], 400, 400)
    assert img2[int(py), int(px), :3].sum() < 100  # filtered out


@pytest.mark.parametrize(
    "args,needle",
    [
        (["--focus", "no/such-model"], "no model 'no/such-model'"),
        (["--width", "20000", "--height", "20000"], "over the limit"),
        (["--filter", "colour=red"], "bad --filter"),
        (["--filter", "modality=Nope"], "no model has modality"),
    ],
)
def test_export_errors(known, tmp_path, args, needle):
    p = run_cli("export", "--out", str(tmp_path / "e.png"), *args, cache=known, check=False)
    assert p.returncode == 1 and needle in p.stderr and "Traceback" not in p.stderr
    assert not (tmp_path / "e.png").exists()


def test_export_path_errors(known, tmp_path):
    p = run_cli("export", "--out", str(tmp_path / "missing-dir" / "x.png"), cache=known, check=False)
    assert p.returncode == 1 and "does not exist" in p.stderr
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    import os

    if os.access(ro, os.W_OK):  # root ignores permissions: use a path that cannot be a file instead
        p = run_cli("export", "--out", "/proc/hubatlas.png", cache=known, check=False)
    else:
        p = run_cli("export", "--out", str(ro / "x.png"), cache=known, check=False)
    assert p.returncode == 1 and "not writable" in p.stderr
    p = run_cli("export", "--out", str(tmp_path / "x.bmp"), cache=known, check=False)
    assert p.returncode == 1 and "use .png, .jpg, .svg or .pdf" in p.stderr
    p = run_cli("export", "--out", str(tmp_path / "x.gif"), cache=known, check=False)
    assert p.returncode == 1 and "needs --timelapse" in p.stderr


def test_export_with_predicted_colours(tmp_path):
    from atlas_fixtures import KNOWN, make_known_atlas

    from hubatlas.core.analysis.predict import save
    from hubatlas.viewer.layers.colors import OTHER

    cache = tmp_path / "p"
    snap = make_known_atlas(cache)
    out = tmp_path / "pred.png"
    p = run_cli(
        "export",
        "--out",
        str(out),
        "--width",
        "400",
        "--height",
        "400",
        "--color-by",
        "library_name",
        "--predicted",
        cache=cache,
        check=False,
    )
    assert p.returncode == 1 and "run `hubatlas predict` first" in p.stderr and not out.exists()
    ids = snap.nodes.column("id").to_pylist()
    lib, conf = np.full(len(ids), -1, np.int32), np.zeros(len(ids), np.float32)
    lib[ids.index("org/text-ft")], conf[ids.index("org/text-ft")] = 0, 0.9
    save(cache, {"library_name": (lib, conf, ["transformers"])}, snap.manifest["data_version"])
    plain_, pred = tmp_path / "plain.png", tmp_path / "pred.png"
    for path, extra in ((plain_, ["--no-predicted"]), (pred, ["--predicted"])):
        run_cli(
            "export",
            "--out",
            str(path),
            "--width",
            "400",
            "--height",
            "400",
            "--color-by",
            "library_name",
            "--no-legend",
            "--no-attribution",
            *extra,
            cache=cache,
        )
    px, py = world_px(*KNOWN["org/text-ft"][:2], 400, 400)
    a = read(plain_)[int(py) - 1 : int(py) + 2, int(px) - 1 : int(px) + 2, :3].astype(int)
    b = read(pred)[int(py) - 1 : int(py) + 2, int(px) - 1 : int(px) + 2, :3].astype(int)
    bg = np.array([0.07, 0.07, 0.09]) * 255
    paler = np.array(OTHER) * 0.45 + bg * 0.55
    assert np.abs(a - b).max() > 10  # the predicted model changed colour ...
    assert (np.abs(b - paler).max(-1) < 30).any()  # ... to the paler 'other' colour
    other = world_px(*KNOWN["org/audio-model"][:2], 400, 400)  # documented-less but unpredicted: unchanged
    assert np.array_equal(
        read(plain_)[int(other[1]), int(other[0])], read(pred)[int(other[1]), int(other[0])]
    )
