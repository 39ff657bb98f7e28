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
