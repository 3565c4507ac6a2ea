"""Getting models into the store: Hub API records and their lineage fields, JSON/JSONL/parquet
importers, the Hub sync and the synthetic hub."""
