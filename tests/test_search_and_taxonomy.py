"""Prefix search over ids and authors; the modality taxonomy covers every tag seen."""

from __future__ import annotations

import csv
import json

import pytest
from helpers import rec, write_json

from hubatlas.core.common import taxonomy
from hubatlas.core.ingest.files import import_paths


def test_search_prefix_exact_and_author(store, tmp_path):
    recs = [
        rec("meta-llama/Llama-3.1-8B", downloads=100),
        rec("someone/tinyllama-ft", downloads=5),
        rec("someone/llama-3-lora", downloads=50),
        rec("other/bert-base"),
    ]
    import_paths(store, [write_json(tmp_path / "s.json", recs)])
    hits = [h["id"] for h in store.search("llama")]
    assert hits == [
        "meta-llama/Llama-3.1-8B",
        "someone/llama-3-lora",
    ]  # prefix of a token, most downloaded first
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
    assert taxonomy.modality_of("text-to-image") == "Multimodal"  # as Lee's table places it
    assert taxonomy.modality_of("robotics") == "Reinforcement learning"


# Lee (2024), "Analysis of AI Model Hub", Table 2, Hugging Face column, as written (the issue quotes it)
LEE_2024 = {
    "Image": "depth-estimation object-detection image-classification image-segmentation image-to-image "
    "unconditional-image-generation zero-shot-image-classification",
    "Text": "text-classification token-classification table-question-answering zero-shot-classification "
    "translation summarization conversational text-generation text2text-generation fill-mask sentence-similarity",
    "Video": "video-classification",
    "Audio": "text-to-speech text-to-audio automatic-speech-recognition audio-to-audio audio-classification "
    "voice-activity-detection",
    "Multimodal": "feature-extraction text-to-image image-to-text text-to-video visual-question-answering "
    "document-question-answering graph-ml",
    "Tabular": "tabular-classification tabular-regression",
    "Reinforcement learning": "reinforcement-learning robotics",
}


@pytest.mark.parametrize("modality", list(LEE_2024))
def test_each_modality_holds_the_tasks_lees_table_gives_it(modality):
    for tag in LEE_2024[modality].split():
        assert taxonomy.modality_of(tag) == modality, tag


def test_tasks_newer_than_the_paper_say_where_their_inputs_and_outputs_put_them():
    table = taxonomy._load()
    in_lee = {t for ts in LEE_2024.values() for t in ts.split()}
    placed = table["placed_by_inputs_and_outputs"]
    assert set(table["tags"]) == in_lee | set(placed)  # every tag is Lee's or placed, with why
    for tag, p in placed.items():
        assert tag not in in_lee and p["why"] and taxonomy.modality_of(tag) == p["modality"]
    assert taxonomy.modality_of("image-text-to-text") == "Multimodal"


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


def _reference_search(conn, text: str, limit: int) -> list[str]:
    """Every match of the text (alias, exact id or name, id or name prefix, words of the id, words of the task
    and tags) ranked by the module's key over all of them: the oracle for the top-``limit`` shortcuts the
    search takes in SQLite."""
    from hubatlas.core.store.search import fts_query, is_account, rank_key

    t = text.strip()
    low = t.lower()
    rows = {
        r[0]: r
        for r in conn.execute("SELECT id, downloads, placeholder FROM models WHERE removed_at IS NULL")
    }
    q = fts_query(t)

    def matching(table: str) -> set[str]:
        sql = f"SELECT m.id FROM {table} f JOIN models m ON m.rowid = f.rowid WHERE {table} MATCH ?"
        return {r[0] for r in conn.execute(sql, (q,))} if q else set()

    words, tagged = matching("models_fts"), matching("models_tags_fts")
    aliased = {r[0] for r in conn.execute("SELECT canonical FROM aliases WHERE alias = ?", (t,))}
    hint = {}
    for mid in rows:
        i = mid.lower()
        name = i.partition("/")[2] or i
        if mid in aliased:
            hint[mid] = 0
        elif i.startswith(low) or name.startswith(low) or mid in words:
            hint[mid] = 1
        elif mid in tagged:
            hint[mid] = 2
    account = is_account(conn, t)
    named = dict(conn.execute("SELECT parent, count(*) FROM edges GROUP BY parent").fetchall())
    hits = sorted(
        hint, key=lambda m: rank_key(m, rows[m][1], rows[m][2], t, hint[m], account, named.get(m, 0))
    )
    return hits[:limit]


def test_the_best_matches_equal_ranking_every_match(store, tmp_path):
    """Each source (exact, prefix ranges, full text) gives only its best few; their union must still hold the
    best of all matches, whatever the query and the limit."""
    import random

    rnd = random.Random(5)
    words = ["llama", "Llama", "bert", "tiny", "lora", "gguf", "7b", "l", "ll", "chat", "base", "x"]
    recs, ids = [], []
    for i in range(1500):
        author = f"user{rnd.randint(0, 30)}" if i % 3 else rnd.choice(["llama", "meta-llama", "LLAMA-fans"])
        name = "-".join(rnd.sample(words, rnd.randint(1, 3))) + (f"-{i}" if i % 4 else "")
        mid = f"{author}/{name}"
        if mid.lower() in {x.lower() for x in ids[-50:]}:
            continue
        ids.append(mid)
        tags = rnd.sample(["chat", "sentiment-analysis", "lora", "base", "gguf"], rnd.randint(0, 2))
        recs.append(rec(mid, downloads=rnd.choice([None, 0, rnd.randint(1, 10**6)]), tags=tags))
    import_paths(store, [write_json(tmp_path / "many.json", recs)])
    queries = [
        "llama",
        "LLAMA",
        "l",
        "ll",
        "llama/",
        "user1",
        "user1/",
        "user12/l",
        "tiny-lora",
        "7b",
        "chat 7b",
        "meta-llama/llama",
        "x",
        "base-",
        "zz",
        "sentiment",
        "sentiment analysis",
        "gguf",
    ] + [rnd.choice(ids)[: rnd.randint(1, 12)] for _ in range(40)]
    for q in queries:
        for limit in (1, 3, 20):
            got = [h["id"] for h in store.search(q, limit)]
            assert got == _reference_search(store.conn, q, limit), (q, limit)
