"""SQLite schema of the atlas cache, as an ordered list of recorded migrations."""

from __future__ import annotations

RELATIONS = ("finetune", "adapter", "quantized", "merge", "unknown")
EDGE_SOURCES = ("tag", "card", "baseModels", "inferred")

# Each migration runs once, in order, inside a transaction, and is recorded in `_migrations`.
MIGRATIONS: list[tuple[int, str, str]] = [
    (
        1,
        "models, edges, metadata, full-text search",
        """
        CREATE TABLE models (
            rowid INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            author TEXT,
            created_at TEXT,
            last_modified TEXT,
            downloads INTEGER,
            likes INTEGER,
            pipeline_tag TEXT,
            library_name TEXT,
            license TEXT,
            languages TEXT,          -- JSON list
            tags TEXT,               -- JSON list
            gated TEXT,              -- 'false' | 'auto' | 'manual' | NULL
            card_length INTEGER,     -- characters of the model card, where known
            placeholder INTEGER NOT NULL DEFAULT 0,  -- 1: referenced as a parent but not in the data
            source TEXT,             -- hub-api | hub-json | ecosystem-parquet | synthetic | demo
            raw TEXT                 -- the record as received (JSON), where the source has one
        );
        CREATE TABLE edges (
            child TEXT NOT NULL,
            parent TEXT NOT NULL,
            relation TEXT NOT NULL CHECK (relation IN ('finetune','adapter','quantized','merge','unknown')),
            source TEXT NOT NULL CHECK (source IN ('tag','card','baseModels','inferred')),
            PRIMARY KEY (child, parent)
        ) WITHOUT ROWID;
        CREATE INDEX edges_parent ON edges(parent);
        CREATE TABLE self_loops (id TEXT PRIMARY KEY) WITHOUT ROWID;
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
        -- ids hold their author namespace, so indexing the id alone serves author search too
        CREATE VIRTUAL TABLE models_fts USING fts5(
            id, content='models', content_rowid='rowid', prefix='2 3 4 5'
        );
        -- New rows are indexed in bulk by Store (INSERT ... SELECT over the new rowids: 5x faster than a
        -- per-row trigger); changes to rows already indexed go through these triggers.
        CREATE TRIGGER models_fts_ad AFTER DELETE ON models BEGIN
            INSERT INTO models_fts(models_fts, rowid, id) VALUES ('delete', old.rowid, old.id);
        END;
        CREATE TRIGGER models_fts_au AFTER UPDATE OF id ON models WHEN old.id IS NOT new.id BEGIN
            INSERT INTO models_fts(models_fts, rowid, id) VALUES ('delete', old.rowid, old.id);
            INSERT INTO models_fts(rowid, id) VALUES (new.rowid, new.id);
        END;
        """,
    ),
    (
        2,
        "sync state and quarantine",
        """
        CREATE TABLE sync_state (
            name TEXT PRIMARY KEY,   -- 'full' or 'refresh'
            next_url TEXT,           -- next page to fetch (opaque cursor URL); NULL when done
            pages INTEGER NOT NULL DEFAULT 0,
            models INTEGER NOT NULL DEFAULT 0,
            started_at TEXT,
            finished_at TEXT,
            params TEXT              -- JSON of the crawl's parameters
        ) WITHOUT ROWID;
        CREATE TABLE quarantine (
            n INTEGER PRIMARY KEY,
            received_at TEXT NOT NULL,
            reason TEXT NOT NULL,
            raw TEXT NOT NULL
        );
        """,
    ),
    (
        3,
        "inferred lineage",
        """
        -- `hubatlas infer`: a relation type inferred for an edge documented without one; edges it proposes
        -- are rows with source 'inferred'. Documented values are never overwritten by inference.
        ALTER TABLE edges ADD COLUMN inferred_relation TEXT
            CHECK (inferred_relation IS NULL OR inferred_relation IN ('finetune','adapter','quantized','merge'));
        ALTER TABLE edges ADD COLUMN confidence REAL;
        """,
    ),
    (
        4,
        "case-insensitive ids, removed models, dropped parent ids",
        """
        -- the Hub resolves repository ids case-insensitively: exact-id and exact-name lookups use these
        CREATE INDEX models_id_nocase ON models(id COLLATE NOCASE);
        CREATE INDEX models_name_nocase ON models(substr(id, instr(id, '/') + 1) COLLATE NOCASE);
        -- a complete full sync that did not list a model marks it removed (kept, with when); listed again: restored
        ALTER TABLE models ADD COLUMN removed_at TEXT;
        -- the full crawl (its start time) that last listed it
        ALTER TABLE models ADD COLUMN listed_in TEXT;
        -- parent ids a record names that are not model ids (paths, revisions, local folders): dropped, counted
        CREATE TABLE dropped_parents (child TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (child, value))
            WITHOUT ROWID;
        """,
    ),
    (
        5,
        "legacy ids",
        """
        -- an un-namespaced id the Hub moved under an organisation, and the model it names now (core.store.legacy_ids)
        CREATE TABLE aliases (alias TEXT PRIMARY KEY COLLATE NOCASE, canonical TEXT NOT NULL) WITHOUT ROWID;
        CREATE INDEX models_created ON models(created_at);
        """,
    ),
    (
        6,
        "search by task and tag words",
        """
        -- the words of each model's task and tags ("sentiment" finds models tagged sentiment-analysis); new rows
        -- are indexed in bulk with models_fts, changed tasks or tags through these triggers
        CREATE VIRTUAL TABLE models_tags_fts USING fts5(
            pipeline_tag, tags, content='models', content_rowid='rowid'
        );
        INSERT INTO models_tags_fts(models_tags_fts) VALUES ('rebuild');
        CREATE TRIGGER models_tags_fts_ad AFTER DELETE ON models BEGIN
            INSERT INTO models_tags_fts(models_tags_fts, rowid, pipeline_tag, tags)
                VALUES ('delete', old.rowid, old.pipeline_tag, old.tags);
        END;
        CREATE TRIGGER models_tags_fts_au AFTER UPDATE OF pipeline_tag, tags ON models
            WHEN old.pipeline_tag IS NOT new.pipeline_tag OR old.tags IS NOT new.tags BEGIN
            INSERT INTO models_tags_fts(models_tags_fts, rowid, pipeline_tag, tags)
                VALUES ('delete', old.rowid, old.pipeline_tag, old.tags);
            INSERT INTO models_tags_fts(rowid, pipeline_tag, tags) VALUES (new.rowid, new.pipeline_tag, new.tags);
        END;
        """,
    ),
]

SCHEMA_VERSION = MIGRATIONS[-1][0]

from hubatlas.core.store.rows import MODEL_COLUMNS  # noqa: E402 (re-exported: the models table's columns)

__all__ = ["EDGE_SOURCES", "MIGRATIONS", "MODEL_COLUMNS", "RELATIONS", "SCHEMA_VERSION"]
