"""The example DAGs run in every kind of run a new user starts: two manual runs on the same day,
and (Airflow 3) a run with no logical date, as the REST API and `airflow dags trigger` without
``-l`` create. Campaigns are named after the run's ``run_id``, which every run has."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from airflow_cli import airflow_env

from airflow_provider_wolkvox._compat import AIRFLOW_V_3
from airflow_provider_wolkvox.emulator import WolkvoxEmulator

pytestmark = pytest.mark.integration

EXAMPLE_DAGS = Path(__file__).resolve().parents[2] / "example_dags"

EXAMPLES = ("example_wolkvox_create_campaign", "example_wolkvox_lifecycle")

#: `dag.test(logical_date=None)`: `airflow dags test` always sets a logical date (now, if none is given).
RUN_WITHOUT_LOGICAL_DATE = """
import sys
from airflow.dag_processing.dagbag import DagBag

dag = DagBag(dag_folder=sys.argv[2]).get_dag(sys.argv[1])
run = dag.test(logical_date=None)
print(f"RESULT state={run.state} logical_date={run.logical_date} run_id={run.run_id}")
"""


@pytest.mark.parametrize("dag_id", EXAMPLES)
def test_example_runs_twice_on_the_same_day(dag_id, run_dag, wolkvox_emulator: WolkvoxEmulator):
    wolkvox_emulator.set_dial_rate(1000)  # the lifecycle's sensor finds every contact called at once
    outputs = []
    for logical_date in ("2026-11-28T08:00:00+00:00", "2026-11-28T09:30:00+00:00"):
        result = run_dag(dag_id, logical_date=logical_date)
        outputs.append(result.stdout + result.stderr)
        assert result.returncode == 0, outputs[-1][-4000:]

    names = [c["campaign_name"] for c in wolkvox_emulator.state(include_records=False)["campaigns"]]
    assert len(names) == 2 and len(set(names)) == 2, names  # one campaign per run
    assert all("already exists" not in output for output in outputs)


@pytest.mark.skipif(not AIRFLOW_V_3, reason="Airflow 2 runs always have a logical date")
@pytest.mark.parametrize("dag_id", EXAMPLES)
def test_example_runs_without_a_logical_date(
    dag_id, airflow_home: Path, wolkvox_emulator: WolkvoxEmulator, wolkvox_connection: str
):
    wolkvox_emulator.set_dial_rate(1000)
    env = airflow_env(airflow_home, EXAMPLE_DAGS)
    env["AIRFLOW_CONN_WOLKVOX_DEFAULT"] = wolkvox_connection
    result = subprocess.run(
        [sys.executable, "-c", RUN_WITHOUT_LOGICAL_DATE, dag_id, str(EXAMPLE_DAGS)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "RESULT state=success logical_date=None" in output, output[-4000:]
    assert "UndefinedError" not in output
    (campaign,) = wolkvox_emulator.state(include_records=False)["campaigns"]
    assert campaign["campaign_name"].split(" ", 1)[1].startswith("manual__")
