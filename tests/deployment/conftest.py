"""The production-shaped deployment the tests of this folder run on (see deployment_harness.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import services
from deployment_harness import EMITTED, Deployment, running


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "deployment: the PostgreSQL + Redis + CeleryExecutor deployment test (tests/deployment)"
    )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The deployment's figures (set-up time, peaks, tasks per worker...), also without ``-s``."""
    if EMITTED:
        terminalreporter.section("deployment figures")
        for line in EMITTED:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    missing = services.missing_packages()
    if missing:
        pytest.fail(f"Debian packages missing: {' '.join(missing)} (run: make system-packages)")
    try:
        import celery  # noqa: F401
        import psycopg2  # noqa: F401
        import redis  # noqa: F401
    except ImportError as exc:
        pytest.fail(
            f"{exc.name} is missing: .venv/bin/pip install -c requirements/constraints-airflow-3.3.txt "
            "-r requirements/deployment-airflow-3.3.txt"
        )

    with running(tmp_path_factory.mktemp("airflow-deployment")) as deployment:
        yield deployment
