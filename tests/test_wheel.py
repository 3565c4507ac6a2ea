"""The package as users get it: the sdist and the wheel built from it hold every subpackage and data file
(found by discovery, not listed), and the wheel installed with the `viewer` extra into a fresh virtual
environment passes `hubatlas --self-test` (which builds the demo atlas on first use, outside site-packages)."""

from __future__ import annotations

import os
import subprocess
import tarfile
import zipfile
from pathlib import Path

import pytest
from helpers import REPO


def packages_in_checkout() -> set[str]:
    """Every package folder of the product's layout, by its installed name."""
    out = {"hubatlas/resources"}
    for top in ("core", "viewer"):
        for init in (REPO / top).rglob("__init__.py"):
            out.add("hubatlas/" + init.parent.relative_to(REPO).as_posix())
    return out


def data_files_in_checkout() -> set[str]:
    files = {"hubatlas/resources/icon.png", "hubatlas/resources/hubatlas.desktop"}
    files |= {f"hubatlas/resources/demo/source/{p.name}" for p in (REPO / "resources/demo/source").iterdir()}
    files |= {"hubatlas/" + p.relative_to(REPO).as_posix() for p in (REPO / "core").rglob("*.json")}
    files |= {"hubatlas/core/py.typed", "hubatlas/viewer/py.typed"}  # the package says it is typed (PEP 561)
    return files


@pytest.fixture(scope="module")
def dists(builds) -> dict[str, Path]:
    """`python -m build --outdir OUT` of the working tree: the sdist first, then the wheel from the unpacked
    sdist, so what the sdist lacks, the wheel lacks too (tests/builds.py: started before the first test)."""
    pytest.importorskip("build", reason="the `build` package is in the test extra")
    r = builds.result("dists")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return builds.dists()


@pytest.mark.slow
def test_wheel_and_sdist_hold_every_package_and_data_file(dists):
    names = set(zipfile.ZipFile(dists["wheel"]).namelist())
    for pkg in packages_in_checkout():
        assert f"{pkg}/__init__.py" in names, f"{pkg} is missing from the wheel"
    missing = data_files_in_checkout() - names
    assert not missing, f"data files missing from the wheel: {sorted(missing)}"
    from hubatlas.core import __version__

    tops = {n.split("/")[0] for n in names}
    assert tops == {"hubatlas", f"hubatlas-{__version__}.dist-info"}, (
        tops
    )  # no bare `core`, `viewer`, `tests`
    assert not any(n.endswith(("atlas.sqlite", ".arrow")) for n in names), (
        "a built atlas leaked into the wheel"
    )
    with tarfile.open(dists["sdist"]) as t:
        snames = {n.split("/", 1)[1] for n in t.getnames() if "/" in n}
    for folder in (
        "core/cli/main.py",
        "viewer/_qt/window.py",
        "viewer/_vispy/canvas.py",
        "viewer/layers/atlas_state.py",
        "resources/icon.png",
        "setup.py",
        "pyproject.toml",
    ):
        assert folder in snames, f"{folder} is missing from the sdist"


@pytest.mark.slow
@pytest.mark.gl
def test_wheel_in_a_fresh_venv_passes_self_test(dists, builds, tmp_path):
    r = builds.result("venv")  # `python -m venv VENV`, then `VENV/bin/python -m pip install -q WHEEL[viewer]`
    assert r.returncode == 0, r.stderr[-3000:]
    venv = builds.venv
    py = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUBATLAS_", "PYTHONPATH"))}
    env.update(
        HOME=str(tmp_path / "home"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
    )
    # the installed package, not this checkout: run from elsewhere with nothing of the checkout on the path
    code = "import hubatlas.core, hubatlas.viewer; print(hubatlas.core.__file__)"
    where = subprocess.run([str(py), "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert str(venv) in where.stdout, where.stdout + where.stderr
    r = subprocess.run(
        [str(venv / "bin" / "hubatlas"), "--self-test"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=600,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "building the demo atlas into " + str(tmp_path / "data") in r.stdout, r.stdout
    for step in ("resources present", "demo atlas opened", "About box ok", "screenshot exported"):
        assert step in r.stdout, r.stdout
    assert r.stdout.strip().splitlines()[-1].startswith("self-test: passed")
    # the installed package's own folder was not written to
    site = Path(where.stdout.strip()).parent.parent
    assert not (site / "resources" / "demo" / "atlas.sqlite").exists()
