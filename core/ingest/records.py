"""Normalise one Hub API record (list item or full model info) into a `models` row and its lineage edges."""

from __future__ import annotations

import json
import re
from typing import Any

from hubatlas.core.common.repo_ids import ID_PATTERN_RE2, ID_RE, is_model_id  # noqa: F401 (re-exported)
from hubatlas.core.common.text import shown
from hubatlas.core.ingest.lineage_fields import LineageError, edges_for
from hubatlas.core.store.rows import EdgeRow, ModelRow

# ISO 639-1 codes: bare tags the Hub adds for a card's `language` field.
ISO_639_1 = frozenset(
    [
        "aa",
        "ab",
        "ae",
        "af",
        "ak",
        "am",
        "an",
        "ar",
        "as",
        "av",
        "ay",
        "az",
        "ba",
        "be",
        "bg",
        "bh",
        "bi",
        "bm",
        "bn",
        "bo",
        "br",
        "bs",
        "ca",
        "ce",
        "ch",
        "co",
        "cr",
        "cs",
        "cu",
        "cv",
        "cy",
        "da",
        "de",
        "dv",
        "dz",
        "ee",
        "el",
        "en",
        "eo",
        "es",
        "et",
        "eu",
        "fa",
        "ff",
        "fi",
        "fj",
        "fo",
        "fr",
        "fy",
        "ga",
        "gd",
        "gl",
        "gn",
        "gu",
        "gv",
        "ha",
        "he",
        "hi",
        "ho",
        "hr",
        "ht",
        "hu",
        "hy",
        "hz",
        "ia",
        "id",
        "ie",
        "ig",
        "ii",
        "ik",
        "io",
        "is",
        "it",
        "iu",
        "ja",
        "jv",
        "ka",
        "kg",
        "ki",
        "kj",
        "kk",
        "kl",
        "km",
        "kn",
        "ko",
        "kr",
        "ks",
        "ku",
        "kv",
        "kw",
        "ky",
        "la",
        "lb",
        "lg",
        "li",
        "ln",
        "lo",
        "lt",
        "lu",
        "lv",
        "mg",
        "mh",
        "mi",
        "mk",
        "ml",
        "mn",
        "mr",
        "ms",
        "mt",
        "my",
        "na",
        "nb",
        "nd",
        "ne",
        "ng",
        "nl",
        "nn",
        "no",
        "nr",
        "nv",
        "ny",
        "oc",
        "oj",
        "om",
        "or",
        "os",
        "pa",
        "pi",
        "pl",
        "ps",
        "pt",
        "qu",
        "rm",
        "rn",
        "ro",
        "ru",
        "rw",
        "sa",
        "sc",
        "sd",
        "se",
        "sg",
        "si",
        "sk",
        "sl",
        "sm",
        "sn",
        "so",
        "sq",
        "sr",
        "ss",
        "st",
        "su",
        "sv",
        "sw",
        "ta",
        "te",
        "tg",
        "th",
        "ti",
        "tk",
        "tl",
        "tn",
        "to",
        "tr",
        "ts",
        "tt",
        "tw",
        "ty",
        "ug",
        "uk",
        "ur",
        "uz",
        "ve",
        "vi",
        "vo",
        "wa",
        "wo",
        "xh",
        "yi",
        "yo",
        "za",
        "zh",
        "zu",
    ]
)
_JSON_UNSAFE = re.compile(r'["\\\x00-\x1f\x7f]')


def json_list(items: list[str]) -> str:
    """A list of strings as compact JSON; a fast path for the common plain-text case."""
    if not items:
        return "[]"
    flat = "".join(items)
    if _JSON_UNSAFE.search(flat) or not flat.isascii():
        return json.dumps(items, ensure_ascii=False, separators=(",", ":"))
    return '["' + '","'.join(items) + '"]'


class RecordError(ValueError):
    """A record that cannot be stored; the message says which field is wrong."""


def validate_id(value: Any) -> str:
    """A Hub model id (``namespace/name`` or a legacy bare name) or RecordError (which echoes at most a
    bounded, escaped part of the value)."""
    if not is_model_id(value):
        raise RecordError(f"invalid model id {shown(value)}")
    return value


_I64_MIN, _I64_END = -(1 << 63), 1 << 63


