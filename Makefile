# The README's commands. `make run` launches hubatlas on the bundled demo atlas; `make test` runs every test.
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run test bootstrap bench lint app

bootstrap:
	@bash .ci/bootstrap.sh

run: bootstrap
	$(VENV)/bin/hubatlas view

test: bootstrap
	@bash .ci/test.sh

lint: bootstrap
	$(VENV)/bin/lint-imports
	$(PY) -m ruff check core viewer tests bench || true

bench: bootstrap
	$(PY) bench/store.py

app: bootstrap  # PyInstaller comes with the test extra
	$(VENV)/bin/pyinstaller --noconfirm build_app.spec
