# One command each: run, test, lint. CI calls `make test` (see .ci/run).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: install run test test-fast lint bench clean

# Re-installs only when pyproject.toml changes, so a second `make run` starts in seconds.
$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(INSTALLED)

install: $(INSTALLED)

run: install
	$(BIN)/hotline up --seed-demo-if-empty

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check hotline classifier dispatch realtime tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) var .pytest_cache
