# banwatch: two commands on a fresh machine with only python3.
#   make run   - virtualenv, install, migrate, start the daemon with ./settings.toml
#   make test  - virtualenv with the dev extra, run the whole test suite
#   make test-fast - the same without the tests marked slow
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev

.PHONY: run test test-fast demo lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(DEVSTAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(STAMP)

run: $(STAMP)
	$(BIN)/banwatch init
	$(BIN)/banwatch run

demo: $(STAMP)
	$(BIN)/banwatch demo

test: $(DEVSTAMP)
	$(BIN)/ruff check monitor crawler tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The edit-test loop: everything but the tests marked slow (crawls, property runs, corpus
# sweeps, subprocess daemons). `make test` (and CI) runs them all.
test-fast: $(DEVSTAMP)
	$(BIN)/ruff check monitor crawler tests bench
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

lint: $(DEVSTAMP)
	$(BIN)/ruff check monitor crawler tests bench
	$(BIN)/ruff format --check monitor crawler tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy

bench: $(DEVSTAMP)
	$(BIN)/python bench/classify.py
	$(BIN)/python bench/dedupe.py --quick
	$(BIN)/python bench/crawl.py
	$(BIN)/python bench/cli.py
	$(BIN)/python bench/opml.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
