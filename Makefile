# Two commands: `make demo` runs digest end to end on embedded defaults; `make test` runs the suite.
# Each creates .venv by itself on a fresh machine (Python 3.11+, make and git only).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo check test install install-test bench clean messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

demo: install
	$(BIN)/digest demo

# Lint, then type-check (settings in pyproject.toml); `make test` runs this first.
check: install-test
	$(BIN)/ruff check .
	$(BIN)/mypy

# The suite on every core, up to 4 (pytest-xdist; each worker starts its own private servers); TEST_JOBS=1 runs it in one process.
TEST_JOBS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); [ $$n -gt 4 ] && n=4; echo $$n)

test: check
	$(BIN)/python -m pytest -n $(TEST_JOBS)

# The email's strings (babel.cfg) into digest/locales/digest.pot, and every catalog updated from it (README, Languages).
messages: install
	$(BIN)/pybabel extract -F babel.cfg -c TRANSLATORS: --sort-by-file --project digest -o digest/locales/digest.pot .
	$(BIN)/pybabel update -D digest -i digest/locales/digest.pot -d digest/locales --width 100

bench: install-test
	$(BIN)/python benchmarks/summaries.py
	$(BIN)/python benchmarks/send.py --subscribers 20000

clean:
	rm -rf demo-out digest.db digest.db-wal digest.db-shm test-artifacts
