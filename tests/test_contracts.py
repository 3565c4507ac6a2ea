"""Architecture contracts: core never imports Qt or VisPy (import-linter), and works with them absent."""
from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap

from conftest import REPO

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
        rc = main(['--cache', {str(tmp_path / 'c')!r}, 'import', {str(data_dir / 'list_models_page_10_items.json')!r}])
        assert rc == 0
        assert not any(k.split('.')[0] in ('PySide6', 'vispy') for k in sys.modules)
        print('CORE-OK')
    """)
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert p.returncode == 0 and "CORE-OK" in p.stdout, p.stderr


def test_no_bare_core_or_viewer_package_installed():
    code = ("import importlib.util as u, hubatlas.core, hubatlas.viewer;"
            "print(u.find_spec('core') is None, u.find_spec('viewer') is None)")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/")
    assert p.stdout.split() == ["True", "True"], p.stdout + p.stderr
