"""What the About box says of an atlas: the version, its models and edges, how it was laid out, and whether a
GPU layout is available (plain text). No Qt."""

from __future__ import annotations


def layout_text(layout: dict | None) -> str:
    """How the atlas was laid out, with the seed and the versions that made the map (what remakes it)."""
    if not layout:
        return "none yet (`hubatlas layout`)"
    out = str(layout.get("backend_detail") or layout.get("backend") or "unknown")
    made = layout.get("made")
    if made:
        v = made.get("versions", {})
        libs = ", ".join(
            f"{k} {v[k]}" for k in ("hubatlas", "umap-learn", "numpy", "scipy", "scikit-learn") if k in v
        )
        out += f"; seed {made.get('seed')}, made with {libs}"
    return out


def about_text(manifest: dict) -> str:
    """Version, this atlas, its layout, and how GPU layout is enabled (plain text)."""
    from hubatlas.core import __version__
    from hubatlas.core.layout.gpu import cuml_status

    m = manifest
    gpu_ok, gpu = cuml_status()
    return (
        f"hubatlas {__version__}\nAn offline atlas of the Hugging Face Hub. Licence: Apache-2.0.\n\n"
        f"This atlas: {m.get('nodes', 0):,} models, {m.get('edges', 0):,} lineage edges"
        f"{' (synthetic)' if m.get('synthetic') else ''}.\nLayout: {layout_text(m.get('layout'))}\n\n"
        f"GPU layout: {'available, ' if gpu_ok else ''}{gpu}"
    )
