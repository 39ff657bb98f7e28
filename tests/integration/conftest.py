"""Whole-DAG runs: a real Airflow CLI in a throwaway AIRFLOW_HOME, talking to the emulator."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from airflow_cli import AIRFLOW, airflow_env, migrate

from airflow_provider_wolkvox.emulator import WolkvoxEmulator
from airflow_provider_wolkvox.emulator.pytest_plugin import TEST_TOKEN

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_DAGS = REPO / "example_dags"


def migrate_home(home: Path) -> Path:
    """Make ``home`` a migrated SQLite Airflow home with the `wolkvox` pool."""
    migrate(airflow_env(home, EXAMPLE_DAGS))
    return home


@pytest.fixture(scope="session")
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An Airflow home shared by every DAG run (pass AIRFLOW_HOME in ``extra_env`` to use another)."""
    return migrate_home(tmp_path_factory.mktemp("airflow-home"))


@pytest.fixture
def fresh_airflow_home(tmp_path: Path) -> Path:
    """An Airflow home of the test's own, for tests that search everything a run wrote."""
    return migrate_home(tmp_path / "airflow-home")


def emulator_connection(emulator: WolkvoxEmulator) -> str:
    """`wolkvox_default` as AIRFLOW_CONN_WOLKVOX_DEFAULT: the emulator, server id 0042 (Login)."""
    return json.dumps(
        {
            "conn_type": "wolkvox",
            "host": emulator.url,
            "login": "0042",
            "password": TEST_TOKEN,
            "extra": {"retry_min_delay": 0.05, "retry_max_delay": 0.2},
        }
    )


@pytest.fixture
def wolkvox_connection(wolkvox_emulator: WolkvoxEmulator) -> str:
    """The AIRFLOW_CONN_WOLKVOX_DEFAULT value `run_dag` uses, for tests that start Airflow otherwise."""
    return emulator_connection(wolkvox_emulator)


@pytest.fixture
def run_dag(
    airflow_home: Path, wolkvox_emulator: WolkvoxEmulator
) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run `airflow dags test <dag_id>` with `wolkvox_default` pointing at the emulator."""

    def run(dag_id: str, *, logical_date: str = "2026-11-28", extra_env: dict[str, str] | None = None):
        env = airflow_env(airflow_home, EXAMPLE_DAGS)
        env["AIRFLOW_CONN_WOLKVOX_DEFAULT"] = emulator_connection(wolkvox_emulator)
        env.update(extra_env or {})
        return subprocess.run(
            [AIRFLOW, "dags", "test", dag_id, logical_date],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )

    return run
