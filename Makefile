# One command each: run, test, lint. CI calls `make test` (see .ci/run).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: install run test lint clean browser-deps

# Re-installs only when pyproject.toml changes, so a second `make run` starts in seconds.
$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(INSTALLED)

install: $(INSTALLED)

run: install
	$(BIN)/hotline up --seed-demo-if-empty

# The browser tests drive Debian's Chromium with a CJK font; installed when we may (root, apt).
BROWSER_PACKAGES := chromium fonts-noto-cjk
browser-deps:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(BROWSER_PACKAGES); \
	fi

# The suite on every core (at most four): each pytest-xdist worker is a session with servers, a database and
# a Chromium of its own, and takes whole files, so a module's shared data is seeded once.
TEST_WORKERS := -n auto --maxprocesses 4 --dist loadfile
test: install browser-deps
	$(BIN)/python -m pytest $(TEST_WORKERS) $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check hotline classifier dispatch realtime tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) var .pytest_cache
