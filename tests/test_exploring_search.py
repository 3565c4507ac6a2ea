"""Search as the window uses it (issue 36): an account name lists that account's own models first, most
downloaded first; the exact id ranks above an alias's target; placeholders come only after every real match;
``info``, ``export --focus`` and a view's selection resolve ids the way search does (issue 38, line 22)."""

from __future__ import annotations

import json

from helpers import rec, run_cli, write_json

from hubatlas.core.common.dates import BACKFILLED
from hubatlas.core.ingest.files import import_paths
from hubatlas.core.store.search import is_account


def _ids(store, q: str, limit: int = 20) -> list[str]:
    return [h["id"] for h in store.search(q, limit)]


def test_an_account_name_lists_the_accounts_models_first_most_downloaded_first(store, tmp_path):
    recs = [
        rec("sentence-transformers/all-MiniLM-L6-v2", downloads=40_000_000),
        rec("sentence-transformers/all-mpnet-base-v2", downloads=9_000_000),
        rec("sentence-transformers/tiny", downloads=3),
        rec("sentence-transformers-testing/stsb-bert-tiny-safetensors", downloads=90_000_000),
        rec("embaas/sentence-transformers-e5-large-v2", downloads=80_000_000),
        rec("someone/sentence-transformers", downloads=70_000_000),  # named like the account
    ]
    import_paths(store, [write_json(tmp_path / "s.json", recs)])
    hits = _ids(store, "sentence-transformers")
    assert hits[:3] == [
        "sentence-transformers/all-MiniLM-L6-v2",
        "sentence-transformers/all-mpnet-base-v2",
        "sentence-transformers/tiny",
    ]
    assert set(hits[3:]) == {
        "sentence-transformers-testing/stsb-bert-tiny-safetensors",
        "embaas/sentence-transformers-e5-large-v2",
        "someone/sentence-transformers",
    }
    assert _ids(store, "Sentence-Transformers", 1) == ["sentence-transformers/all-MiniLM-L6-v2"]  # any case
    # the account's models come first even where the limit is below what other sources match
    assert _ids(store, "sentence-transformers", 2) == hits[:2]
    # an account the data knows only from children naming its models (as 2024-07 knows sentence-transformers)
    kids = [
        rec(f"fan{i}/ft-{i}", downloads=10**6, tags=[f"base_model:finetune:parents-only/base-{i % 2}"])
        for i in range(5)
    ]
    import_paths(store, [write_json(tmp_path / "k.json", kids)])
    assert is_account(store.conn, "parents-only")
    assert _ids(store, "parents-only")[:2] == [
        "parents-only/base-0",
        "parents-only/base-1",
    ]  # named 3 and 2 times
    more = [rec(f"late{i}/ft", tags=["base_model:finetune:parents-only/base-1"]) for i in range(3)]
    import_paths(store, [write_json(tmp_path / "m.json", more)])
    assert _ids(store, "parents-only")[:2] == [
        "parents-only/base-1",
        "parents-only/base-0",
    ]  # now 5 against 3
    assert _ids(store, "parents-only", 1) == ["parents-only/base-1"]
    # its whole id, as the type-ahead's row gives it, selects it before real models with those words
    import_paths(store, [write_json(tmp_path / "w.json", [rec("x/parents-only-base-1-ft", downloads=10**7)])])
    assert _ids(store, "parents-only/base-1", 1) == ["parents-only/base-1"]
    assert _ids(store, "PARENTS-ONLY/BASE-1", 1) == ["parents-only/base-1"]
    # not an account: the ranking is unchanged (most downloaded match of the words)
    assert _ids(store, "sentence", 1) == ["sentence-transformers-testing/stsb-bert-tiny-safetensors"]


def test_a_placeholder_comes_only_after_every_real_match(store, tmp_path):
    recs = [
        rec("openai/whisper-small", downloads=1_000_000),
        rec("openai/whisper-tiny", downloads=500_000),
        rec("me/whisper-ft", downloads=2, tags=["base_model:finetune:whisper"]),  # names "whisper" as parent
        rec("whisper/model_name", downloads=0),  # an account nobody uses, named like the word
        rec("whisper/multilingual_bert", downloads=0),
    ]
    import_paths(store, [write_json(tmp_path / "w.json", recs)])
    hits = store.search("whisper")
    assert hits[0]["id"] == "openai/whisper-small"
    assert [h["id"] for h in hits if h["placeholder"]] == ["whisper"]
    assert not is_account(store.conn, "whisper") and is_account(store.conn, "openai")
    assert _ids(store, "openai", 1) == ["openai/whisper-small"]
    assert hits[-1]["id"] == "whisper"  # the exact id, but the data does not hold it
    assert store.search("whisper-ft")[0]["id"] == "me/whisper-ft"
    import_paths(store, [write_json(tmp_path / "p.json", [rec("x/kid", downloads=1)])])
    store.conn.execute("INSERT INTO models (id, placeholder) VALUES ('lonely-parent', 1)")
    assert _ids(store, "lonely-parent") == ["lonely-parent"]  # nothing real matches: the placeholder


