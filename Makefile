# Two commands for a fresh clone:
#   make serve   set up, then run the server on the embedded default (SQLite);
#                make serve PORT=8080 HOST=0.0.0.0 for another port and address
#   make test    set up, then lint, type-check and run the whole suite (SQLite and PostgreSQL)
PYTHON ?= python3
VENV ?= .venv
HOST ?= 127.0.0.1
PORT ?= 8000
BIN := $(VENV)/bin

.PHONY: setup serve test lint clean

$(BIN)/rolodex: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

# The dashboard's browser tests drive Debian's Chromium (never a browser download); only
# the tests need it, so serving does not install it.
CHROMIUM ?= /usr/bin/chromium

$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ]; then \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	else \
		echo "$(CHROMIUM) is missing: run 'sudo apt-get install chromium' for the browser tests"; \
	fi

setup: $(BIN)/rolodex $(CHROMIUM)

serve: $(BIN)/rolodex
	$(BIN)/rolodex serve --host $(HOST) --port $(PORT)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check rolodex tests
	$(BIN)/mypy rolodex

# TEST_WORKERS=2 shares the suite between two processes (pytest-xdist), a test file to one
# process at a time so that a module's live servers start once; 0 (the default) runs it in
# this process, as CI does until the parallel run is measured faster and steadily green.
TEST_WORKERS ?= 0

test: lint $(CHROMIUM)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --durations=30

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
