"""Whole-DAG runs: a real Airflow CLI in a throwaway AIRFLOW_HOME, talking to the emulator."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

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
def default_connection_to(
    wolkvox_emulator: WolkvoxEmulator, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Any]:
    """Point `wolkvox_default` at the emulator in this process, with quick retries and ``extra``
    on top; returns a WolkvoxClient on the emulator for the test's own set-up calls."""
    from airflow_provider_wolkvox.client import WolkvoxClient

    def define(**extra: Any) -> WolkvoxClient:
        conn = {
            "conn_type": "wolkvox",
            "host": wolkvox_emulator.url,
            "password": TEST_TOKEN,
            "extra": {"retry_min_delay": 0.01, "retry_max_delay": 0.05, **extra},
        }
        monkeypatch.setenv("AIRFLOW_CONN_WOLKVOX_DEFAULT", json.dumps(conn))
        return WolkvoxClient(wolkvox_emulator.url, TEST_TOKEN)

    return define


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


# --- contact sources (issue 13): S3 on moto's server, PostgreSQL, SQLite; see contact_sources.py ----


def _need_contact_packages() -> None:
    import contact_sources

    missing = contact_sources.missing_python_packages()
    if missing:
        pytest.skip(
            f"{', '.join(missing)} not installed: the contact-source tests run in .venv and .venv-2.10 "
            "(requirements/contacts-airflow-<minor>.txt)"
        )


@pytest.fixture(scope="session")
def moto_s3() -> Iterator[Any]:
    """moto's S3 over HTTP on 127.0.0.1 (``contact_sources.MotoS3``), one per session."""
    _need_contact_packages()
    import contact_sources

    with contact_sources.running_moto_s3() as server:
        yield server


@pytest.fixture
def s3_bucket(moto_s3: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    """A new empty bucket on ``moto_s3``, and the ``aws`` connection ``contact_sources.AWS_CONN_ID``
    (endpoint_url in its extra) defined for the test."""
    import contact_sources

    monkeypatch.setenv(contact_sources.env_name(contact_sources.AWS_CONN_ID), moto_s3.connection())
    return str(moto_s3.new_bucket())


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Any]:
    """A throwaway PostgreSQL on 127.0.0.1 (tests/postgres_server.py), one per session."""
    _need_contact_packages()
    import postgres_server as pg

    try:
        pg.postgres_bin()
    except FileNotFoundError as exc:
        pytest.fail(f"{exc}")
    import contact_sources

    with contact_sources.running_postgres() as server:
        yield server


@pytest.fixture
def postgres_conn_id(postgres_server: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    """The ``postgres`` connection ``contact_sources.POSTGRES_CONN_ID`` to ``postgres_server``."""
    import contact_sources

    conn_id = contact_sources.POSTGRES_CONN_ID
    value = postgres_server.airflow_connection()
    monkeypatch.setenv(contact_sources.env_name(conn_id), value)
    return conn_id


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    """The file of the test's SQLite database (created empty by ``sqlite_conn_id``)."""
    return tmp_path / "contacts.sqlite"


@pytest.fixture
def sqlite_conn_id(sqlite_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The ``sqlite`` connection ``contact_sources.SQLITE_CONN_ID`` to an empty database file."""
    import sqlite3

    _need_contact_packages()
    import contact_sources

    sqlite3.connect(sqlite_path).close()
    conn_id = contact_sources.SQLITE_CONN_ID
    monkeypatch.setenv(contact_sources.env_name(conn_id), contact_sources.sqlite_connection(sqlite_path))
    return conn_id
