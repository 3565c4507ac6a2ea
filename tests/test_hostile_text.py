"""Untrusted text in figures, charts, CSV files and the terminal (issue 38, lines 4-10; the memory of exports
and time-lapses, line 14, is in test_export_memory.py). Every text from the data or the user goes through one function
(``hubatlas.core.common.text.printable``) before it reaches a PNG, SVG or PDF, a chart, a CSV file, the HTML
report or the terminal: the files are checked as they are read back (SVG parsed as XML, PDF cross-references
followed, CSV read by the csv module)."""

from __future__ import annotations

import csv
import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from helpers import rec, run_cli, write_json

from hubatlas.core.common.text import FORMULA_START, chart_text, csv_cell, printable

HOSTILE = {
    "controls": "a\x01b\x0bc\x1bd\x00e",
    "bidi": "\u202egnp.exe\u2066rtl",
    "bom": "a\ufeffb",
    "newline": "mit\nevil",
    "math": "a$_$b",
    "formula": "+cmd|' /C calc'!A0",
    "terminal": "x\x1b]0;pwned\x07y",
    "surrogate": "x\ud800y",
    "separators": "p\u2028q\u2029r\u200bs",
}
# what a terminal would act on, XML 1.0 forbids, breaks a line or reorders text: none of it may come out
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ud800-\udfff]")


def unsafe(text: str) -> list[str]:
    """The unsafe characters of one line of text."""
    return [hex(ord(c)) for c in UNSAFE.findall(text)]


def unsafe_lines(text: str) -> list[str]:
    """The unsafe characters of a multi-line output (its own line breaks, '\\n', aside)."""
    return [c for line in text.split("\n") for c in unsafe(line)]


# -- the one function and its two wrappers ------------------------------------------------------------------
@pytest.mark.parametrize("name", list(HOSTILE))
def test_printable_leaves_nothing_to_interpret_and_shows_where_it_was(name):
    raw = HOSTILE[name]
    out = printable(raw)
    assert unsafe(out) == [] and "\n" not in out and "\t" not in out
    assert len(out) == len(raw)  # each character kept or shown as U+FFFD, never silently dropped
    assert ("\ufffd" in out) == (unsafe(raw) != [])
    assert out.encode("utf-8")  # a lone surrogate could not be encoded
    assert printable(out) == out  # idempotent: measured and drawn alike


def test_csv_cells_are_plain_and_never_formulas():
    assert csv_cell(HOSTILE["formula"]) == "'" + HOSTILE["formula"]
    for start in FORMULA_START:
        cell = csv_cell(f"{start}1+1")
        assert isinstance(cell, str) and cell.startswith("'") and unsafe(cell) == []
    assert csv_cell("org/model-=1") == "org/model-=1" and csv_cell(None) == ""
    # numbers are the atlas's own: written as numbers, a negative one not quoted
    assert csv_cell(-0.25) == -0.25 and csv_cell(np.int64(-3)) == -3 and csv_cell(7) == 7
    assert unsafe(csv_cell(HOSTILE["terminal"])) == []


def test_chart_text_is_drawn_as_written_not_as_mathtext():
    """'a$_$b' parsed as mathtext raised a ParseSyntaxException in the report (issue 38, line 10)."""
    import matplotlib
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    with matplotlib.rc_context({"svg.fonttype": "none"}):
        fig = Figure()
        FigureCanvasSVG(fig)
        ax = fig.add_subplot()
        for i, raw in enumerate(["a$_$b", "$x^2$ and \\$", "cost $5"]):
            ax.text(0, i, chart_text(raw))
        path = Path(os.environ.get("TMPDIR", "/tmp")) / f"chart_text_{os.getpid()}.svg"
        fig.savefig(path, format="svg")
    texts = ["".join(t.itertext()) for t in ET.parse(path).getroot().iter("{http://www.w3.org/2000/svg}text")]
    path.unlink()
    assert "a$_$b" in texts and "$x^2$ and \\$" in texts and "cost $5" in texts


def test_every_chart_takes_hostile_labels():
    from hubatlas.core.analysis import charts

    labels = list(HOSTILE.values())
    months = ["2024-01", "2024-02\x1b", "2024-03"]
    series = {"labels": labels, "counts": [[1, 2, 3]] * len(labels)}
    pngs = [
        charts.monthly_lines(months, series, "tasks $a$_b", stacked=True),
        charts.monthly_lines(months, series, HOSTILE["bom"]),
        charts.values_over_months(months, [1, None, 3], HOSTILE["math"], HOSTILE["newline"]),
        charts.grouped_bars(labels, {HOSTILE["math"]: list(range(len(labels)))}, HOSTILE["controls"]),
        charts.heatmap(labels, np.eye(len(labels), dtype=int).tolist(), HOSTILE["bidi"]),
        charts.horizontal_bars(labels, {HOSTILE["math"]: [1] * len(labels)}, "families"),
    ]
    assert all(p.startswith(b"\x89PNG") and len(p) > 1000 for p in pngs)


