"""Data files shipped with hubatlas.core (the modality taxonomy)."""
