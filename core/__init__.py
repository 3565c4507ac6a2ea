"""hubatlas.core: ingest, store, snapshot and layout of the Hugging Face Hub atlas (no Qt, no VisPy)."""

from importlib.metadata import PackageNotFoundError, version as _version

try:  # the version lives in one place, pyproject.toml; an install (editable, wheel or app bundle) records it
    __version__ = _version("hubatlas")
except PackageNotFoundError:  # run from a checkout that was never installed
    __version__ = "0+unknown"