# -- figures: the operations an export draws, without GL ----------------------------------------------------
def _colors(labels):
    from hubatlas.viewer.layers.colors import ColorResult, LegendEntry

    entries = [LegendEntry(lab, (200, 80 + 10 * i, 40), 86 + i, i) for i, lab in enumerate(labels)]
    return ColorResult(np.zeros((1, 4), np.uint8), np.zeros(1, np.int16), entries)


def _ops(title: str, labels):
    from hubatlas.viewer._vispy.export import ExportOptions
    from hubatlas.viewer._vispy.figure import decorations

    opts = ExportOptions(width=640, height=480, title=title)
    manifest = {"models": 9, "data_date": "2024-07-11", "data_source": HOSTILE["terminal"]}
    return decorations(640, 480, _colors(labels), opts, manifest, "Licence", (255, 255, 255))


def test_figure_texts_are_printable_and_a_count_is_never_part_of_its_label():
    from hubatlas.viewer._vispy.figure import Text, draw_raster

    labels = list(HOSTILE.values())
    ops = _ops("a\nb" + HOSTILE["bom"] + HOSTILE["terminal"], labels)
    texts = [op.text for op in ops if isinstance(op, Text)]
    assert texts and all(unsafe(t) == [] for t in texts)
    for i, raw in enumerate(labels):  # the label and its count: two texts, in this order
        k = texts.index(printable(raw[:40]))
        assert texts[k + 1] == f"  {86 + i:,}"
    assert "\ufffdgnp.exe\ufffdrtl" in texts  # the override shown, not obeyed
    # Pillow lays out each text: a newline or an override in one raised RuntimeError (raqm_layout() failed)
    img = draw_raster(np.zeros((480, 640, 4), np.uint8), ops)
    assert img.shape == (480, 640, 4) and img[..., :3].any()


@pytest.mark.parametrize("fmt", ["svg", "pdf"])
def test_vector_figures_of_hostile_text_are_well_formed(tmp_path, fmt):
    """SVG: "PCDATA invalid Char value 1"; PDF: IndexError on U+FEFF (issue 38, lines 4 and 8)."""
    from hubatlas.viewer._vispy.vector_figure import save_vector

    ops = _ops("a" + HOSTILE["bom"] + HOSTILE["controls"], list(HOSTILE.values()))
    out = tmp_path / f"f.{fmt}"
    save_vector(np.zeros((480, 640, 4), np.uint8), ops, out, fmt, (0.1, 0.1, 0.1))
    if fmt == "svg":
        texts = svg_texts(out)
        assert "Licence" in texts and "  86" in texts and all(unsafe(t) == [] for t in texts)
    else:
        check_pdf(out.read_bytes())


def svg_texts(path: Path) -> list[str]:
    root = ET.parse(path).getroot()  # raises on a character XML forbids
    return ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]


def check_pdf(data: bytes) -> None:
    """A PDF opened as a reader starts: the trailer's startxref leads to the cross-reference table, and every
    object it lists is where it says."""
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    start = int(re.findall(rb"startxref\s+(\d+)", data)[-1])
    assert data[start : start + 4] == b"xref"
    head = re.match(rb"xref\s+0 (\d+)\s+", data[start:])
    assert head is not None
    rows = data[start + head.end() :].split(b"\n")[: int(head.group(1))]
    for num, row in enumerate(rows):
        offset, _, kind = row.split()[:3]
        if kind == b"n":
            assert data[int(offset) :].startswith(f"{num} 0 obj".encode()), num
    assert b"/Subtype /Image" in data and b"FontFile2" in data


