"""The create-campaign example DAG, run for real with `airflow dags test` against the emulator."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration


def test_example_dag_creates_the_campaign_and_hands_its_id_downstream(run_dag, wolkvox_emulator):
    result = run_dag("example_wolkvox_create_campaign")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]

    campaigns = wolkvox_emulator.state()["campaigns"]
    assert len(campaigns) == 1
    campaign = campaigns[0]
    # The request on the wire carried the documented body, with the Jinja fields rendered.
    assert campaign["campaign_name"].startswith("Outbound manual__2026-")  # named after the run_id
    name = campaign["campaign_name"]
    assert campaign["type_campaign"] == "predictive"
    assert campaign["skill_id"] == "12"
    assert campaign["start_time"] == "080000"
    assert campaign["end_time"] == "180000"
    assert campaign["opt1"] == "Plan"
    assert campaign["amd"] == "COL"
    assert campaign["enable_edition"] == "no"
    assert wolkvox_emulator.request_counts.get("create_campaign") == 1
    # The downstream TaskFlow task received the id and the name through XCom.
    assert f"Campaign {campaign['campaign_id']} ({name}) is ready for contacts" in output
