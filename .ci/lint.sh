#!/usr/bin/env bash
# The style the project keeps, enforced (the README's test command runs this first): ruff with its pinned rule
# selection, ruff format, mypy over the Qt-free code (core/ and viewer/layers/), and the import contracts.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=$(cd "${VENV:-.venv}" && pwd)
"$VENV/bin/ruff" check core viewer tests bench setup.py
"$VENV/bin/ruff" format --check core viewer tests bench setup.py
# mypy follows the installed names (hubatlas.core, ...): a tree of links laid out as installed
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
mkdir -p "$tree/hubatlas"
touch "$tree/hubatlas/__init__.py"
for top in core viewer resources; do ln -s "$ROOT/$top" "$tree/hubatlas/$top"; done
(cd "$tree" && "$VENV/bin/mypy" --config-file "$ROOT/pyproject.toml" --cache-dir "$ROOT/.mypy_cache" \
    --python-executable "$VENV/bin/python" -p hubatlas.core -p hubatlas.viewer.layers)
"$VENV/bin/lint-imports"