def _aliased(tmp_path):
    """An atlas where the legacy id ``gamma`` became an alias of ``org/gamma``, and a real model ``gamma`` was
    added later (its own repository, not the moved one)."""
    cache = tmp_path / "c"
    first = [
        rec("org/gamma", downloads=50_000, createdAt=BACKFILLED + ".000Z"),
        rec("kid/a", tags=["base_model:finetune:gamma"]),
        rec("kid/b", tags=["base_model:finetune:gamma"]),
    ]
    run_cli("import", str(write_json(tmp_path / "1.json", first)), cache=cache)
    later = [rec("gamma", downloads=12, createdAt="2024-03-01T00:00:00.000Z")]
    run_cli("import", str(write_json(tmp_path / "2.json", later)), cache=cache)
    return cache


def test_the_exact_id_ranks_above_an_alias_target_and_info_ignores_case(tmp_path):
    from hubatlas.core.store.database import Store

    cache = _aliased(tmp_path)
    with Store(cache, readonly=True) as s:
        assert s.conn.execute("SELECT canonical FROM aliases WHERE alias = 'gamma'").fetchone() == (
            "org/gamma",
        )
        assert _ids(s, "gamma")[:2] == ["gamma", "org/gamma"]
        assert _ids(s, "GAMMA")[:2] == ["gamma", "org/gamma"]
        assert s.resolve_id("GAMMA") == "gamma" and s.resolve_id("ORG/Gamma") == "org/gamma"
    for asked in ("gamma", "GAMMA", "Gamma"):
        info = json.loads(run_cli("info", asked, "--json", cache=cache).stdout)
        assert info["id"] == "gamma" and "alias" not in info, asked


def test_export_focus_and_a_views_selection_follow_aliases(tmp_path):
    from hubatlas.core.store.database import Store
    from hubatlas.core.store.snapshot import open_snapshot
    from hubatlas.viewer.layers.atlas_model import AtlasModel
    from hubatlas.viewer.layers.atlas_state import AtlasState
    from hubatlas.viewer.layers.view_file import apply, loads

    cache = tmp_path / "c"
    recs = [
        rec("distilbert/distilbert-base-uncased", downloads=9_000_000, createdAt=BACKFILLED + ".000Z"),
        rec("kid/a", tags=["base_model:finetune:distilbert-base-uncased"]),
    ]
    run_cli("import", str(write_json(tmp_path / "r.json", recs)), cache=cache)
    run_cli("layout", cache=cache)
    with Store(cache, readonly=True) as s:
        model = AtlasModel(open_snapshot(cache), s)
        node = model.resolve("distilbert-base-uncased")
        assert node is not None and model.model_id(node) == "distilbert/distilbert-base-uncased"
        assert model.resolve("KID/A") == model.index_of("kid/a")
        assert model.find("distilbert-base-uncased") == node
        state = AtlasState()
        view = loads(json.dumps({"hubatlas_view": 1, "selection": {"model": "distilbert-base-uncased"}}))
        apply(view, model, state, lambda: [])
        assert not view.notes
        assert state.selection.node == node
    out = tmp_path / "x.png"
    done = run_cli(
        "export",
        "--out",
        str(out),
        "--focus",
        "distilbert-base-uncased",
        "--width",
        "320",
        "--height",
        "200",
        cache=cache,
    )
    assert done.returncode == 0 and out.stat().st_size > 0
    bad = run_cli(
        "export",
        "--out",
        str(out),
        "--focus",
        "no-such-model",
        "--width",
        "320",
        "--height",
        "200",
        cache=cache,
        check=False,
    )
    assert bad.returncode != 0 and "no model" in bad.stderr


# -- an export's view keeps its size; a selection does not dim a figure unless asked ---------------------------
def _png(path):
    import numpy as np
    from PIL import Image

    return np.asarray(Image.open(path).convert("RGB"))


def test_a_saved_view_keeps_the_exports_size_and_a_selection_does_not_dim_it(tmp_path, exploring_atlas):
    import numpy as np

    cache = exploring_atlas  # 60,000 real-shaped models (conftest: built once a session, this module's copy)
    a, v = tmp_path / "a.png", tmp_path / "v.json"
    args = ("--no-labels", "--no-legend", "--no-attribution")
    run_cli(
        "export",
        "--out",
        str(a),
        "--width",
        "640",
        "--height",
        "400",
        "--save-view",
        str(v),
        *args,
        cache=cache,
    )
    saved = json.loads(v.read_text())
    assert saved["camera"]["size"] == [640, 400]
    b = tmp_path / "b.png"
    run_cli("export", "--view", str(v), "--out", str(b), *args, cache=cache)
    assert _png(b).shape == (400, 640, 3) and np.array_equal(_png(a), _png(b))  # remade pixel for pixel
    c = tmp_path / "c.png"
    run_cli(
        "export", "--view", str(v), "--out", str(c), "--width", "320", "--height", "200", *args, cache=cache
    )
    assert _png(c).shape == (200, 320, 3)  # a size given wins
    # the same view with a box selection: the figure shows every model in its colours (no dark band)
    saved["selection"] = {
        "region": {"how": "box", "outline": [[-0.3, -0.3], [0.3, -0.3], [0.3, 0.3], [-0.3, 0.3]]}
    }
    boxed = tmp_path / "boxed.json"
    boxed.write_text(json.dumps(saved))
    d = tmp_path / "d.png"
    run_cli("export", "--view", str(boxed), "--out", str(d), *args, cache=cache)
    assert np.array_equal(_png(a), _png(d))
    bad = dict(saved, camera=dict(saved["camera"], size=[640, True]))
    boxed.write_text(json.dumps(bad))
    out = run_cli("export", "--view", str(boxed), "--out", str(d), *args, cache=cache, check=False)
    assert out.returncode != 0 and "camera.size" in out.stderr
