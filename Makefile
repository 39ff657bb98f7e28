# The README's commands. Each target builds the virtualenvs it needs from a fresh clone.
#   make demo   run the example DAGs against the local Wolkvox emulator
#   make test   lint, type-check and test on every Airflow minor the README claims (what CI runs)
#   make bench  the performance suite (ratios against baselines)

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
AIRFLOW_VERSION ?= 3.3.2
CONSTRAINTS ?= requirements/constraints-airflow-3.3.txt
BIN := $(VENV)/bin

# Every other Airflow minor the README claims, at its newest patch release. Each one gets
# .venv-<minor>, installed from requirements/constraints-airflow-<minor>.txt (a pip freeze of a
# working install: Airflow's own constraint files cannot be downloaded everywhere). Keep this list,
# the constraint files and the README's versions table in step: tests/unit/test_supported_versions.py
# checks them.
AIRFLOW_2.10 := 2.10.5
AIRFLOW_2.11 := 2.11.2
AIRFLOW_3.0 := 3.0.6
AIRFLOW_3.1 := 3.1.8
AIRFLOW_3.2 := 3.2.2
# 2.10, the oldest, runs the whole suite; the others run the unit tests and every example DAG.
OTHER_MINORS := 2.11 3.0 3.1 3.2
EXAMPLE_DAG_TESTS := tests/integration/test_example_create_campaign_dag.py \
	tests/integration/test_example_lifecycle_dag.py
# How many of those runs go at once (each is mostly waiting on subprocesses and the emulator).
JOBS ?= 4
PIP := python -m pip install -q --disable-pip-version-check
# Editable installs write the project's egg-info into this tree: one at a time.
EDITABLE_LOCK := $(or $(TMPDIR),/tmp)/airflow-provider-wolkvox-editable.lock

.PHONY: system-packages venv venv2 venvs lint test test-airflow3 test-airflow2 test-other-versions test-fast demo bench clean

venv: $(VENV)/.installed

# The main venv also carries the Celery/PostgreSQL parts of the deployment test, Selenium for the
# browser check (tests/deployment, tests/browser), and the contact sources with their test servers
# (requirements/contacts-airflow-3.3.txt: phonenumbers, the Amazon/PostgreSQL/SQLite providers, moto).
$(VENV)/.installed: pyproject.toml $(CONSTRAINTS) requirements/deployment-airflow-3.3.txt requirements/browser.txt \
		requirements/contacts-airflow-3.3.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	flock $(EDITABLE_LOCK) $(BIN)/$(PIP) -c $(CONSTRAINTS) "apache-airflow==$(AIRFLOW_VERSION)" \
		-e ".[dev,contacts]" -r requirements/deployment-airflow-3.3.txt -r requirements/browser.txt \
		-r requirements/contacts-airflow-3.3.txt
	touch $@

# .venv-<minor>: Airflow and the test tools first (the long part, parallel-safe; pip's download
# cache is shared, so a wheel is fetched once for all of them), then the project, editable, with
# its [contacts] extra (phonenumbers, pinned in the constraints). A minor that runs the whole suite
# (2.10) also gets requirements/contacts-airflow-<minor>.txt: the object-storage and SQL providers
# and moto for the contact-source tests.
.SECONDEXPANSION:
.venv-%/.installed: pyproject.toml requirements/constraints-airflow-%.txt $$(wildcard requirements/contacts-airflow-$$*.txt)
	test -n "$(AIRFLOW_$*)" || { echo "no AIRFLOW_$* version in the Makefile" >&2; exit 1; }
	test -x .venv-$*/bin/python || $(PYTHON) -m venv .venv-$*
	.venv-$*/bin/$(PIP) -c requirements/constraints-airflow-$*.txt \
		"apache-airflow==$(AIRFLOW_$*)" pytest requests-mock jsonschema \
		$(addprefix -r ,$(wildcard requirements/contacts-airflow-$*.txt))
	flock $(EDITABLE_LOCK) .venv-$*/bin/$(PIP) -c requirements/constraints-airflow-$*.txt -e ".[contacts]"
	touch $@

venv2: .venv-2.10/.installed

venv-%: .venv-%/.installed ;

venvs: venv venv2 $(foreach minor,$(OTHER_MINORS),.venv-$(minor)/.installed)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: system-packages lint test-airflow3 test-airflow2 test-other-versions

# Debian packages the tests need (PostgreSQL, Redis, Chromium): installed only when missing. The
# tests start their own servers on 127.0.0.1 and stop them; nothing here starts a service.
system-packages:
	@missing=$$(for p in $$(grep -v '^#' requirements/apt-packages.txt); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:" $$missing; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

test-airflow3: venv
	$(BIN)/python -m pytest

test-airflow2: venv2
	.venv-2.10/bin/python -m pytest -p no:cacheprovider

# The other minors in parallel, each with its own pytest temp dir (AIRFLOW_HOMEs live there and in
# tests/conftest.py's mkdtemp); -O prints each run's output whole when it ends, -k runs them all
# even when one fails.
test-other-versions:
	$(MAKE) --no-print-directory -k -O -j$(JOBS) $(addprefix test-airflow-,$(OTHER_MINORS))

test-airflow-%: .venv-%/.installed
	@echo "== Airflow $(AIRFLOW_$*): unit tests and the example DAGs"
	.venv-$*/bin/python -m pytest -p no:cacheprovider -q \
		--basetemp=$(or $(TMPDIR),/tmp)/wolkvox-pytest-airflow-$* tests/unit $(EXAMPLE_DAG_TESTS)

test-fast: venv
	$(BIN)/python -m pytest -m "not integration"

demo: venv
	$(BIN)/python scripts/demo.py

bench: venv
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .venv-* .demo .pytest_cache .mypy_cache .ruff_cache
