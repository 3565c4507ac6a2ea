"""Prefix search over ids and authors; the modality taxonomy covers every tag seen."""
from __future__ import annotations

import csv
import json

from conftest import rec, write_json

from hubatlas.core.common import taxonomy
from hubatlas.core.ingest.files import import_paths


def test_search_prefix_exact_and_author(store, tmp_path):
    recs = [rec("meta-llama/Llama-3.1-8B", downloads=100), rec("someone/tinyllama-ft", downloads=5),
            rec("someone/llama-3-lora", downloads=50), rec("other/bert-base")]
    import_paths(store, [write_json(tmp_path / "s.json", recs)])
    hits = [h["id"] for h in store.search("llama")]
    assert hits == ["meta-llama/Llama-3.1-8B", "someone/llama-3-lora"]  # prefix of a token, most downloaded first
    assert [h["id"] for h in store.search("lla 3")][:1] == ["meta-llama/Llama-3.1-8B"]
    assert {h["id"] for h in store.search("someone")} == {"someone/tinyllama-ft", "someone/llama-3-lora"}
    assert store.search("other/bert-base")[0]["id"] == "other/bert-base"
    assert store.search("zzz") == [] and store.search("  ") == []
    assert store.search('"; DROP TABLE models; --') == []
    assert len(store.search("someone", limit=1)) == 1


def test_every_known_tag_maps_to_a_modality():
    mods = set(taxonomy.modalities())
    for tag, mod in taxonomy.tag_map().items():
        assert mod in mods and mod != taxonomy.UNKNOWN, tag
    assert taxonomy.modality_of(None) == taxonomy.UNKNOWN
    assert taxonomy.modality_of("brand-new-task") == taxonomy.OTHER
    assert taxonomy.modality_of("text-to-image") == "Image"
    assert taxonomy.modality_of("robotics") == "Reinforcement learning"


def test_every_tag_in_the_real_samples_is_in_the_table(data_dir):
    from hubatlas.core.common.paths import demo_source_dir

    seen = set()
    for name in ("list_models_page_10_items.json", "list_models_default_items.json"):
        seen |= {r.get("pipeline_tag") for r in json.loads((data_dir / name).read_text())}
    for line in (data_dir / "model_info_mistral_small_24b_family.jsonl").read_text().splitlines():
        seen.add(json.loads(line).get("pipeline_tag"))
    with open(demo_source_dir() / "smollm2_family_nodes.csv", newline="") as f:
        seen |= {r["pipeline_tag"] for r in csv.DictReader(f)}
    seen -= {None, ""}
    assert seen
    missing = seen - set(taxonomy.tag_map())
    assert not missing, f"pipeline tags with no modality: {missing}"


def test_fts_query_builder():
    from hubatlas.core.store.search import fts_query

    assert fts_query("llama") == '"llama"*'
    assert fts_query("FLUX.1-q") == '"flux"* AND "1"'  # the one-letter word being typed is left out
    assert fts_query("FLUX.1-") == '"flux"* AND "1"'
    assert fts_query("q") == '"q"*'
    assert fts_query("-- ") is None
