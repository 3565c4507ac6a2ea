"""The `hubatlas` console script: core commands plus the viewer's `view`."""
from __future__ import annotations

import argparse
import sys

from hubatlas.core.cli import CLIError, main as core_main, open_store


def cmd_view(args: argparse.Namespace) -> int:
    """Open the atlas. The desktop window is the viewer issue's work; until it lands, print the atlas summary."""
    from hubatlas.core.snapshot import ensure_snapshot

    with open_store(args) as store:
        st = store.stats()
        try:
            snap = ensure_snapshot(store)
        except OSError as e:
            raise CLIError(f"cannot build the snapshot of {store.dir}: {e}") from None
    kind = "synthetic" if st["synthetic"] else "real"
    print(f"hubatlas atlas ({kind}) at {st['cache']}")
    print(f"  {st['models']:,} models, {st['placeholders']:,} placeholders, {st['edges']:,} lineage edges")
    print("  edges: " + ", ".join(f"{k} {v:,}" for k, v in st["edges_by_relation"].items()))
    print("  modalities: " + ", ".join(f"{k} {v:,}" for k, v in st["modalities"].items() if v))
    if snap.nodes.num_rows:
        print(f"  snapshot: {snap.manifest['nodes']:,} nodes in {snap.manifest['families']:,} families")
    print("The desktop window is not built yet (issue: desktop viewer); `hubatlas --help` lists what works now.")
    return 0


def add_view(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("view", help="open the atlas (the bundled demo when the cache is empty)",
                       description="Open the cached atlas, or the bundled demo atlas when the cache is empty.")
    s.set_defaults(func=cmd_view)


def main(argv: list[str] | None = None) -> int:
    return core_main(argv, extra=[add_view])


if __name__ == "__main__":
    sys.exit(main())
