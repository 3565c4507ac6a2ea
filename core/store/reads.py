"""The store's reads for people: counts for `hubatlas stats`, a model's record with its parents and children,
and search. A mixin of ``Store`` (it reads ``self.conn``)."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from hubatlas.core.store.schema import RELATIONS, SCHEMA_VERSION

# an edge's relation as people read it: the documented one, or the inferred type of an untyped one
TYPED_RELATION = (
    "CASE WHEN relation = 'unknown' AND inferred_relation IS NOT NULL THEN inferred_relation || ' (inferred)' "
    "ELSE relation END"
)


class StoreReads:
    conn: sqlite3.Connection
    dir: Path

    def meta(self) -> dict[str, str]:
        return dict(self.conn.execute("SELECT key, value FROM meta"))

    def data_date(self) -> str | None:
        """The data's own date: the newest creation or change of a model in the atlas (ISO), never later than
        now (a date from the future is a broken record, not the data's date)."""
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
        row = self.conn.execute(
            "SELECT max(d) FROM (SELECT max(created_at) AS d FROM models WHERE placeholder=0 AND created_at <= ? "
            "UNION ALL SELECT max(last_modified) FROM models WHERE placeholder=0 AND last_modified <= ?)",
            (now, now),
        ).fetchone()
        return row[0][:19] if row and row[0] else None

    def count_models(self) -> int:
        return self.conn.execute("SELECT count(*) FROM models").fetchone()[0]

    def stats(self) -> dict:
        """Counts for `hubatlas stats`."""
        from hubatlas.core.common.taxonomy import modalities, modality_of

        c = self.conn
        by_rel = {r: 0 for r in RELATIONS}
        for rel, n in c.execute(
            "SELECT relation, count(*) FROM edges WHERE source!='inferred' GROUP BY relation"
        ):
            by_rel[rel] = n
        by_src = dict(c.execute("SELECT source, count(*) FROM edges GROUP BY source"))
        mods = {m: 0 for m in modalities()}
        for tag, n in c.execute(
            "SELECT pipeline_tag, count(*) FROM models WHERE placeholder=0 AND removed_at IS NULL "
            "GROUP BY pipeline_tag"
        ):
            mods[modality_of(tag)] += n
        meta = self.meta()
        placeholders = c.execute("SELECT count(*) FROM models WHERE placeholder=1").fetchone()[0]
        removed = c.execute("SELECT count(*) FROM models WHERE removed_at IS NOT NULL").fetchone()[0]
        total = self.count_models()
        return {
            "models": total - placeholders - removed,
            "placeholders": placeholders,
            "removed": removed,  # gone from the Hub (a complete sync no longer lists them); kept, out of views
            "nodes": total - removed,
            "edges": sum(by_rel.values()),  # documented lineage; inferred edges are counted apart
            "edges_by_relation": by_rel,
            "inferred_edges": by_src.get("inferred", 0),
            "inferred_relation_types": c.execute(
                "SELECT count(*) FROM edges WHERE inferred_relation IS NOT NULL"
            ).fetchone()[0],
            "edges_by_source": by_src,
            "self_loops_dropped": c.execute("SELECT count(*) FROM self_loops").fetchone()[0],
            "invalid_parents_dropped": c.execute("SELECT count(*) FROM dropped_parents").fetchone()[0],
            "legacy_ids_resolved": c.execute("SELECT count(*) FROM aliases").fetchone()[0],
            "legacy_ids_unresolved": c.execute(
                "SELECT count(*) FROM models WHERE placeholder = 1 AND instr(id, '/') = 0"
            ).fetchone()[0],
            "synthetic": meta.get("synthetic") == "true",
            "source": meta.get("source"),
            "updated_at": meta.get("updated_at"),
            "data_date": self.data_date(),
            "modalities": mods,
            "schema_version": SCHEMA_VERSION,
            "cache": str(self.dir),
        }

    def get(self, model_id: str) -> dict | None:
        cur = self.conn.execute("SELECT * FROM models WHERE id=?", (model_id,))
        row = cur.fetchone()
        if row is None:
            return None
        rec = dict(zip([d[0] for d in cur.description], row, strict=False))
        for k in ("languages", "tags"):
            rec[k] = json.loads(rec[k]) if rec[k] else []
        rec["raw"] = json.loads(rec["raw"]) if rec["raw"] else None
        rec["placeholder"] = bool(rec["placeholder"])
        rec.pop("rowid", None)
        return rec

    def parents(self, model_id: str) -> list[dict]:
        """Its parents with their relation (an untyped one typed by inference says "(inferred)")."""
        return [
            {"id": p, "relation": r, "source": s}
            for p, r, s in self.conn.execute(
                f"SELECT parent, {TYPED_RELATION}, source FROM edges WHERE child=? ORDER BY parent",
                (model_id,),
            )
        ]

    def children_counts(self, model_id: str) -> dict[str, int]:
        """Its children by relation; untyped ones typed by inference under "<type> (inferred)"."""
        out = {r: 0 for r in RELATIONS}
        for r, n in self.conn.execute(
            f"SELECT {TYPED_RELATION} AS r, count(*) FROM edges WHERE parent=? GROUP BY r", (model_id,)
        ):
            out[r] = n
        return out

    def resolve_id(self, model_id: str) -> str:
        """The id a model has now: the stored spelling of an id held in the data (ids differing in case are one
        model, so ``GAMMA`` gives the model ``gamma``, never an alias of that name); else the model an old,
        un-namespaced id the Hub moved (an alias) names now; else a placeholder of that id; else the id as given."""
        from hubatlas.core.store.legacy_ids import alias_of

        row = self.conn.execute(
            "SELECT id, placeholder FROM models WHERE id = ? COLLATE NOCASE ORDER BY id = ? DESC LIMIT 1",
            (model_id, model_id),
        ).fetchone()
        if row and not row[1]:
            return row[0]
        return alias_of(self.conn, model_id) or (row[0] if row else model_id)

    def info(self, model_id: str) -> dict | None:
        """The stored record, parents with relation, and children counts by relation; an old id the Hub moved
        gives its model now (``alias`` says which id was asked for)."""
        asked = model_id
        model_id = self.resolve_id(model_id)
        rec = self.get(model_id)
        if rec is None:
            return None
        if model_id.lower() != asked.lower():
            rec["alias"] = asked
        from hubatlas.core.common.taxonomy import modality_of

        rec["modality"] = modality_of(rec.get("pipeline_tag"))
        rec["parents"] = self.parents(model_id)
        rec["children"] = self.children_counts(model_id)
        return rec

    def search(self, query: str, limit: int = 20) -> list[dict]:
        """Type-ahead search over ids and authors: every word of the query as a prefix, most downloaded first."""
        from hubatlas.core.store.search import search

        return search(self.conn, query, limit)
