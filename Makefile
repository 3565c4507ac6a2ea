# The README's commands. `make run` launches hubatlas on the bundled demo atlas (installing what the app needs);
# `make test` checks the style (ruff, ruff format, mypy, the import contracts) and runs every test.
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run test bootstrap bench lint app

bootstrap:
	@bash .ci/bootstrap.sh

run:
	@EXTRAS=viewer bash .ci/bootstrap.sh
	$(VENV)/bin/hubatlas view

test: bootstrap
	@bash .ci/lint.sh
	@bash .ci/test.sh

lint: bootstrap
	@bash .ci/lint.sh

bench: bootstrap
	$(PY) -m bench.store

app: bootstrap  # PyInstaller comes with the test extra
	$(VENV)/bin/pyinstaller --noconfirm build_app.spec
