"""Every task closes its HTTP session: no connection to Wolkvox stays open after a run.

``airflow dags test`` (and any process running several tasks) keeps the operator objects alive,
so a session left open keeps its socket open too. The check is what a user would see: the TCP
connections this process holds to the emulator after the runs.
"""

from __future__ import annotations

import asyncio
import time

import psutil
import pytest
from failing import fails_at_once

from airflow_provider_wolkvox.emulator.pytest_plugin import TEST_TOKEN
from airflow_provider_wolkvox.operators.campaign import (
    CreateCampaignOperator,
    StartCampaignOperator,
    StopCampaignOperator,
)
from airflow_provider_wolkvox.sensors.campaign import WolkvoxCampaignSensor
from airflow_provider_wolkvox.triggers.campaign import WolkvoxCampaignTrigger

pytestmark = pytest.mark.integration


def open_connections(port: int) -> list[psutil._common.pconn]:
    """This process's TCP connections to the emulator's port that are not closed yet."""
    return [
        conn
        for conn in psutil.Process().net_connections(kind="tcp")
        if conn.raddr and conn.raddr.port == port and conn.status == psutil.CONN_ESTABLISHED
    ]


def settled(port: int) -> list[psutil._common.pconn]:
    # The server may take a moment to see the close; our side is what counts, but give it 1 s.
    deadline = time.monotonic() + 1.0
    while (left := open_connections(port)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


@pytest.fixture
def emulator(wolkvox_emulator, set_connection):
    set_connection(host=wolkvox_emulator.url, password=TEST_TOKEN, extra={"server_id": "0042"})
    return wolkvox_emulator


def test_three_operator_runs_leave_no_connection_open(emulator):
    port = emulator.port
    create = CreateCampaignOperator(
        task_id="create", type_campaign="preview", campaign_name="Sessions", skill_id=1
    )
    campaign_id = create.execute({})
    start = StartCampaignOperator(task_id="start", campaign_id=campaign_id, type_campaign="preview")
    stop = StopCampaignOperator(task_id="stop", campaign_id=campaign_id, type_campaign="preview")
    start.execute({})
    stop.execute({})
    tasks = [create, start, stop]  # still referenced, as in one `airflow dags test` process
    assert settled(port) == []
    assert len(tasks) == 3


def test_a_failing_run_leaves_no_connection_open(emulator):
    operator = StartCampaignOperator(task_id="start", campaign_id=999999, type_campaign="preview")
    with fails_at_once():  # 404: the campaign does not exist
        operator.execute({})
    assert settled(emulator.port) == []


def test_the_sensor_and_its_trigger_leave_no_connection_open(emulator):
    create = CreateCampaignOperator(task_id="create", type_campaign="preview", campaign_name="S", skill_id=1)
    campaign_id = create.execute({})
    sensor = WolkvoxCampaignSensor(task_id="wait", campaign_id=campaign_id, target_status="Stopped")
    assert sensor.execute({})["status"] == "Stopped"
    trigger = WolkvoxCampaignTrigger(campaign_id=campaign_id, target_status="Stopped", poll_interval=0.01)

    async def first_event():
        async for event in trigger.run():
            return event.payload

    assert asyncio.run(asyncio.wait_for(first_event(), timeout=30))["status"] == "success"
    assert settled(emulator.port) == []
    assert [create, sensor] != []


def test_closing_the_client_closes_its_socket_while_an_error_is_still_held(emulator):
    # urllib3 2 closes a pool only when it is garbage-collected, and the error's traceback keeps
    # the response and its pool alive (Airflow 3.3 holds a task's error for the retry policy).
    from airflow_provider_wolkvox.client import WolkvoxClient, WolkvoxNotFoundError

    client = WolkvoxClient(emulator.url, TEST_TOKEN, server_id="0042")
    with pytest.raises(WolkvoxNotFoundError) as caught:
        client.start_campaign("preview", 999999)
    client.close()
    assert settled(emulator.port) == []
    assert caught.value.status == 404  # still referenced
