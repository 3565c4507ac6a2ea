"""Where the cache lives: ``--cache DIR``, else ``$HUBATLAS_CACHE``, else the platform's user cache dir."""
from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "HUBATLAS_CACHE"
DB_NAME = "atlas.sqlite"
SNAPSHOT_DIR = "snapshot"


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


def repo_root() -> Path:
    """The source checkout (or the frozen app's data root)."""
    import sys

    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen)
    return Path(__file__).resolve().parent.parent


def demo_dir() -> Path:
    """The bundled demo atlas (a ready cache directory) under ``resources/demo``."""
    return repo_root() / "resources" / "demo"
