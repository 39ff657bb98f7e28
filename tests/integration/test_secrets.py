"""The token never shows up in what a DAG run leaves behind, even at DEBUG log level.

Each test runs in an Airflow home of its own, so everything found there comes from its run.
``airflow dags test`` runs the tasks itself, so their log lines are in its output.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

TOKEN = "tok-SECRET-0123456789-xyz"
#: Airflow 3.3.2's task supervisor logs each secret it registers for masking at DEBUG level, as
#: ``msg=MaskSecret(value='<token>', ...)``: Airflow's own leak (see the README), the one allowed.
AIRFLOW_MASK_SECRET = f"MaskSecret(value='{TOKEN}'"


def _debug_run(run_dag, emulator_url: str, dag_id: str, home: Path) -> tuple[int, str]:
    conn = {"conn_type": "wolkvox", "host": emulator_url, "password": TOKEN, "extra": {"server_id": "0042"}}
    result = run_dag(
        dag_id,
        extra_env={
            "AIRFLOW_HOME": str(home),
            "AIRFLOW_CONN_WOLKVOX_DEFAULT": json.dumps(conn),
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "DEBUG",
        },
    )
    output = result.stdout + result.stderr
    # DEBUG really was on in the tasks: urllib3 logs each request the provider sends (at level
    # "[debug" in Airflow 3's log format, " DEBUG - " in Airflow 2's).
    debug_lines = [line for line in output.splitlines() if "[debug" in line or " DEBUG - " in line]
    requests_logged = [line for line in debug_lines if "/api/v2/" in line]
    assert requests_logged, output[-4000:]
    return result.returncode, output


def _assert_token_nowhere(output: str, home: Path) -> None:
    leaks = [line for line in output.splitlines() if TOKEN in line.replace(AIRFLOW_MASK_SECRET, "")]
    assert leaks == []
    # Nor in any file the run wrote: config, logs, the metadata DB (XCom, rendered fields, ...).
    files = [path for path in home.rglob("*") if path.is_file()]
    assert any(path.name == "airflow.db" for path in files)
    assert [str(path) for path in files if TOKEN.encode() in path.read_bytes()] == []


def test_the_lifecycle_dag_at_debug_level_leaves_the_token_nowhere(
    run_dag, wolkvox_emulator, fresh_airflow_home
):
    wolkvox_emulator.add_token(TOKEN)
    wolkvox_emulator.set_dial_rate(25)
    returncode, output = _debug_run(
        run_dag, wolkvox_emulator.url, "example_wolkvox_lifecycle", fresh_airflow_home
    )
    assert returncode == 0, output[-4000:]
    assert wolkvox_emulator.state(include_records=False)["campaigns"][0]["status"] == "Stopped"
    assert "Uploaded 50 records" in output

    _assert_token_nowhere(output, fresh_airflow_home)
    with sqlite3.connect(fresh_airflow_home / "airflow.db") as db:
        for table in ("xcom", "rendered_task_instance_fields"):
            rows = db.execute(f"SELECT * FROM {table}").fetchall()
            assert rows, f"{table} is empty, so the search proved nothing"
            assert TOKEN not in repr(rows), table


def test_a_wrong_token_fails_with_the_api_message_and_not_the_token(
    run_dag, wolkvox_emulator, fresh_airflow_home
):
    returncode, output = _debug_run(
        run_dag, wolkvox_emulator.url, "example_wolkvox_create_campaign", fresh_airflow_home
    )
    assert returncode != 0 and "PLEASE VALIDATE TOKEN" in output
    _assert_token_nowhere(output, fresh_airflow_home)
    assert wolkvox_emulator.state(include_records=False)["campaigns"] == []
