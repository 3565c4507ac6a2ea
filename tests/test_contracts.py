"""Architecture contracts: core never imports Qt or VisPy (import-linter), and works with them absent."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap

import pytest
from helpers import REPO

BLOCKER = textwrap.dedent("""
    import sys, importlib.abc
    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split('.')[0] in ('PySide6', 'vispy', 'OpenGL', 'shiboken6'):
                raise ModuleNotFoundError(f"No module named {name!r} (blocked by test)")
            return None
    sys.meta_path.insert(0, Block())
""")


def test_import_linter_contract():
    exe = shutil.which("lint-imports", path=str(REPO / ".venv" / "bin")) or shutil.which("lint-imports")
    assert exe, "import-linter is a test dependency"
    p = subprocess.run([exe, str(REPO / "pyproject.toml")], capture_output=True, text=True, cwd=REPO)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "KEPT" in p.stdout


def test_core_runs_with_qt_and_vispy_absent(tmp_path, data_dir):
    code = BLOCKER + textwrap.dedent(f"""
        import pkgutil, importlib
        import hubatlas.core as core
        for m in pkgutil.walk_packages(core.__path__, 'hubatlas.core.'):
            importlib.import_module(m.name)
        from hubatlas.core.cli.main import main
        rc = main(['--cache', {str(tmp_path / "c")!r}, 'import', {str(data_dir / "list_models_page_10_items.json")!r}])
        assert rc == 0
        assert not any(k.split('.')[0] in ('PySide6', 'vispy') for k in sys.modules)
        print('CORE-OK')
    """)
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert p.returncode == 0 and "CORE-OK" in p.stdout, p.stderr


def test_no_bare_core_or_viewer_package_installed():
    code = (
        "import importlib.util as u, hubatlas.core, hubatlas.viewer;"
        "print(u.find_spec('core') is None, u.find_spec('viewer') is None)"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/")
    assert p.stdout.split() == ["True", "True"], p.stdout + p.stderr


VIOLATIONS = [  # (contract id, file to change, import line added): each must break its contract
    ("model-tier-pure", "viewer/layers/atlas_state.py", "import vispy.scene"),
    ("viewer-tiers", "viewer/_vispy/lod.py", "from hubatlas.viewer._qt import settings"),
    ("core-layers", "core/store/graph.py", "from hubatlas.core.layout import params"),
    ("core-free-of-viewer", "core/analysis/trends.py", "from hubatlas.viewer.layers import colors"),
    ("render-tier-no-qt", "viewer/_vispy/points.py", "from PySide6 import QtCore"),
    ("no-cycles", "core/common/paths.py", "from hubatlas.core.common import names"),
    ("views-through-the-model", "viewer/_qt/legend.py", "from hubatlas.core.store import database"),
    (
        "views-through-the-model",
        "viewer/_vispy/lod.py",
        "from hubatlas.core.layout.labels import ensure_labels",
    ),
    ("views-through-the-model", "viewer/_qt/status.py", "import hubatlas.core.analysis.trends"),
    ("views-through-the-model", "viewer/_vispy/points.py", "from hubatlas.core.cli import main"),
]


def test_contracts_catch_broken_imports(tmp_path):
    """Prove the checker follows the real `hubatlas.*` imports: in a copy of the code laid out as installed,
    one added import per contract must turn that contract BROKEN (the unchanged copy keeps them all)."""
    exe = shutil.which("lint-imports", path=str(REPO / ".venv" / "bin")) or shutil.which("lint-imports")
    pkg = tmp_path / "hubatlas"
    for top in ("core", "viewer", "resources"):
        shutil.copytree(REPO / top, pkg / top, ignore=shutil.ignore_patterns("__pycache__", "demo"))
    names = (
        pkg / "core/common/names.py"
    )  # half of a cycle (no cycle yet): the other half is a violation below
    names.write_text(names.read_text() + "\nfrom hubatlas.core.common import paths  # noqa\n")
    env = dict(os.environ, PYTHONPATH=str(tmp_path))

    def lint(contract: str) -> str:
        p = subprocess.run(
            [exe, "--config", str(REPO / "pyproject.toml"), "--contract", contract],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=env,
        )
        return p.stdout + p.stderr

    for contract, path, line in VIOLATIONS:
        target = pkg / path
        before = target.read_text()
        assert "BROKEN" not in lint(contract), f"{contract} broken before the change"
        target.write_text(before + f"\n{line}  # noqa\n")
        out = lint(contract)
        target.write_text(before)
        if "BROKEN" not in out:
            pytest.fail(f"adding `{line}` to {path} did not break {contract}:\n{out[-2000:]}")


def test_no_function_over_80_lines():
    """Functions stay short enough to read at once (the project's own rule, from issue 26)."""
    import ast

    long = []
    for top in ("core", "viewer", "tests", "bench"):
        for p in (REPO / top).rglob("*.py"):
            for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    n = node.end_lineno - node.lineno + 1
                    if n > 80:
                        long.append(f"{p.relative_to(REPO)}:{node.lineno} {node.name} ({n} lines)")
    assert not long, "functions over 80 lines: " + ", ".join(long)


def test_no_module_over_400_lines():
    """Modules stay small enough to be named for what they hold."""
    long = {
        str(p.relative_to(REPO)): n
        for top in ("core", "viewer", "tests", "bench")
        for p in (REPO / top).rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400
    }
    assert not long, f"modules over 400 lines: {long}"
