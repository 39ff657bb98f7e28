"""The lifecycle example DAG, run for real with `airflow dags test` against the emulator."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from airflow_provider_wolkvox._compat import AIRFLOW_V_3

EXAMPLE_CONTACTS = Path(__file__).resolve().parents[2] / "example_dags" / "data" / "contacts.csv"

pytestmark = pytest.mark.integration


def test_lifecycle_dag_loads_starts_waits_deferred_and_stops(run_dag, wolkvox_emulator):
    # 50 contacts take ~17 s: even on a loaded machine the first poke finds some left, so the sensor defers
    wolkvox_emulator.set_dial_rate(3)
    result = run_dag("example_wolkvox_lifecycle")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]

    with open(EXAMPLE_CONTACTS, newline="", encoding="utf-8") as handle:
        uploaded = [row["customer_id"] for row in csv.DictReader(handle)]
    (campaign,) = wolkvox_emulator.state()["campaigns"]
    assert sorted(r["customer_id"] for r in campaign["records"]) == sorted(uploaded)  # each exactly once
    assert campaign["campaign_name"].startswith("Collections manual__2026-")  # named after the run_id
    assert campaign["status"] == "Stopped"
    assert campaign["pending_count"] == 0  # the sensor waited until every contact was called
    requests = wolkvox_emulator.request_counts
    assert requests["start"] == 1 and requests["stop"] == 1
    # One poke in the worker, then the trigger's polls: the wait really was deferred.
    if AIRFLOW_V_3:  # Airflow 2's `dags test` logs neither (3.0 - 3.2 log only the task's state)
        assert "WolkvoxCampaignTrigger" in output or "Pausing task as DEFERRED" in output
    assert requests["campaigns"] >= 2
    assert (
        wolkvox_emulator.state()["peak_in_flight"]
        and max(wolkvox_emulator.state()["peak_in_flight"].values()) <= 2
    )
    # The server id is the connection's Login field, not an Extra value Airflow 3 registers as a
    # secret: no task log opens with the "too short to mask" warning, and it is shown in clear.
    assert "Skipping masking" not in output
    assert f"Wolkvox connection 'wolkvox_default': {wolkvox_emulator.url}, server id 0042" in output
    assert campaign["server"] == "0042"  # the wolkvox_server header reached the emulator
