"""Lineage that reveals (issue 36): a selected family's edges coloured by relation (documented, typed by
inference paler), bundled at low zoom and individual zoomed in, culled to the view, under the labels; the
family's rings bounded; on the real-shaped 60,000-model atlas (``exploring_atlas``) with its largest family
selected, and above every threshold of ``viewer.layers.limits`` (the per-view caps lowered)."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="module")
def atlas(exploring_atlas):
    """tests/exploring_atlas.py's atlas (conftest: built once a session, this module's own copy)."""
    return exploring_atlas


@pytest.fixture(scope="module")
def model(atlas):
    from hubatlas.core.store.snapshot import open_snapshot
    from hubatlas.viewer.layers.atlas_model import AtlasModel

    return AtlasModel(open_snapshot(atlas))


def _largest(model) -> tuple[int, np.ndarray]:
    fam = model.column("family").astype(np.int64)
    members = np.flatnonzero(fam == int(np.argmax(np.bincount(fam))))
    root = int(members[np.argmax(model.family_tree.below()[members])])
    return root, members


def test_a_big_fan_is_bundled_overview_and_individual_zoomed_in(model):
    from hubatlas.viewer.layers.lineage_lod import LineageLOD

    root, members = _largest(model)
    lineage = model.lineage(root, cap=10**6)
    assert len(members) > 4_000 and len(lineage) >= len(members) - 1  # a giant family, every edge walked
    lod = LineageLOD(model.xy, model.placed, lineage)
    whole = (-1.1, -1.1, 1.1, 1.1)
    overview = lod.draw(whole, 2.2 / 1400, budget=10**6)
    assert overview.edges == len(lod)  # every edge is drawn, in a bundle or alone ...
    assert overview.segments < len(lod) / 3 and overview.bundled > 0  # ... as far fewer segments
    # zoomed in 2,000x on the root: every cell holds one child, every edge its own segment
    x, y = model.xy[root]
    half = 1.1 / 2000
    close = lod.draw((x - half, y - half, x + half, y + half), 2 * half / 1400, budget=10**6)
    assert close.bundled == 0 and close.segments == close.edges > 0
    # a budget keeps the fullest bundles: what is left out is the smallest
    capped = lod.draw(whole, 2.2 / 1400, budget=10)
    assert capped.segments == 10 and capped.edges >= 10 * (overview.edges / overview.segments)


def test_the_grid_is_anchored_to_the_map_so_a_pan_keeps_the_bundles(model):
    from hubatlas.viewer.layers.lineage_lod import LineageLOD

    root, _ = _largest(model)
    lod = LineageLOD(model.xy, model.placed, model.lineage(root, cap=10**6))
    a = lod.draw((-1.1, -1.1, 1.1, 1.1), 2.2 / 1400, budget=10**6)
    b = lod.draw((-1.0, -1.05, 1.2, 1.15), 2.2 / 1400, budget=10**6)  # panned, same zoom
    key = lambda d: sorted(map(tuple, np.round(d.pos.reshape(-1, 4), 6)))  # noqa: E731
    assert key(a) == key(b)


def test_relations_documented_and_typed_by_inference_are_told_apart(tmp_path):
    from atlas_fixtures import make_known_atlas

    from hubatlas.core.store.database import Store
    from hubatlas.core.store.snapshot import build, open_snapshot
    from hubatlas.viewer._qt.shown import lineage_rows
    from hubatlas.viewer.layers.atlas_model import AtlasModel
    from hubatlas.viewer.layers.lineage_lod import relation_rgb

    cache = tmp_path / "i"
    make_known_atlas(cache)
    with Store(cache) as s:
        with s.transaction():
            s.conn.execute(
                "INSERT INTO edges (child, parent, relation, source, confidence) "
                "VALUES ('org/newest', 'org/text-model', 'finetune', 'inferred', 0.6)"
            )
            s.bump_data_version()
        build(s)
    model = AtlasModel(open_snapshot(cache))
    root = model.index_of("org/text-model")
    names = {model.model_id(c): r for _, c, r in model.lineage(root)}
    assert names == {"org/text-ft": "finetune", "org/newest": "finetune (inferred)"}
    rows = {label: rgb for label, rgb, _ in lineage_rows(model.lineage(root))}
    assert set(rows) == {"finetune", "finetune (inferred)"}
    doc, inf = np.array(rows["finetune"]), np.array(rows["finetune (inferred)"])
    assert inf.min() > doc.min() and np.argmax(inf) == np.argmax(doc)  # the same hue, paler
    assert tuple(relation_rgb("merge")) != tuple(relation_rgb("finetune"))


@pytest.mark.gl
def test_the_selected_familys_overlay_follows_the_view_under_the_labels(model, monkeypatch):
    from hubatlas.viewer._vispy.canvas import make_canvas
    from hubatlas.viewer.layers import limits
    from hubatlas.viewer.layers.atlas_state import Selection

    monkeypatch.setattr(limits, "FAMILY_RINGS", 100)
    monkeypatch.setattr(limits, "LINEAGE_DRAWN", 200)
    root, members = _largest(model)
    assert len(members) > limits.FAMILY_RINGS and len(model.lineage(root)) > limits.LINEAGE_DRAWN
    atlas = make_canvas(model, (700, 450))
    try:
        atlas.state.update(selection=Selection(root, members, model.lineage(root)))
        sel = atlas.selection
        assert 0 < sel.drawn <= limits.LINEAGE_DRAWN and sel.rings == limits.FAMILY_RINGS
        assert sel.edges.order < sel.markers.order < min(t.order for t in atlas.label_overlay.texts)
        assert float(np.asarray(sel.edges.width)) == 1.0
        overview = sel.last.bundled
        img = atlas.render()
        assert img.shape[:2] == (450, 700)
        # zoomed far in on the root: laid out again for the view, individual edges, fewer rings
        atlas.fly_to(root, zoom=400.0)
        assert sel.last.bundled < max(overview, 1) and sel.drawn > 0
        x0, y0, x1, y1 = atlas.view_rect()
        p = model.xy[members[members != root]]  # the selected model has its disc, not a ring
        in_view = int(((p[:, 0] >= x0) & (p[:, 0] <= x1) & (p[:, 1] >= y0) & (p[:, 1] <= y1)).sum())
        assert sel.rings == min(in_view, limits.FAMILY_RINGS)
        # a pan of a few per cent does not lay it out again
        assert not sel.follow_view((x0 + 0.02 * (x1 - x0), y0, x1 + 0.02 * (x1 - x0), y1), (x1 - x0) / 700)
    finally:
        atlas.close()
