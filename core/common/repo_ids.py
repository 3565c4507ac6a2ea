"""What a Hugging Face model id may be (the rule every id of the atlas, and every parent id, must follow)."""

from __future__ import annotations

import re

# Repository ids as huggingface_hub validates them: letters, digits, '-', '_' and '.' (a part starts and ends
# with a letter, digit or '_'), at most 96 of them a part,
# at most one '/' (a legacy id has no namespace), and no '..'. Anything else (control characters, right-to-left
# overrides, zero-width characters, spaces, paths) is not a model id: such a record is rejected, never stored
# or echoed raw. (Every id of the real 2024-07 snapshot, 575,738, passes.) ID_PATTERN_RE2 is the same rule for
# Arrow's regex engine, whose \w is ASCII only.
_PART = r"\w(?:[\w.-]{0,94}\w)?"  # starts and ends with a letter, digit or '_'
ID_PATTERN = rf"^{_PART}(/{_PART})?$"
_PART_RE2 = r"[\p{L}\p{N}_](?:[\p{L}\p{N}_.-]{0,94}[\p{L}\p{N}_])?"
ID_PATTERN_RE2 = rf"^{_PART_RE2}(/{_PART_RE2})?$"
ID_RE = re.compile(ID_PATTERN)


def is_model_id(value: object) -> bool:
    return isinstance(value, str) and ID_RE.fullmatch(value) is not None and ".." not in value
