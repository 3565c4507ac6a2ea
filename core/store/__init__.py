"""The atlas store: the SQLite schema and database (models, edges, search index), lineage graph
algorithms and the memory-mapped Arrow snapshot the viewer and the analyses read."""
