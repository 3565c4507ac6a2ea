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
def atlas(exploring_atlas):
    """tests/exploring_atlas.py's atlas (conftest: built once a session, this module's own copy)."""
    return exploring_atlas


@pytest.fixture
def above_every_threshold(monkeypatch, atlas):
    from atlas_fixtures import lower_every_threshold

    return lower_every_threshold(monkeypatch, atlas)


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
        (
            "BAAI",
            "BAAI/bge-small-en-v1.5",
        ),  # an account known only as a parent: its model, not a real namesake
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


# -- panels that read at the default window size ---------------------------------------------------------------
def _deepest_of_largest_family(model) -> int:
    """A model deep in the largest family (the longest id path from its root is what a panel must show)."""
    import numpy as np

    fam = model.column("family").astype(np.int64)
    big = int(np.argmax(np.bincount(fam)))
    members = np.flatnonzero(fam == big)
    depth = model.column("depth")[members]
    return int(members[int(np.argmax(depth))])


@pytest.mark.parametrize("size", [(1400, 900), (1920, 1080)])
def test_the_family_panel_shows_the_selected_models_id_whole(qtbot, window, size):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QHeaderView

    w = window
    w.resize(*size)
    qtbot.wait(50)
    node = _deepest_of_largest_family(w.model)
    w.show_family(node)
    qtbot.waitUntil(lambda: w.family.tree.currentItem() is not None, timeout=5000)
    mid = w.model.model_id(node)
    assert w.family.title.text() == mid  # the panel's title: the id whole, at the default layout
    tree, h = w.family.tree, w.family.tree.header()
    item = tree.currentItem()
    assert item.data(0, Qt.UserRole) == node and item.text(0) == mid  # revealed, though past the listed rows
    shown = [c for c in range(h.count()) if not h.isSectionHidden(c)]
    assert 0 in shown and 2 in shown  # the id and its downloads always
    # the model column takes the room: at least 45% of the panel, more than any other column
    assert h.sectionSize(0) >= 0.45 * tree.viewport().width()
    assert all(h.sectionSize(0) > h.sectionSize(c) for c in shown[1:])
    assert tree.textElideMode() == Qt.ElideMiddle
    for c in range(h.count()):  # every column can be dragged
        assert h.sectionResizeMode(c) == QHeaderView.Interactive
    assert h.sectionSize(2) >= tree.fontMetrics().horizontalAdvance("99,999,999")  # downloads whole
    if size[0] >= 1920:  # a wider panel: the hidden columns come back
        w.resizeDocks([w.family_dock], [480], Qt.Horizontal)
        qtbot.waitUntil(lambda: not h.isSectionHidden(3), timeout=3000)
        assert h.sectionSize(0) >= 0.45 * tree.viewport().width()


def test_column_widths_are_remembered(qtbot, window):
    from hubatlas.viewer._qt.family_panel import FamilyPanel

    h = window.family.tree.header()
    h.resizeSection(0, 333)  # as a drag does
    h.resizeSection(2, 150)
    again = FamilyPanel(window.model, window.state)
    qtbot.addWidget(again)
    assert again.columns.user_first == 333 and again.tree.header().sectionSize(2) == 150
    again.close_views()


def test_the_selection_table_holds_every_selected_model(qtbot, window, tmp_path):
    import csv

    import numpy as np
    from PySide6.QtCore import Qt

    w = window
    nodes = w.region.select_shown()
    assert len(nodes) > 50_000  # the whole real-shaped atlas, far above the old 1,000-row table
    t = w.region.panel.table
    m = t.model()
    assert t.rowCount() == len(nodes) and m.columnCount() == 6
    heads = [m.headerData(c, Qt.Horizontal) for c in range(6)]
    assert heads == ["model", "task", "licence", "library", "downloads", "created"]
    # most downloaded first, with thousands separators
    dl = w.model.column("downloads")[nodes]
    top = int(np.nanmax(dl))
    assert m.data(m.index(0, 4)) == f"{top:,}" and "," in m.data(m.index(0, 4))
    # one line a row: no wrapped rows
    assert t.rowHeight(0) == t.rowHeight(len(nodes) - 1) < 2.2 * t.fontMetrics().height()
    # sorting by the model column: every id in order, the whole selection
    t.horizontalHeader().setSortIndicator(0, Qt.AscendingOrder)
    ids = sorted(w.model.model_id(int(n)) for n in nodes)
    assert m.data(m.index(0, 0)) == ids[0] and m.data(m.index(len(ids) - 1, 0)) == ids[-1]
    # the export writes every row, in the table's order
    out = tmp_path / "sel.csv"
    assert w.region.export_csv(out) == len(nodes)
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == len(nodes) and [r["id"] for r in rows[:3]] == ids[:3]
    # sorting by licence puts the models without one last when descending, first when ascending
    t.horizontalHeader().setSortIndicator(2, Qt.DescendingOrder)
    assert m.data(m.index(len(nodes) - 1, 2)) == "-"


# -- legends count what is drawn; zoom to shown ----------------------------------------------------------------
@pytest.fixture
def predicted_window(qtbot, tmp_path, atlas, above_every_threshold):
    """The atlas with licence predictions for 90% of the models that state none (as `hubatlas predict` saves
    them), in a window at the default size."""
    import shutil

    import numpy as np

    from hubatlas.core.analysis.predict import save
    from hubatlas.core.store.database import Store
    from hubatlas.core.store.snapshot import open_snapshot
    from hubatlas.viewer._qt.window import MainWindow
    from hubatlas.viewer.layers.atlas_model import AtlasModel

    cache = tmp_path / "p"
    shutil.copytree(atlas, cache)
    snap = open_snapshot(cache)
    codes, _labels = snap.codes("license")
    none = np.flatnonzero(codes < 0)
    rng = np.random.default_rng(3)
    guess = np.full(len(snap), -1, np.int32)
    chosen = none[rng.random(len(none)) < 0.9]
    guess[chosen] = rng.integers(0, 2, len(chosen))
    save(
        cache,
        {"license": (guess, np.full(len(snap), 0.8, np.float32), ["mit", "apache-2.0"])},
        snap.manifest["data_version"],
    )
    store = Store(cache, readonly=True)
    w = MainWindow(AtlasModel(open_snapshot(cache), store), label="test")
    qtbot.addWidget(w)
    w.resize(1400, 900)
    w.show()
    qtbot.waitExposed(w)
    yield w, guess, codes
    w.close()
    w.atlas.close()
    w.deleteLater()
    store.close()


