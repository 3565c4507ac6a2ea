"""Package discovery for the product's layout: the repository keeps `core/`, `viewer/` and `resources/` at the top
level; installed, they are `hubatlas.core`, `hubatlas.viewer` and `hubatlas.resources` (no bare `core` or
`viewer` in site-packages). Every subpackage is found, not listed; data files go by pattern. The metadata is in
pyproject.toml."""

from setuptools import find_packages, setup

ROOTS = {"hubatlas.core": "core", "hubatlas.viewer": "viewer", "hubatlas.resources": "resources"}
packages = [
    sub for name, folder in ROOTS.items() for sub in [name] + [f"{name}.{p}" for p in find_packages(folder)]
]

setup(
    packages=packages,
    package_dir=ROOTS,
    package_data={
        "hubatlas.core": ["**/*.json", "py.typed"],
        "hubatlas.viewer": ["py.typed"],
        # the demo's built atlas (atlas.sqlite, snapshot/, ...) is never packaged: only its sources
        "hubatlas.resources": ["*.png", "*.desktop", "demo/source/*"],
    },
    include_package_data=False,
)
