"""WolkvoxCampaignSensor: conditions, failing fast, deferral and execute_complete."""

from __future__ import annotations

import json
import time

import pytest
from failing import fails_at_once

from airflow_provider_wolkvox._compat import (
    AirflowException,
    AirflowFailException,
    AirflowSensorTimeout,
    AirflowSkipException,
)
from airflow_provider_wolkvox.sensors.campaign import WolkvoxCampaignSensor
from airflow_provider_wolkvox.triggers.campaign import WolkvoxCampaignTrigger

LIST_URL = "https://wv0042.wolkvox.com/api/v2/information.php?api=campaigns"


@pytest.fixture(autouse=True)
def connection(set_connection):
    set_connection(
        password="tok-SECRET-123456", extra={"retry_min_delay": 0, "retry_max_delay": 0, "retry_attempts": 1}
    )


def campaigns(*rows):
    data = [
        {
            "campaign_id": cid,
            "campaign_name": f"C{cid}",
            "type_campaign": "predictive",
            "status": st,
            "records": rec,
        }
        for cid, st, rec in rows
    ]
    return {"code": 200, "error": None, "msg": f"{len(data)} records were found", "data": data}


def make(**kwargs):
    return WolkvoxCampaignSensor(task_id="wait", **{"campaign_id": "1234", **kwargs})


def test_defaults_follow_the_vendor_advice():
    sensor = make(target_status="Started")
    assert sensor.poke_interval == 300
    assert sensor.deferrable is False
    assert set(sensor.template_fields) == {"campaign_id", "target_status", "max_records", "wolkvox_conn_id"}


@pytest.mark.parametrize(
    ("kwargs", "row", "done"),
    [
        ({"target_status": "started"}, ("1234", "Started", "10"), True),
        ({"target_status": "STARTED"}, ("1234", "Stopped", "10"), False),
        ({"target_status": "Stopped"}, ("1234", "Stopped", "10"), True),
        ({"max_records": 10}, ("1234", "Started", "10"), True),
        ({"max_records": "9"}, ("1234", "Started", "10"), False),
        ({"max_records": 0}, ("1234", "Started", ""), False),  # count unknown: keep waiting
        ({"target_status": "Stopped", "max_records": 5}, ("1234", "Stopped", "6"), False),
        ({"target_status": "Stopped", "max_records": 5}, ("1234", "Stopped", "5"), True),
    ],
)
def test_poke_checks_status_and_records_left(requests_mock, kwargs, row, done):
    requests_mock.get(LIST_URL, json=campaigns(("99", "Started", "0"), row))
    result = make(**kwargs).poke({})
    assert result.is_done is done
    if done:
        assert result.xcom_value["campaign_id"] == "1234"
        assert result.xcom_value["status"] == row[1]


def test_a_campaign_that_disappears_fails_at_once(requests_mock):
    requests_mock.get(LIST_URL, json=campaigns(("99", "Started", "0")))
    with fails_at_once(match="1234 was not found"):
        make(target_status="Started").poke({})


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({}, "target_status"),
        ({"target_status": "Running"}, "target_status"),
        ({"max_records": -1}, "max_records"),
        ({"max_records": "many"}, "max_records"),
        ({"campaign_id": "x1", "target_status": "Started"}, "campaign_id"),
    ],
)
def test_bad_arguments_fail_before_any_request(requests_mock, kwargs, field):
    with fails_at_once(match=f"Invalid {field}"):
        make(**kwargs).execute({})
    assert requests_mock.call_count == 0


def test_non_deferrable_execute_returns_the_campaign(requests_mock):
    requests_mock.get(LIST_URL, json=campaigns(("1234", "Started", "3")))
    assert make(target_status="Started", poke_interval=0).execute({})["records"] == 3


