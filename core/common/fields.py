"""The atlas's categorical fields in one table: what each is called, whether the map filters by it, whether
`hubatlas predict` fills it in, and how the viewer colours it. The store's snapshot columns, the analyses, the
legend, the filters, the command line and the export all read this table; nothing else spells the list out."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    name: str  # the snapshot's dictionary column (and the store's, where ``stored``)
    label: str  # what people call it
    filter: bool  # the map can be filtered by it (a filter per field, any of several values)
    predicted: bool  # undocumented values are coloured by a prediction (`hubatlas predict`)
    palette: str  # "modality" and "relation" have fixed colours; "categorical": the most frequent values
    stored: bool = True  # a column of the store's models (modality and relation are derived)


FIELDS = (
    Field("modality", "Modality", filter=True, predicted=True, palette="modality", stored=False),
    Field("pipeline_tag", "Task", filter=True, predicted=True, palette="categorical"),
    Field("license", "Licence", filter=True, predicted=True, palette="categorical"),
    Field("library_name", "Library", filter=True, predicted=True, palette="categorical"),
    Field("relation", "Relation to parent", filter=False, predicted=True, palette="relation", stored=False),
)
BY_NAME = {f.name: f for f in FIELDS}
CATEGORICAL = tuple(f.name for f in FIELDS)
FILTERED = tuple(f.name for f in FIELDS if f.filter)
STORED = tuple(f.name for f in FIELDS if f.stored)  # the store's columns the analyses predict
# continuous colour modes: values, not classes (a ramp between the 1st and 99th percentiles)
CONTINUOUS = {"created": "Creation date", "downloads": "Downloads (log)"}
# every colour mode, in the order of the keys 1-7 and of the shader's mode numbers
MODES = {**{f.name: f.label for f in FIELDS}, **CONTINUOUS}
MODE_NUMBER = {m: i for i, m in enumerate(MODES)}


def field_named(name: str) -> Field:
    """The field called ``name``; a clear error naming the choices otherwise."""
    if name not in BY_NAME:
        raise ValueError(f"unknown field {name!r}; choose one of {', '.join(CATEGORICAL)}")
    return BY_NAME[name]
