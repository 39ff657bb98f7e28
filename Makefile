# The README's commands. Each target builds the virtualenv it needs from a fresh clone.
#   make demo   run the example DAGs against the local Wolkvox emulator
#   make test   lint, type-check and run the whole test suite on Airflow 3.3 and 2.10 (what CI runs)
#   make bench  the performance suite (ratios against baselines)

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
AIRFLOW_VERSION ?= 3.3.2
CONSTRAINTS ?= requirements/constraints-airflow-3.3.txt
BIN := $(VENV)/bin
# The oldest supported Airflow line, tested in a second virtualenv.
VENV2 ?= .venv-2.10
AIRFLOW2_VERSION ?= 2.10.5
CONSTRAINTS2 ?= requirements/constraints-airflow-2.10.txt

.PHONY: venv venv2 lint test test-airflow3 test-airflow2 test-fast demo bench clean

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml $(CONSTRAINTS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -c $(CONSTRAINTS) \
		"apache-airflow==$(AIRFLOW_VERSION)" -e ".[dev]"
	touch $@

$(VENV2)/.installed: pyproject.toml $(CONSTRAINTS2)
	test -x $(VENV2)/bin/python || $(PYTHON) -m venv $(VENV2)
	$(VENV2)/bin/python -m pip install -q --disable-pip-version-check -c $(CONSTRAINTS2) \
		"apache-airflow==$(AIRFLOW2_VERSION)" pytest requests-mock jsonschema -e .
	touch $@

venv2: $(VENV2)/.installed

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint test-airflow3 test-airflow2

test-airflow3: venv
	$(BIN)/python -m pytest

test-airflow2: venv2
	$(VENV2)/bin/python -m pytest -p no:cacheprovider

test-fast: venv
	$(BIN)/python -m pytest -m "not integration"

demo: venv
	$(BIN)/python scripts/demo.py

bench: venv
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) $(VENV2) .demo .pytest_cache .mypy_cache .ruff_cache