def _opt_int(rec: dict, key: str) -> int | None:
    v = rec.get(key)
    if v.__class__ is int and _I64_MIN <= v < _I64_END:  # the common case, first
        return v
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int):
        raise RecordError(f"field {key!r} must be an integer, not {type(v).__name__}")
    if not _I64_MIN <= v < _I64_END:
        raise RecordError(f"field {key!r} is out of range ({shown(str(v), 40)})")
    return v


def _opt_str(rec: dict, key: str) -> str | None:
    v = rec.get(key)
    if v.__class__ is str:  # the common case, first
        return v or None
    if v is None or v == "":
        return None
    if not isinstance(v, str):
        raise RecordError(f"field {key!r} must be a string, not {type(v).__name__}")
    return v


def _str_list(value: Any, key: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        try:
            "".join(value)  # (in C: a TypeError names the first item that is not a string)
            return value
        except TypeError:
            pass
    raise RecordError(f"field {key!r} must be a list of strings")


def author_of(model_id: str) -> str | None:
    """The namespace of an id; None for legacy ids without one (``bert-base-uncased``)."""
    head, sep, _ = model_id.partition("/")
    return head if sep else None


def license_of(tags: list[str], card: dict | None) -> str | None:
    for t in tags:
        if t.startswith("license:"):
            return t[8:] or None
    if card:
        lic = card.get("license")
        if isinstance(lic, list):
            lic = next((x for x in lic if isinstance(x, str)), None)
        if isinstance(lic, str) and lic:
            return lic
    return None


def languages_of(tags: list[str], card: dict | None) -> list[str]:
    if card and card.get("language") is not None:
        langs = card["language"]
        langs = [langs] if isinstance(langs, str) else langs if isinstance(langs, list) else []
        return [x for x in langs if isinstance(x, str) and x]
    return [t for t in tags if t in ISO_639_1]


def check_storable(row: ModelRow, edges: list) -> None:
    """RecordError when a record's text cannot be stored as UTF-8: JSON allows a lone surrogate (``"\\ud800"``),
    which no UTF-8 database can hold."""
    for v in [*row, *(x for e in edges for x in e)]:
        if isinstance(v, str):
            try:
                v.encode("utf-8")
            except UnicodeEncodeError:
                raise RecordError(
                    "holds text that is not valid Unicode (a lone surrogate such as \\ud800)"
                ) from None


def record_to_row(
    rec: Any, source: str = "hub-json", keep_raw: bool = True
) -> tuple[ModelRow, list[EdgeRow], bool, list[str]]:
    """(row, edges, self_loop_dropped, parent values dropped as not model ids) for one Hub API record;
    RecordError names what is wrong."""
    if not isinstance(rec, dict):
        raise RecordError(f"a record must be a JSON object, not {type(rec).__name__}")
    model_id = validate_id(rec.get("id", rec.get("modelId")))
    tags = _str_list(rec.get("tags"), "tags")
    card = rec.get("cardData")
    if card is not None and not isinstance(card, dict):
        raise RecordError("field 'cardData' must be an object")
    gated = rec.get("gated")
    if gated is not None and not isinstance(gated, (bool, str)):
        raise RecordError("field 'gated' must be a boolean or a string")
    author = _opt_str(rec, "author") or author_of(model_id)
    dropped: list[str] = []
    base_models = rec.get("baseModels")
    flat = "\x00".join(tags)  # (a match that is not a tag's start only takes the full path below)
    if card or base_models is not None or "base_model:" in flat:
        try:
            edges, self_loop = edges_for(model_id, tags, card, base_models, dropped)
        except LineageError as e:
            raise RecordError(str(e)) from None
    else:  # no lineage field at all: most models
        edges, self_loop = [], False
    row = ModelRow(
        model_id,
        author,
        _opt_str(rec, "createdAt"),
        _opt_str(rec, "lastModified"),
        _opt_int(rec, "downloads"),
        _opt_int(rec, "likes"),
        _opt_str(rec, "pipeline_tag"),
        _opt_str(rec, "library_name"),
        license_of(tags, card) if card or "license:" in flat else None,
        json_list(languages_of(tags, card)),
        json_list(tags),
        None if gated is None else str(gated).lower(),
        _opt_int(rec, "cardLength"),
        source,
        json.dumps(rec, ensure_ascii=False, separators=(",", ":")) if keep_raw else None,
    )
    return row, edges, self_loop, dropped