def test_deferrable_pokes_once_then_defers_with_plain_json_kwargs(requests_mock):
    try:
        from airflow.sdk.exceptions import TaskDeferred  # Airflow 3
    except ImportError:
        from airflow.exceptions import TaskDeferred  # Airflow 2

    requests_mock.get(LIST_URL, json=campaigns(("1234", "Stopped", "3")))
    sensor = make(target_status="started", max_records="5", deferrable=True, poke_interval=5, timeout=60)
    before = time.time()
    with pytest.raises(TaskDeferred) as deferred:
        sensor.execute({})
    assert requests_mock.call_count == 1
    trigger = deferred.value.trigger
    assert isinstance(trigger, WolkvoxCampaignTrigger)
    assert deferred.value.method_name == "execute_complete"
    path, kwargs = trigger.serialize()
    assert path == "airflow_provider_wolkvox.triggers.campaign.WolkvoxCampaignTrigger"
    assert json.loads(json.dumps(kwargs)) == kwargs
    assert kwargs["target_status"] == "Started" and kwargs["max_records"] == 5
    assert kwargs["poll_interval"] == 5.0
    assert before + 60 <= kwargs["end_time"] <= time.time() + 60


def test_deferrable_returns_at_once_when_already_met(requests_mock):
    requests_mock.get(LIST_URL, json=campaigns(("1234", "Started", "3")))
    assert make(target_status="Started", deferrable=True).execute({})["status"] == "Started"


def test_execute_complete_returns_the_campaign_on_success():
    event = {"status": "success", "message": "ok", "campaign_id": "1234", "campaign": {"campaign_id": "1234"}}
    assert make(target_status="Started").execute_complete({}, event) == {"campaign_id": "1234"}


@pytest.mark.parametrize(
    ("event", "error"),
    [
        (None, AirflowException),
        ({"message": "no status"}, AirflowException),
        ({"status": "weird", "message": "?"}, AirflowException),
        ({"status": "error", "message": "gone", "permanent": True}, AirflowFailException),
        ({"status": "timeout", "message": "late"}, AirflowSensorTimeout),
    ],
)
def test_execute_complete_refuses_bad_or_failed_events(event, error):
    with pytest.raises(error):
        make(target_status="Started").execute_complete({}, event)


def test_transient_trigger_error_leaves_retries_available():
    with pytest.raises(AirflowException) as err:
        make(target_status="Started").execute_complete(
            {}, {"status": "error", "message": "x", "permanent": False}
        )
    assert not isinstance(err.value, AirflowFailException)


def test_timeout_with_soft_fail_skips():
    with pytest.raises(AirflowSkipException):
        make(target_status="Started", soft_fail=True).execute_complete(
            {}, {"status": "timeout", "message": "late"}
        )


def test_a_connection_the_triggerer_cannot_use_fails_the_task_at_once(monkeypatch, requests_mock):
    import asyncio

    monkeypatch.delenv("AIRFLOW_CONN_WOLKVOX_GONE", raising=False)
    sensor = make(target_status="Started", wolkvox_conn_id="wolkvox_gone")
    trigger = WolkvoxCampaignTrigger(
        campaign_id="1234", target_status="Started", wolkvox_conn_id="wolkvox_gone"
    )

    async def first_event():
        async for event in trigger.run():
            return event.payload

    event = asyncio.run(asyncio.wait_for(first_event(), timeout=10))
    with fails_at_once(match="wolkvox_gone"):
        sensor.execute_complete({}, event)
    assert requests_mock.call_count == 0


@pytest.fixture
def closed(monkeypatch):
    from airflow_provider_wolkvox.client import WolkvoxClient

    calls = []
    real_close = WolkvoxClient.close

    def spy(self):
        calls.append(self)
        real_close(self)

    monkeypatch.setattr(WolkvoxClient, "close", spy)
    return calls


def test_execute_closes_the_session_when_done(requests_mock, closed):
    requests_mock.get(LIST_URL, json=campaigns(("1234", "Started", "3")))
    sensor = make(target_status="Started", poke_interval=0)
    sensor.execute({})
    assert len(closed) == 1
    assert "client" not in sensor.hook.__dict__


def test_execute_closes_the_session_when_the_campaign_is_gone(requests_mock, closed):
    requests_mock.get(LIST_URL, json=campaigns())
    with fails_at_once():
        make(target_status="Started", poke_interval=0).execute({})
    assert len(closed) == 1


def test_execute_closes_the_session_before_deferring(requests_mock, closed):
    try:
        from airflow.sdk.exceptions import TaskDeferred  # Airflow 3
    except ImportError:
        from airflow.exceptions import TaskDeferred  # Airflow 2

    requests_mock.get(LIST_URL, json=campaigns(("1234", "Stopped", "3")))
    with pytest.raises(TaskDeferred):
        make(target_status="Started", deferrable=True).execute({})
    assert len(closed) == 1
