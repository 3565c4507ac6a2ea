"""The importer of the Hub's published models tables (hub-stats / weekly snapshots layout), through the real
`hubatlas import`: auto-detected, the same models and lineage as the same real records as JSONL, an older
snapshot's schema, missing and mistyped columns reported once, unreadable rows quarantined."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
from helpers import run_cli
from snapshot_files import real_records, table, write

from hubatlas.core.store.database import Store

FIELDS = "id, author, created_at, last_modified, downloads, likes, pipeline_tag, library_name, license, languages, tags"


def _models(cache) -> dict:
    with Store(cache, readonly=True) as s:
        return {r[0]: r[1:] for r in s.conn.execute(f"SELECT {FIELDS}, placeholder FROM models")}


def _edges(cache) -> set:
    with Store(cache, readonly=True) as s:
        return set(s.conn.execute("SELECT child, parent, relation, source FROM edges"))


def test_same_models_and_lineage_as_the_records_as_jsonl(tmp_path):
    recs = real_records()
    pq_path = write(recs, tmp_path / "models.parquet", row_group_size=16)
    jl = tmp_path / "models.jsonl"
    jl.write_text("\n".join(json.dumps(r) for r in recs))
    a, b = tmp_path / "a", tmp_path / "b"
    s = json.loads(run_cli("import", "--json", "-q", str(pq_path), cache=a).stdout)
    assert s["formats"] == {"hub-snapshot-parquet": len(recs)} and s["quarantined"] == 0
    run_cli("import", "-q", str(jl), cache=b)
    ma, mb = _models(a), _models(b)
    assert ma == mb and len(ma) >= len(recs)
    ea = _edges(a)
    assert ea == _edges(b) and len(ea) >= 60
    assert any(e[2] == "finetune" for e in ea) and any(e[2] == "merge" for e in ea)
    with Store(
        a, readonly=True
    ) as st:  # cardData (a JSON string in the file) gives the licence and languages
        m = st.get("mistralai/Mistral-Small-24B-Base-2501")
        assert m["license"] == "apache-2.0" and "fr" in m["languages"]


def test_older_schema_imports_and_says_once_what_it_lacks(tmp_path):
    recs = real_records()[:30]
    p = write(recs, tmp_path / "models.parquet", layout="2024")
    out = run_cli("import", "--json", str(p), cache=tmp_path / "c")
    s = json.loads(out.stdout)
    assert s["records"] == 30
    lacks = [n for n in s["notes"] if "does not have" in n]
    assert len(lacks) == 1 and "baseModels" in lacks[0] and "gated" in lacks[0]
    assert out.stderr.count("does not have") == 1
    with Store(tmp_path / "c", readonly=True) as st:
        assert st.get("mistralai/Mistral-Small-24B-Base-2501")["created_at"] == "2025-01-23T14:13:54.000Z"
        assert st.parents("mistralai/Mistral-Small-24B-Instruct-2501")  # lineage from tags alone


def test_a_column_of_the_wrong_type_is_left_out_and_said(tmp_path):
    recs = real_records()[:20]
    t = table(recs)
    i = t.schema.get_field_index("downloads")
    t = t.set_column(i, "downloads", pa.array([str(r.get("downloads")) for r in recs]))
    i = t.schema.get_field_index("tags")
    t = t.set_column(i, "tags", pa.array([0.5] * len(recs)))
    pq.write_table(t, tmp_path / "m.parquet")
    s = json.loads(
        run_cli("import", "--json", "-q", str(tmp_path / "m.parquet"), cache=tmp_path / "c").stdout
    )
    assert s["records"] == 20
    assert any("'downloads' has type string" in n for n in s["notes"])
    assert any("'tags' has type double" in n for n in s["notes"])
    with Store(tmp_path / "c", readonly=True) as st:
        m = st.get("mistralai/Mistral-Small-24B-Base-2501")
        assert m["downloads"] is None and m["license"] == "apache-2.0"  # the licence from cardData still


def test_an_id_column_of_the_wrong_type_rejects_the_file(tmp_path):
    t = pa.table({"id": pa.array([1, 2]), "tags": pa.array([["a"], ["b"]])})
    pq.write_table(t, tmp_path / "m.parquet")
    p = run_cli("import", str(tmp_path / "m.parquet"), cache=tmp_path / "c", check=False)
    assert p.returncode != 0 and "column 'id' has type int64" in p.stderr
    assert not (tmp_path / "c" / "atlas.db").exists()


def test_unreadable_rows_are_quarantined_and_the_rest_imported(tmp_path):
    recs = real_records()[:20]
    recs[3] = dict(recs[3], id="bad id with spaces")
    recs[5] = dict(recs[5], cardData=None)
    recs[7] = dict(recs[7], cardData=None)
    t = table(recs)
    card = t.column("cardData").to_pylist()
    card[5] = '{"base_model": ["x/y"'  # cut short: not JSON
    card[7] = '{"language": ["en", "\\ud800"]}'  # valid JSON, a lone surrogate no database can store
    t = t.set_column(t.schema.get_field_index("cardData"), "cardData", pa.array(card, pa.string()))
    pq.write_table(t, tmp_path / "m.parquet")
    out = run_cli("import", "--json", "-q", str(tmp_path / "m.parquet"), cache=tmp_path / "c")
    s = json.loads(out.stdout)
    assert s["records"] == 17 and s["quarantined"] == 3
    with Store(tmp_path / "c", readonly=True) as st:
        reasons = [r[0] for r in st.conn.execute("SELECT reason FROM quarantine")]
        raws = [json.loads(r[0]) for r in st.conn.execute("SELECT raw FROM quarantine")]
    assert any("invalid model id" in r for r in reasons) and any("cardData" in r for r in reasons)
    assert any("not valid Unicode" in r for r in reasons)
    assert {r["id"] for r in raws} == {"bad id with spaces", recs[5]["id"], recs[7]["id"]}


def test_the_ecosystem_dump_is_still_told_apart(tmp_path):
    t = pa.table({"model_id": ["a/b", "a/c"], "downloads": [1, 2], "finetune_parent": [None, "a/b"]})
    pq.write_table(t, tmp_path / "eco.parquet")
    s = json.loads(
        run_cli("import", "--json", "-q", str(tmp_path / "eco.parquet"), cache=tmp_path / "c").stdout
    )
    assert s["formats"] == {"ecosystem-parquet": 2}


def test_only_the_columns_used_are_read(tmp_path):
    from hubatlas.core.ingest.hubstats_parquet import describe

    lay = describe(write(real_records()[:5], tmp_path / "m.parquet"))
    assert (
        "siblings" not in lay.columns
        and "config" not in lay.columns
        and "downloadsAllTime" not in lay.columns
    )
    assert {"id", "tags", "cardData", "baseModels", "createdAt"} <= set(lay.columns)
