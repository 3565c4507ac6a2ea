"""Where things live: the atlas cache (``--cache DIR``, else ``$HUBATLAS_CACHE``, else the platform's user cache
dir), the package's resources (``hubatlas.resources``: icon, desktop entry, demo sources) and the demo atlas."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

ENV_VAR = "HUBATLAS_CACHE"
DEMO_ENV_VAR = "HUBATLAS_DEMO_DIR"
DB_NAME = "atlas.sqlite"
SNAPSHOT_DIR = "snapshot"  # the Arrow snapshot (core.store.snapshot) and the labels beside it
LAYOUTS_DIR = "layouts"  # cached layouts by content key (core.layout.pipeline)
ANALYSES_DIR = "analyses"  # predictions (core.analysis.predict)


ATLAS_FOLDERS = (
    SNAPSHOT_DIR,
    LAYOUTS_DIR,
    ANALYSES_DIR,
    "downloads",
)  # what an atlas keeps beside its database


def atlas_owning(path: str | os.PathLike) -> Path | None:
    """The atlas cache whose own file ``path`` is (its database and the files SQLite keeps beside it, its lock,
    anything in its snapshot, layouts, analyses or downloads folder), or None: an output written there would
    replace a part of the atlas."""
    p = Path(os.path.abspath(Path(path).expanduser()))
    for cache in (p.parent, p.parent.parent):
        if not (cache / DB_NAME).is_file():
            continue
        if cache == p.parent and (p.name.startswith(DB_NAME) or p.name == "atlas.lock"):
            return cache
        if cache == p.parent.parent and p.parent.name in ATLAS_FOLDERS:
            return cache
    return None


def default_cache_dir() -> Path:
    """The platform's user cache directory for hubatlas (e.g. ``~/.cache/hubatlas`` on Linux)."""
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("hubatlas", appauthor=False))


def resolve_cache_dir(cli_value: str | os.PathLike | None = None) -> Path:
    """The cache directory by precedence: explicit value, ``$HUBATLAS_CACHE``, platform default."""
    if cli_value:
        return Path(cli_value).expanduser()
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    return default_cache_dir()


def resources_dir() -> Path:
    """The ``hubatlas.resources`` package data as a folder: the checkout's ``resources/`` (editable install),
    the installed package's copy (wheel), or the frozen app's."""
    return Path(str(resources.files("hubatlas.resources")))


def resource(name: str) -> Path:
    """One file of the package data, e.g. ``resource("icon.png")``."""
    return resources_dir() / name


def demo_source_dir() -> Path:
    """The demo atlas's real source data (CSV files with their provenance), shipped as package data."""
    return resources_dir() / "demo" / "source"


def _in_checkout(folder: Path) -> bool:
    return (folder.parent / "pyproject.toml").is_file() and (folder.parent / "core").is_dir()


def demo_dir() -> Path:
    """The demo atlas, a ready cache directory: ``$HUBATLAS_DEMO_DIR`` when set; else beside its sources when
    it was built there (a checkout, or the frozen app, which ships it built); else, for an installed package
    (whose folder is not ours to write), a versioned folder in the user's data directory, built on first use."""
    env = os.environ.get(DEMO_ENV_VAR)
    if env:
        return Path(env).expanduser()
    bundled = resources_dir() / "demo"
    if (bundled / DB_NAME).exists() or _in_checkout(resources_dir()):
        return bundled
    from platformdirs import user_data_dir

    from hubatlas.core import __version__

    return Path(user_data_dir("hubatlas", appauthor=False)) / f"demo-{__version__}"
