"""A real `airflow dags test` run of a create task whose first try fails on the campaign-list read.

Issue #11 item 3: an older campaign of the same name exists; the retry (if_exists="fail") must not
return it. On Airflow before 3.3 there is no task state store, so the retry cannot tell the older
campaign from one an earlier try created and fails saying so; on 3.3 it fails because the campaign
already existed. Either way no campaign is adopted or created.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

import pytest
from airflow_cli import AIRFLOW, airflow_env, migrate

from airflow_provider_wolkvox.client import CampaignSpec, WolkvoxClient
from airflow_provider_wolkvox.emulator.pytest_plugin import TEST_TOKEN

pytestmark = pytest.mark.integration

DAGS = Path(__file__).parent / "retry_dags"


def _has_task_state_store() -> bool:
    from airflow import __version__

    return tuple(int(part) for part in __version__.split(".")[:2]) >= (3, 3)


def test_a_retried_create_never_returns_the_older_campaign_after_a_failed_list_read(
    tmp_path, wolkvox_emulator
):
    env = airflow_env(tmp_path / "home", DAGS)
    migrate(env, wolkvox_pool=False)
    env["AIRFLOW_CONN_WOLKVOX_DEFAULT"] = json.dumps(
        {
            "conn_type": "wolkvox",
            "host": wolkvox_emulator.url,
            "password": TEST_TOKEN,
            "extra": {"retry_attempts": 1, "timeout": 10},
        }
    )
    older = WolkvoxClient(wolkvox_emulator.url, TEST_TOKEN).create_campaign(
        CampaignSpec.build(type_campaign="preview", campaign_name="Daily", skill_id=3)
    )
    # Try 1's only read of the campaign list answers 500: it fails before creating anything.
    wolkvox_emulator.inject_fault(api="campaigns", times=1, action="respond", status=500)

    run = subprocess.run(
        [AIRFLOW, "dags", "test", "wolkvox_create_retry", "2026-11-28"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )

    output = run.stdout + run.stderr
    with sqlite3.connect(tmp_path / "home" / "airflow.db") as db:
        state, try_number = db.execute(
            "SELECT state, try_number FROM task_instance WHERE dag_id = 'wolkvox_create_retry'"
        ).fetchone()
    assert (state, try_number) == ("failed", 2), output[-3000:]
    if _has_task_state_store():
        assert f"already exists (id {older.campaign_id}); nothing was created" in output, output[-3000:]
    else:
        assert f"exists (id {older.campaign_id}) and this is try 2" in output, output[-3000:]
        assert "cannot tell whether an earlier try created it" in output
    campaigns = wolkvox_emulator.state(include_records=False)["campaigns"]
    assert [c["campaign_id"] for c in campaigns] == [older.campaign_id]
    assert wolkvox_emulator.request_counts["create_campaign"] == 1  # the older campaign's only
    assert TEST_TOKEN not in output
