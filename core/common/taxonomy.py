"""Modality taxonomy: every Hub pipeline tag maps to one modality (the mapping is data, see data/)."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

UNKNOWN = "Unknown"  # a model with no pipeline tag
OTHER = "Other"


@lru_cache(maxsize=1)
def _load() -> dict:
    text = resources.files("hubatlas.core.common").joinpath("modality_taxonomy.json").read_text("utf-8")
    return json.loads(text)


def modalities() -> list[str]:
    """The modalities in display order, followed by ``Unknown``."""
    return [*list(_load()["modalities"]), UNKNOWN]


def tag_map() -> dict[str, str]:
    """A copy of the pipeline tag -> modality table."""
    return dict(_load()["tags"])


def modality_of(pipeline_tag: str | None) -> str:
    """Modality of a pipeline tag: ``Unknown`` when there is none, ``Other`` for a tag the table lacks."""
    if not pipeline_tag:
        return UNKNOWN
    return _load()["tags"].get(pipeline_tag, OTHER)
