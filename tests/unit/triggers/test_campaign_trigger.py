"""WolkvoxCampaignTrigger: serialisation and the one event run() yields."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from airflow_provider_wolkvox.triggers.campaign import WolkvoxCampaignTrigger

LIST_URL = "https://wv0042.wolkvox.com/api/v2/information.php?api=campaigns"


@pytest.fixture(autouse=True)
def connection(set_connection):
    set_connection(
        password="tok-SECRET-123456", extra={"retry_min_delay": 0, "retry_max_delay": 0, "retry_attempts": 1}
    )


def listing(status, records="5"):
    row = {"campaign_id": "1234", "campaign_name": "C", "type_campaign": "preview", "status": status}
    return {"json": {"code": 200, "error": None, "msg": "1", "data": [{**row, "records": records}]}}


def make(**kwargs):
    return WolkvoxCampaignTrigger(**{"campaign_id": "1234", "poll_interval": 0.01, **kwargs})


def events(trigger):
    async def collect():
        return [event.payload async for event in trigger.run()]

    return asyncio.run(asyncio.wait_for(collect(), timeout=10))


def test_serialize_round_trip():
    trigger = make(target_status="Started", max_records=3, end_time=1_900_000_000.5, wolkvox_conn_id="wv")
    path, kwargs = trigger.serialize()
    assert path == "airflow_provider_wolkvox.triggers.campaign.WolkvoxCampaignTrigger"
    assert json.loads(json.dumps(kwargs)) == kwargs
    again = WolkvoxCampaignTrigger(**kwargs)
    assert again.serialize() == (path, kwargs)


def test_success_after_polling(requests_mock):
    requests_mock.get(LIST_URL, [listing("Stopped"), listing("Stopped"), listing("Started")])
    [event] = events(make(target_status="started"))
    assert event["status"] == "success"
    assert event["campaign_id"] == "1234"
    assert event["campaign"]["status"] == "Started"
    assert requests_mock.call_count == 3


def test_transient_errors_keep_polling(requests_mock):
    requests_mock.get(
        LIST_URL,
        [{"status_code": 503, "json": {"code": 503, "error": "X", "msg": "busy"}}, listing("Started", "0")],
    )
    [event] = events(make(max_records=0))
    assert event["status"] == "success"


def test_a_missing_campaign_is_a_permanent_error(requests_mock):
    requests_mock.get(LIST_URL, json={"code": 200, "error": None, "msg": "0", "data": []})
    [event] = events(make(target_status="Started"))
    assert event["status"] == "error"
    assert event["permanent"] is True
    assert "1234 was not found" in event["message"]


def test_a_bad_token_is_a_permanent_error(requests_mock):
    requests_mock.get(
        LIST_URL, status_code=403, json={"code": 403, "error": "FORBIDDEN", "msg": "PLEASE VALIDATE TOKEN"}
    )
    [event] = events(make(target_status="Started"))
    assert (event["status"], event["permanent"]) == ("error", True)


def test_timeout_when_the_end_time_passes(requests_mock):
    requests_mock.get(LIST_URL, **listing("Stopped"))
    [event] = events(make(target_status="Started", end_time=time.time() + 0.05))
    assert event["status"] == "timeout"
    assert event["campaign_id"] == "1234"


def test_the_event_loop_is_not_blocked_while_polling(requests_mock):
    def slow(request, context):
        time.sleep(0.3)
        return listing("Started")["json"]

    requests_mock.get(LIST_URL, json=slow)

    async def main():
        ticks = 0

        async def ticker():
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        task = asyncio.create_task(ticker())
        result = [event.payload async for event in make(target_status="Started").run()]
        task.cancel()
        return result, ticks

    result, ticks = asyncio.run(main())
    assert result[0]["status"] == "success"
    assert ticks >= 10  # the loop kept running during the 0.3 s request


@pytest.mark.parametrize(
    ("conn", "says"),
    [
        pytest.param(None, ["wolkvox_gone", "isn't defined"], id="missing-connection"),
        pytest.param({"password": None}, ["wolkvox_gone", "password", "no API token"], id="no-password"),
        pytest.param({"host": "0042.evil.com"}, ["wolkvox_gone", "host", "0042.evil.com"], id="refused-host"),
        pytest.param(
            {"host": "http://192.0.2.10:8080"}, ["wolkvox_gone", "host", "unencrypted"], id="insecure-http"
        ),
    ],
)
def test_an_unusable_connection_is_a_permanent_error_with_the_reason(
    set_connection, requests_mock, monkeypatch, conn, says
):
    monkeypatch.delenv("AIRFLOW_CONN_WOLKVOX_GONE", raising=False)
    if conn is not None:
        set_connection(conn_id="wolkvox_gone", **conn)
    [event] = events(make(target_status="Started", wolkvox_conn_id="wolkvox_gone"))
    assert (event["status"], event["permanent"]) == ("error", True)
    for fragment in says:
        assert fragment in event["message"]
    assert "tok-SECRET" not in event["message"]
    assert requests_mock.call_count == 0


def test_an_unexpected_failure_reading_the_connection_stays_transient(monkeypatch, requests_mock):
    from airflow_provider_wolkvox.hooks.wolkvox import WolkvoxHook

    async def broken(self):
        raise OSError("secrets backend unreachable")

    monkeypatch.setattr(WolkvoxHook, "aget_client", broken)
    [event] = events(make(target_status="Started"))
    assert (event["status"], event["permanent"]) == ("error", False)
    assert "secrets backend unreachable" in event["message"]


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


def test_the_session_is_closed_after_the_event(requests_mock, closed):
    requests_mock.get(LIST_URL, [listing("Stopped"), listing("Started")])
    [event] = events(make(target_status="Started"))
    assert event["status"] == "success"
    assert len(closed) == 1


def test_the_session_is_closed_after_a_permanent_error(requests_mock, closed):
    requests_mock.get(LIST_URL, json={"code": 200, "error": None, "msg": "0", "data": []})
    [event] = events(make(target_status="Started"))
    assert event["status"] == "error"
    assert len(closed) == 1


def test_the_session_is_closed_when_the_trigger_is_cancelled(requests_mock, closed):
    requests_mock.get(LIST_URL, **listing("Stopped"))

    async def cancel_while_waiting():
        runner = make(target_status="Started", poll_interval=60).run()
        waiting = asyncio.ensure_future(runner.__anext__())
        await asyncio.sleep(0.3)  # the first poll is done; the trigger sleeps until the next one
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        await runner.aclose()

    asyncio.run(asyncio.wait_for(cancel_while_waiting(), timeout=10))
    assert requests_mock.call_count == 1
    assert len(closed) == 1