# -- the commands, end to end -------------------------------------------------------------------------------
def make_hostile_atlas(cache: Path) -> Path:
    """150 models whose licences, tasks and libraries are the hostile values (a lone surrogate aside: import
    refuses it), in families, laid out."""
    from hubatlas.core.ingest.files import import_paths
    from hubatlas.core.layout.pipeline import apply_to_snapshot
    from hubatlas.core.store.database import Store
    from hubatlas.core.store.snapshot import build, open_snapshot

    values = [v for k, v in HOSTILE.items() if k != "surrogate"]  # import quarantines a lone surrogate
    recs = []
    for i in range(150):
        tags = [f"license:{values[i % len(values)]}"]
        if i >= 10:
            tags.append(f"base_model:finetune:org/m-{i % 10}")
        recs.append(
            rec(
                f"org/m-{i}",
                tags=tags,
                downloads=i * 7,
                pipeline_tag=values[(i // 3) % len(values)],
                library_name=values[(i // 5) % len(values)],
                createdAt=f"{2021 + i % 3}-{1 + i % 12:02d}-15T00:00:00.000Z",
            )
        )
    cache.mkdir(parents=True)
    with Store(cache) as s:
        import_paths(s, [write_json(cache.parent / "hostile.json", recs)])
        build(s)
    snap = open_snapshot(cache)
    rng = np.random.default_rng(3)
    apply_to_snapshot(snap, rng.uniform(-0.9, 0.9, (len(snap), 2)).astype(np.float32), {"backend": "test"})
    return cache


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    return make_hostile_atlas(tmp_path_factory.mktemp("hostile") / "c")


def test_the_report_writes_hostile_labels_as_plain_text_and_quoted_cells(hostile, tmp_path):
    """The report died on a licence 'a$_$b' (mathtext); trends_task.csv had an unquoted '+cmd…' header."""
    out = tmp_path / "rep"
    p = run_cli("report", "--out", str(out), "-q", cache=hostile, check=False)
    assert p.returncode == 0 and "Traceback" not in p.stderr, p.stderr[-2000:]
    with open(out / "trends_task.csv", newline="", encoding="utf-8") as f:
        header = next(csv.reader(f))
    assert "'" + HOSTILE["formula"] in header and HOSTILE["formula"] not in header
    for path in out.glob("*.csv"):
        with open(path, newline="", encoding="utf-8") as f:
            for row in csv.reader(f):
                for cell in row:
                    assert unsafe(cell) == [], (path.name, cell)
                    assert not cell.startswith(("=", "+", "@")), (path.name, cell)
                    assert not cell.startswith("-") or re.fullmatch(r"-[\d.e+-]+", cell), (path.name, cell)
    page = (out / "index.html").read_text(encoding="utf-8")
    assert unsafe_lines(page) == [] and "a$_$b" in page


@pytest.mark.gl
@pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
def test_exports_of_hostile_licences_and_titles(hostile, tmp_path, fmt):
    out = tmp_path / f"x.{fmt}"
    title = "t\x1b]0;pwned\x07i" + HOSTILE["bom"] + "\u202etle\nx"
    p = run_cli("export", "--out", str(out), "--width", "480", "--height", "360", "--color-by", "license",
                "--title", title, cache=hostile, check=False)  # fmt: skip
    assert p.returncode == 0 and "Traceback" not in p.stderr, p.stderr[-2000:]
    assert unsafe_lines(p.stderr) == []  # no glyph warning echoes a control byte
    if fmt == "svg":
        texts = svg_texts(out)
        assert printable(title) in texts and "\ufffdgnp.exe\ufffdrtl" in texts
        assert all(unsafe(t) == [] for t in texts)
    elif fmt == "pdf":
        check_pdf(out.read_bytes())
    else:
        from PIL import Image

        assert Image.open(out).size == (480, 360)


@pytest.mark.gl
def test_a_timelapse_coloured_by_hostile_licences(hostile, tmp_path):
    """One record tagged 'license:mit\\nevil' broke every licence-coloured time-lapse (issue 38, line 9)."""
    from PIL import Image

    out = tmp_path / "t.gif"
    args = [
        "--from",
        "2021-01",
        "--to",
        "2021-04",
        "--width",
        "200",
        "--height",
        "120",
        "--color-by",
        "license",
    ]
    p = run_cli(
        "export", "--timelapse", *args, "--title", "a\nb", "--out", str(out), cache=hostile, check=False
    )
    assert p.returncode == 0 and "Traceback" not in p.stderr, p.stderr[-2000:]
    assert Image.open(out).n_frames == 4


@pytest.mark.gl
def test_a_views_data_date_reaches_the_terminal_as_plain_text(hostile, tmp_path):
    """'saved on data of …' printed a view's ESC…BEL raw, setting the terminal's title (issue 38, line 7)."""
    view = tmp_path / "v.json"
    view.write_text(json.dumps({"hubatlas_view": 1, "atlas": {"data_date": "\x1b]2;pw\x07x"}}))
    p = run_cli("export", "--view", str(view), "--out", str(tmp_path / "v.png"), "--width", "64", "--height",
                "64", cache=hostile, check=False)  # fmt: skip
    assert "Traceback" not in p.stderr and p.returncode in (0, 1), p.stderr[-2000:]
    assert unsafe_lines(p.stderr) == [], p.stderr
