# d2b_luigi: `make run` runs the pipeline on the embedded default, `make test` passes the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# the as-of date of the built-in sample data set
DATE ?= 2026-11-24

.PHONY: install run test lint bench stop clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

run: install
	$(BIN)/d2b sample --as-of $(DATE)
	$(BIN)/luigi --module d2b_luigi RunAll --date $(DATE) --local-scheduler
	$(BIN)/d2b show --date $(DATE)

test: install
	$(BIN)/pytest

# the benchmark (not part of `make test`): BENCH_DSN picks the PostgreSQL, BENCH_QUICK=1 skips the 10M run
bench: install $(VENV)/.bench-installed
	$(BIN)/python bench/run.py

$(VENV)/.bench-installed: pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $@

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# stop the embedded PostgreSQL of `make run`
stop: install
	$(BIN)/d2b stop

clean: stop
	rm -rf var