def test_with_predictions_each_class_counts_what_wears_it(qtbot, predicted_window):
    import numpy as np

    w, guess, codes = predicted_window
    w.state.color_by("license")
    w.state.show_predictions(True)
    qtbot.wait(50)
    colors = w.atlas.colors
    legend = {e.label: e for e in colors.legend if e.key >= 0}
    drawn = np.bincount(colors.classes[colors.classes >= 0].astype(np.int64))
    for e in legend.values():  # every class listed is worn by exactly as many models as it says
        assert e.count == drawn[e.key] > 0, e
    none = int(((codes < 0) & (guess < 0)).sum())
    assert legend["(none)"].count == none and legend["(none)"].predicted == 0  # only those still unknown
    assert legend["mit"].predicted == int((guess == 0).sum()) > 0
    texts = [w.legend.item(i).text() for i in range(w.legend.count())]
    mit = next(t for t in texts if t.startswith("mit "))
    assert f"{legend['mit'].count:,}" in mit and f"{legend['mit'].predicted:,} predicted" in mit
    assert w.legend_dock.windowTitle() == "Legend: Licence + predicted"


def test_with_every_unknown_predicted_the_unknown_class_is_not_listed(qtbot, predicted_window):
    from hubatlas.viewer.layers.colors import with_predictions

    w, guess, codes = predicted_window
    field = w.model.style.fields["license"]
    everyone = field.pred_counts.copy()
    everyone[0] += int(((codes < 0) & (guess < 0)).sum())  # as if the rest were predicted too
    target = int(field.base.lut_class[field.target_doc])
    r = with_predictions(
        field.base, field.L + 1, field.pred_labels, everyone, (0, 0, 0, 1), target_key=target
    )
    assert "(none)" not in [e.label for e in r.legend]
    assert "(none)" in [e.label for e in field.base.legend]  # the base legend is left as it was


def test_zoom_to_shown_frames_the_shown_models_despite_outliers(qtbot, window):
    import numpy as np

    from hubatlas.viewer._qt.shown import fit_view

    w = window
    xy = w.model.xy[w.model.shown_mask(w.state) & w.model.placed]
    w.shown.zoom_to_shown()  # View › Zoom to shown
    r = w.atlas.view.camera.rect
    inside = (xy[:, 0] >= r.left) & (xy[:, 0] <= r.right) & (xy[:, 1] >= r.bottom) & (xy[:, 1] <= r.top)
    assert inside.mean() >= 0.97
    # the largest family and three models far from it: the family is framed, not the corners
    fam = w.model.column("family").astype(np.int64)
    cluster = w.model.xy[fam == np.argmax(np.bincount(fam))]
    pts = np.concatenate([cluster, [[-1, -1], [1, 1], [1, -1]]]).astype(np.float32)
    fit_view(w.atlas, pts, robust=True)
    r = w.atlas.view.camera.rect
    box = np.percentile(cluster, [1, 99], axis=0)
    assert r.width <= 1.3 * max(box[1] - box[0]) < 1.0  # outliers would make it at least 2.0 wide
    inside = (cluster[:, 0] >= r.left) & (cluster[:, 0] <= r.right)
    assert inside.mean() >= 0.97


@pytest.mark.parametrize("size", [(1400, 900), (1920, 1080)])
def test_no_text_is_cut_in_filters_legend_and_popups(qtbot, window, size):
    from PySide6.QtWidgets import QAbstractButton, QLabel

    w = window
    w.resize(*size)
    qtbot.wait(100)
    scroll = w.filters_dock.widget()
    # the filters fit their panel's width: no sideways scrolling that hides the ends of their lines
    assert w.filters.minimumSizeHint().width() <= scroll.viewport().width(), size
    for widget in w.filters.findChildren(QAbstractButton) + w.filters.findChildren(QLabel):
        if widget.isVisible() and widget.text() and not widget.text().startswith("<"):
            need = widget.fontMetrics().horizontalAdvance(widget.text().replace("&", ""))
            assert need <= widget.contentsRect().width() + 2 or widget.toolTip(), widget.text()
    # each filter's popup is as wide as its longest value, also once other filters narrow its counts
    for cl in w.filters.combos.values():
        texts = cl.texts()
        narrowed = [f"{label} ({total:,} of {total:,})" for label, total in cl.facet.values()]
        widest = max(cl.list.fontMetrics().horizontalAdvance(t) for t in texts + narrowed)
        assert cl.list.minimumWidth() >= min(widest + 24, 640), (cl.field, widest)
    # the colour-by popup shows every mode whole
    combo = w.toolbar.color_by
    widest = max(
        combo.view().fontMetrics().horizontalAdvance(combo.itemText(i)) for i in range(combo.count())
    )
    assert combo.view().minimumWidth() >= widest
    # the legend's title reads whole in its dock (predicted or not)
    title = w.legend_dock.windowTitle()
    assert w.legend_dock.fontMetrics().horizontalAdvance(title) <= w.legend_dock.width() - 48, title
