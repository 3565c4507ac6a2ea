"""Progress bars for long work (tqdm on a terminal, silent otherwise or when asked)."""

from __future__ import annotations

import os
import sys

from tqdm import tqdm


def bar(
    total: int | None = None, desc: str = "", unit: str = "it", enabled: bool | None = None, **kw
) -> tqdm:
    """A tqdm bar on stderr; disabled when stderr is not a terminal unless HUBATLAS_PROGRESS=1."""
    if enabled is None:
        enabled = sys.stderr.isatty() or os.environ.get("HUBATLAS_PROGRESS") == "1"
    return tqdm(
        total=total,
        desc=desc,
        unit=unit,
        unit_scale=True,
        disable=not enabled,
        dynamic_ncols=True,
        file=sys.stderr,
        **kw,
    )
