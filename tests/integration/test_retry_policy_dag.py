"""Real `airflow dags test` runs of a start task with retries=2, retry_delay=0, against the emulator.

Issue #14 item 3. On Airflow 3.3+ the default WolkvoxRetryPolicy decides: an exhausted daily quota
fails the task on its first try, and a per-token concurrency 403 (after the client's own HTTP
retries of it) is retried after the policy's 1-minute delay, not the task's 0 s. Before 3.3 the
same DAG runs without a policy: the quota fails it at once through AirflowFailException and the
concurrency 403 is retried at once.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
from airflow_cli import AIRFLOW, airflow_env, migrate

from airflow_provider_wolkvox.client import CampaignSpec, WolkvoxClient
from airflow_provider_wolkvox.emulator.pytest_plugin import TEST_TOKEN
from airflow_provider_wolkvox.retry_policy import DEFAULT_CONCURRENCY_DELAY, SUPPORTED

pytestmark = pytest.mark.integration

DAGS = Path(__file__).parent / "retry_dags"
CONCURRENCY = "EXCEEDS THE LIMIT OF SIMULTANEOUS REQUESTS PER TOKEN (2)"


def envelope(status: int, msg: str) -> dict[str, object]:
    return {"code": status, "error": "FORBIDDEN", "msg": msg, "data": []}


def run_dag(
    tmp_path: Path, emulator, campaign_id: str, dag_id: str = "wolkvox_retry_policy"
) -> tuple[str, tuple, list[tuple]]:
    """Run the DAG; return its output, the task's last try (try_number, state, start, end) and,
    on Airflow 3.3+, its earlier tries (task_instance_history, with the policy's delay and reason)."""
    home = tmp_path / "home"
    env = airflow_env(home, DAGS)
    migrate(env, wolkvox_pool=False)
    env["AIRFLOW_CONN_WOLKVOX_DEFAULT"] = json.dumps(
        {
            "conn_type": "wolkvox",
            "host": emulator.url,
            "password": TEST_TOKEN,
            # One HTTP try per failure of any kind, two per concurrency 403.
            "extra": {"retry_attempts": 1, "retry_concurrency_attempts": 2, "timeout": 10},
        }
    )
    conf = json.dumps({"campaign_id": campaign_id})
    run = subprocess.run(
        [AIRFLOW, "dags", "test", dag_id, "2026-12-01", "-c", conf],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = run.stdout + run.stderr
    assert TEST_TOKEN not in output
    with sqlite3.connect(home / "airflow.db") as db:
        last = db.execute(
            "SELECT try_number, state, start_date, end_date FROM task_instance WHERE dag_id = ?", (dag_id,)
        ).fetchone()
        earlier = []
        if SUPPORTED:
            earlier = db.execute(
                "SELECT try_number, state, start_date, end_date, retry_delay_override, retry_reason "
                "FROM task_instance_history WHERE dag_id = ? ORDER BY try_number",
                (dag_id,),
            ).fetchall()
    return output, last, earlier


def seconds_between(end: str, start: str) -> float:
    return (datetime.fromisoformat(start) - datetime.fromisoformat(end)).total_seconds()


@pytest.fixture
def campaign_id(wolkvox_emulator) -> str:
    spec = CampaignSpec.build(type_campaign="preview", campaign_name="Retry", skill_id=3)
    return WolkvoxClient(wolkvox_emulator.url, TEST_TOKEN).create_campaign(spec).campaign_id


def test_an_exhausted_quota_fails_the_task_on_its_first_try(tmp_path, wolkvox_emulator, campaign_id):
    quota = envelope(403, "TOKEN LIMIT EXCEEDED")
    wolkvox_emulator.inject_fault(api="start", times=-1, status=403, body=quota)

    output, last, earlier = run_dag(tmp_path, wolkvox_emulator, campaign_id)

    assert last[:2] == (1, "failed"), output[-3000:]
    assert earlier == []
    assert wolkvox_emulator.request_counts["start"] == 1
    assert "TOKEN LIMIT EXCEEDED" in output
    assert "Wolkvox API calls in this try: 1" in output
    if SUPPORTED:
        assert "WolkvoxQuotaExceededError: retrying cannot fix this" in output, output[-3000:]
    else:
        assert "AirflowFailException" in output, output[-3000:]


def test_a_concurrency_403_is_retried_after_the_policys_short_delay(tmp_path, wolkvox_emulator, campaign_id):
    # Try 1: both HTTP tries of start are refused (retry_concurrency_attempts=2). Try 2 starts it.
    wolkvox_emulator.inject_fault(api="start", times=2, status=403, body=envelope(403, CONCURRENCY))

    output, last, earlier = run_dag(tmp_path, wolkvox_emulator, campaign_id)

    assert last[:2] == (2, "success"), output[-3000:]
    assert wolkvox_emulator.request_counts["start"] == 3
    assert "Wolkvox API calls in this try: 2" in output
    assert "Wolkvox API calls in this try: 1" in output
    campaigns = wolkvox_emulator.state(include_records=False)["campaigns"]
    assert [c["status"] for c in campaigns] == ["Started"]
    if SUPPORTED:
        (first,) = earlier
        number, state, _, ended, delay, reason = first
        assert (number, state) == (1, "failed")
        assert delay == DEFAULT_CONCURRENCY_DELAY.total_seconds()
        assert reason.startswith("WolkvoxConcurrencyLimitError: another request held the token")
        waited = seconds_between(ended, last[2])
        assert waited >= DEFAULT_CONCURRENCY_DELAY.total_seconds(), waited  # not the task's 0 s
    else:
        assert "AirflowFailException" not in output


@pytest.mark.skipif(not SUPPORTED, reason="retry policies exist from Airflow 3.3")
def test_maintenance_is_retried_after_the_maintenance_delay_of_the_policy_the_task_was_given(
    tmp_path, wolkvox_emulator, campaign_id
):
    # WolkvoxRetryPolicy(maintenance_delay=5 s) given to the task: it wins over the default one.
    maintenance = envelope(403, "API CONSUMPTION DISABLED DUE TO MAINTENANCE")
    wolkvox_emulator.inject_fault(api="start", times=1, status=403, body=maintenance)

    output, last, earlier = run_dag(
        tmp_path, wolkvox_emulator, campaign_id, "wolkvox_retry_policy_maintenance"
    )

    assert last[:2] == (2, "success"), output[-3000:]
    (first,) = earlier
    number, state, _, ended, delay, reason = first
    assert (number, state, delay) == (1, "failed", 5.0)
    assert reason.startswith("WolkvoxMaintenanceError: Wolkvox is in maintenance; retrying in 0:00:05")
    assert seconds_between(ended, last[2]) >= 5.0
    # retry_attempts=1: the client did not retry the maintenance 403 itself; Airflow did.
    assert wolkvox_emulator.request_counts["start"] == 2
