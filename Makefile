# d2b_luigi: `make run` runs the pipeline on the embedded default, `make test` passes the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# the as-of date of the built-in sample data set
DATE ?= 2026-11-24
# the central scheduler (luigid) of `make scheduler`: its state, logs and pid file. Its host and port are
# D2B_SCHEDULER_HOST and D2B_SCHEDULER_PORT (else luigi.cfg's), which the luigi command follows too.
SCHEDULER_DIR ?= var/scheduler
ifdef SCHEDULER_PORT
$(error SCHEDULER_PORT is gone (it moved luigid but not the luigi command): set D2B_SCHEDULER_PORT, which moves both)
endif

# the pinned versions every install uses (CI, the container image too); `make lock` refreshes it
CONSTRAINTS := constraints.txt

.PHONY: install run test lint bench stop clean scheduler scheduler-stop lock soak container-test

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml $(CONSTRAINTS)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c $(CONSTRAINTS) -e '.[dev]'
	touch $@

# re-resolve every dependency (all extras) to its newest allowed version, one file valid on Python 3.10-3.13
lock:
	$(PYTHON) -m venv $(VENV)-lock
	$(VENV)-lock/bin/pip install --quiet uv
	$(VENV)-lock/bin/uv pip compile pyproject.toml --all-extras --universal --python-version 3.10 --upgrade \
		--output-file $(CONSTRAINTS)

run: install
	$(BIN)/d2b sample --as-of $(DATE)
	$(BIN)/luigi --module d2b_luigi RunAll --date $(DATE) --local-scheduler
	$(BIN)/d2b show --date $(DATE)

test: install
	$(BIN)/pytest

# the model-based test of operator sequences, random sequences for SOAK_MINUTES (not part of `make test`)
SOAK_MINUTES ?= 20
soak: install
	D2B_MODEL_PROFILE=soak SOAK_MINUTES=$(SOAK_MINUTES) $(BIN)/pytest -s -q tests/test_operator_model.py

# the Dockerfile and compose.yaml, proved with podman on a base image built here (no registry); see .ci/container-test
container-test: install
	bash .ci/container-test

# the benchmark (not part of `make test`): BENCH_DSN picks the PostgreSQL, BENCH_QUICK=1 skips the 10M run
bench: install $(VENV)/.bench-installed
	$(BIN)/python bench/run.py

$(VENV)/.bench-installed: pyproject.toml $(CONSTRAINTS)
	$(BIN)/pip install --quiet -c $(CONSTRAINTS) -e '.[dev,bench]'
	touch $@

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# luigid in the background (127.0.0.1:8082 unless D2B_SCHEDULER_HOST/PORT say otherwise), with task history
# and Prometheus metrics; state, logs, pid file in $(SCHEDULER_DIR) (0700, files 0600)
scheduler: install
	$(BIN)/d2b scheduler start --dir $(SCHEDULER_DIR)

scheduler-stop: install
	$(BIN)/d2b scheduler stop --dir $(SCHEDULER_DIR)

# stop the embedded PostgreSQL of `make run`
stop: install
	$(BIN)/d2b stop

# luigid first: its history may live in the embedded PostgreSQL
clean: scheduler-stop stop
	rm -rf var
