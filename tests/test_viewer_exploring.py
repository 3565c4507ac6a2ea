"""Exploring in the window at real size (issue 36): a real-shaped 60,000-model atlas (``exploring_atlas``) above
every size threshold of ``viewer.layers.limits`` (the per-view caps lowered there, as test_viewer_at_size does),
driven the way a person drives it — typing into the search box and pressing Enter, reading the panels — and
checked against the CLI and the state."""

from __future__ import annotations

import pytest
from helpers import run_cli

pytest.importorskip("pytestqt")
pytestmark = [pytest.mark.gl, pytest.mark.slow]


@pytest.fixture(scope="module")
def atlas(tmp_path_factory):
    from exploring_atlas import build

    return build(tmp_path_factory.mktemp("explore") / "atlas")


@pytest.fixture
def above_every_threshold(monkeypatch, atlas):
    from hubatlas.core.store.snapshot import open_snapshot
    from hubatlas.viewer.layers import limits

    snap = open_snapshot(atlas)
    lowered = {
        "EDGE_BUDGET": 2_000,
        "FAMILY_MARKERS": 500,
        "LINEAGE_EDGES": 500,
        "LABELS_DRAWN": 6,
        "CHILDREN_SHOWN": 20,
        "FILTER_VALUES": 8,
    }
    for name, value in lowered.items():
        monkeypatch.setattr(limits, name, value)
    for name in ("MIN_SAMPLE", "START_SAMPLE", "SHOWN_FRACTION_SAMPLE", "CHUNK"):
        assert len(snap) > getattr(limits, name), name
    assert snap.edges.num_rows > limits.EDGE_BUDGET
    return snap


@pytest.fixture
def window(qtbot, tmp_path, atlas, above_every_threshold):
    from PySide6.QtCore import QSettings

    from hubatlas.core.store.database import Store
    from hubatlas.core.store.snapshot import open_snapshot
    from hubatlas.viewer._qt.window import MainWindow
    from hubatlas.viewer.layers.atlas_model import AtlasModel

    QSettings.setDefaultFormat(QSettings.IniFormat)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(tmp_path / "settings"))
    store = Store(atlas, readonly=True)
    w = MainWindow(AtlasModel(open_snapshot(atlas), store), label="test")
    qtbot.addWidget(w)
    w.resize(1400, 900)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.close()
    w.atlas.close()
    w.deleteLater()
    store.close()


def _type_and_enter(qtbot, w, query: str) -> list[str]:
    """Type ``query`` into the search box as a person does, then press Enter where the keyboard is (the
    type-ahead list when it is open). Returns the type-ahead's rows as they were listed."""
    from PySide6.QtCore import Qt

    w.search.setFocus()
    w.search.clear()
    qtbot.keyClicks(w.search, query)
    listed = w.toolbar.completions.stringList()
    popup = w.search.completer().popup()
    qtbot.keyClick(popup if popup.isVisible() else w.search, Qt.Key_Return)
    return listed


@pytest.mark.parametrize(
    "query, first",
    [
        ("whisper", "openai/whisper-small"),  # the data holds "whisper" only as a parent: not that
        ("sentence-transformers", "sentence-transformers/all-MiniLM-L6-v2"),  # the account's own, first
        ("bert-base-uncased", "google-bert/bert-base-uncased"),  # an old id the Hub moved
        ("WHISPER-small", "openai/whisper-small"),
    ],
)
def test_enter_selects_what_the_ranking_puts_first(qtbot, window, atlas, query, first):
    w = window
    printed = [line.split("\t")[0] for line in run_cli("search", query, cache=atlas).stdout.splitlines()]
    assert printed[0] == first
    listed = _type_and_enter(qtbot, w, query)
    assert listed == printed  # the type-ahead lists the CLI's ranking, in its order
    node = w.state.selection.node
    assert node is not None and w.model.model_id(node) == first
    assert first in w.statusBar().currentMessage()
    assert w.family.summary.text() and "No model selected" not in w.family.summary.text()


def test_an_account_lists_its_models_first_in_the_type_ahead(qtbot, window):
    listed = _type_and_enter(qtbot, window, "sentence-transformers")
    own = [x for x in listed if x.startswith("sentence-transformers/")]
    assert listed[: len(own)] == own and len(own) == 3
    assert listed[len(own)] == "sentence-transformers-testing/stsb-bert-tiny-safetensors"
