"""hubatlas.core: ingest, store, snapshot and layout of the Hugging Face Hub atlas (no Qt, no VisPy)."""

__version__ = "0.1.0"
