# The README's commands. Each target builds the virtualenv it needs from a fresh clone.
#   make demo   run the example DAGs against the local Wolkvox emulator
#   make test   lint, type-check and run the whole test suite (what CI runs)
#   make bench  the performance suite (ratios against baselines)

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
AIRFLOW_VERSION ?= 3.3.2
CONSTRAINTS ?= requirements/constraints-airflow-3.3.txt
BIN := $(VENV)/bin

.PHONY: venv lint test test-fast demo bench clean

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml $(CONSTRAINTS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -c $(CONSTRAINTS) \
		"apache-airflow==$(AIRFLOW_VERSION)" -e ".[dev]"
	touch $@

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest

test-fast: venv
	$(BIN)/python -m pytest -m "not integration"

demo: venv
	$(BIN)/python scripts/demo.py

bench: venv
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .demo .pytest_cache .mypy_cache .ruff_cache
