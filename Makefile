# d2b_luigi: `make run` runs the pipeline on the embedded default, `make test` passes the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# the as-of date of the built-in sample data set
DATE ?= 2026-11-24
# the central scheduler (luigid) of `make scheduler`
SCHEDULER_PORT ?= 8082
SCHEDULER_DIR ?= var/scheduler

.PHONY: install run test lint bench stop clean scheduler scheduler-stop container-test

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

# the Dockerfile and compose.yaml, proved with podman on a base image built here (no registry); see .ci/container-test
container-test: install
	bash .ci/container-test

# the benchmark (not part of `make test`): BENCH_DSN picks the PostgreSQL, BENCH_QUICK=1 skips the 10M run
bench: install $(VENV)/.bench-installed
	$(BIN)/python bench/run.py

$(VENV)/.bench-installed: pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $@

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# luigid on 127.0.0.1:$(SCHEDULER_PORT) in the background, with task history; state, logs, pid in $(SCHEDULER_DIR)
scheduler: install
	$(BIN)/d2b scheduler start --port $(SCHEDULER_PORT) --dir $(SCHEDULER_DIR)

scheduler-stop: install
	$(BIN)/d2b scheduler stop --dir $(SCHEDULER_DIR)

# stop the embedded PostgreSQL of `make run`
stop: install
	$(BIN)/d2b stop

clean: stop scheduler-stop
	rm -rf var
