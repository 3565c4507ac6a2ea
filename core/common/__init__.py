"""Shared foundations of hubatlas.core: cache paths, progress bars, atomic file writes, the modality
taxonomy and model-name words. Imports nothing else of hubatlas."""
