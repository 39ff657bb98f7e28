"""WolkvoxCampaignTrigger: serialisation and the one event run() yields (httpx answered in memory)."""

from __future__ import annotations

import asyncio
import json
import logging
import time

import pytest
from httpx_wolkvox import ScriptedWolkvox

from airflow_provider_wolkvox.client import campaign_poller
from airflow_provider_wolkvox.client.aio import AsyncWolkvoxClient
from airflow_provider_wolkvox.triggers.campaign import WolkvoxCampaignTrigger

LIST_URL = "https://wv0042.wolkvox.com/api/v2/information.php?api=campaigns"


@pytest.fixture
def api(monkeypatch):
    """The Wolkvox the triggers' shared pollers talk to (in memory); script it with ``api.script``."""
    scripted = ScriptedWolkvox(listing("Stopped"))
    monkeypatch.setattr(campaign_poller, "AsyncWolkvoxClient", scripted.client_factory())
    return scripted


@pytest.fixture(autouse=True)
def connection(set_connection):
    set_connection(
        password="tok-SECRET-123456", extra={"retry_min_delay": 0, "retry_max_delay": 0, "retry_attempts": 1}
    )


def listing(status, records="5"):
    row = {"campaign_id": "1234", "campaign_name": "C", "type_campaign": "preview", "status": status}
    return {
        "status_code": 200,
        "json": {"code": 200, "error": None, "msg": "1", "data": [{**row, "records": records}]},
    }


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


def test_success_after_polling(api):
    api.script(listing("Stopped"), listing("Stopped"), listing("Started"))
    [event] = events(make(target_status="started"))
    assert event["status"] == "success"
    assert event["campaign_id"] == "1234"
    assert event["campaign"] == {
        "campaign_id": "1234",
        "campaign_name": "C",
        "type_campaign": "preview",
        "status": "Started",
        "records": 5,
    }
    assert api.call_count == 3
    assert {str(r.url) for r in api.requests} == {LIST_URL}


def test_transient_errors_keep_polling(api):
    api.script(
        {"status_code": 503, "json": {"code": 503, "error": "X", "msg": "busy"}}, listing("Started", "0")
    )
    [event] = events(make(max_records=0))
    assert event["status"] == "success"


def test_a_missing_campaign_is_a_permanent_error(api):
    api.script({"status_code": 200, "json": {"code": 200, "error": None, "msg": "0", "data": []}})
    [event] = events(make(target_status="Started"))
    assert event["status"] == "error"
    assert event["permanent"] is True
    assert "1234 was not found" in event["message"]


def test_a_bad_token_is_a_permanent_error(api):
    api.script(
        {"status_code": 403, "json": {"code": 403, "error": "FORBIDDEN", "msg": "PLEASE VALIDATE TOKEN"}}
    )
    [event] = events(make(target_status="Started"))
    assert (event["status"], event["permanent"]) == ("error", True)


def test_a_redirect_is_a_permanent_error_and_is_not_followed(api):
    api.script({"status_code": 302, "headers": {"Location": "https://elsewhere.example/api"}})
    [event] = events(make(target_status="Started"))
    assert (event["status"], event["permanent"]) == ("error", True)
    assert "redirect to host 'elsewhere.example'" in event["message"]
    assert api.call_count == 1


def test_timeout_when_the_end_time_passes(api):
    [event] = events(make(target_status="Started", end_time=time.time() + 0.05))
    assert event["status"] == "timeout"
    assert event["campaign_id"] == "1234"


def test_the_event_loop_is_not_blocked_while_polling(api):
    async def slow(request):
        await asyncio.sleep(0.3)
        return listing("Started")

    api.script(slow)

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


def test_the_token_is_only_in_the_request_header_never_in_events_or_logs(api, caplog):
    caplog.set_level(logging.DEBUG)
    api.script(
        listing("Stopped"),
        {"status_code": 503, "json": {"code": 503, "msg": "busy"}},
        {"status_code": 403, "json": {"code": 403, "msg": "PLEASE VALIDATE TOKEN"}},
    )
    trigger = make(target_status="Started")
    trigger._log = logging.getLogger("test.wolkvox.trigger")  # Airflow 3's structlog bypasses caplog
    [event] = events(trigger)
    assert event["status"] == "error"
    assert "Polling campaign 1234 failed" in caplog.text  # the log lines are captured
    assert [r.headers["wolkvox-token"] for r in api.requests] == ["tok-SECRET-123456"] * 3
    assert "tok-SECRET" not in json.dumps(event)
    assert "tok-SECRET" not in caplog.text


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
    set_connection, api, monkeypatch, conn, says
):
    monkeypatch.delenv("AIRFLOW_CONN_WOLKVOX_GONE", raising=False)
    if conn is not None:
        set_connection(conn_id="wolkvox_gone", **conn)
    [event] = events(make(target_status="Started", wolkvox_conn_id="wolkvox_gone"))
    assert (event["status"], event["permanent"]) == ("error", True)
    for fragment in says:
        assert fragment in event["message"]
    assert "tok-SECRET" not in event["message"]
    assert api.call_count == 0


def test_an_unexpected_failure_reading_the_connection_stays_transient(monkeypatch, api):
    from airflow_provider_wolkvox.hooks.wolkvox import WolkvoxHook

    async def broken(self):
        raise OSError("secrets backend unreachable")

    monkeypatch.setattr(WolkvoxHook, "aget_client_settings", broken)
    [event] = events(make(target_status="Started"))
    assert (event["status"], event["permanent"]) == ("error", False)
    assert "secrets backend unreachable" in event["message"]


@pytest.fixture
def closed(monkeypatch):
    calls = []
    real_close = AsyncWolkvoxClient.aclose

    async def spy(self):
        calls.append(self)
        await real_close(self)

    monkeypatch.setattr(AsyncWolkvoxClient, "aclose", spy)
    return calls


def test_the_http_client_is_closed_after_the_event(api, closed):
    api.script(listing("Stopped"), listing("Started"))
    [event] = events(make(target_status="Started"))
    assert event["status"] == "success"
    assert len(closed) == 1


def test_the_http_client_is_closed_after_a_permanent_error(api, closed):
    api.script({"status_code": 200, "json": {"code": 200, "error": None, "msg": "0", "data": []}})
    [event] = events(make(target_status="Started"))
    assert event["status"] == "error"
    assert len(closed) == 1


def test_the_http_client_is_closed_when_the_trigger_is_cancelled(api, closed):
    async def cancel_while_waiting():
        runner = make(target_status="Started", poll_interval=60).run()
        waiting = asyncio.ensure_future(runner.__anext__())
        await asyncio.sleep(0.3)  # the first poll is done; the trigger waits for the next one
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        await runner.aclose()
        await asyncio.sleep(0.05)  # the poller notices it has no waiter left

    asyncio.run(asyncio.wait_for(cancel_while_waiting(), timeout=10))
    assert api.call_count == 1
    assert len(closed) == 1


def two_campaigns(first, second):
    rows = [
        {
            "campaign_id": "1234",
            "campaign_name": "A",
            "type_campaign": "preview",
            "status": first,
            "records": "5",
        },
        {
            "campaign_id": "5678",
            "campaign_name": "B",
            "type_campaign": "preview",
            "status": second,
            "records": "5",
        },
    ]
    return {"status_code": 200, "json": {"code": 200, "error": None, "msg": "2", "data": rows}}


def run_together(*triggers):
    async def collect(trigger):
        return [event.payload async for event in trigger.run()]

    async def main():
        return await asyncio.gather(*(collect(t) for t in triggers))

    return asyncio.run(asyncio.wait_for(main(), timeout=10))


def test_triggers_on_one_connection_share_each_read(api):
    async def first(request):
        await asyncio.sleep(0.3)  # every trigger has joined before this read answers
        return two_campaigns("Stopped", "Stopped")

    api.script(first, two_campaigns("Started", "Stopped"), two_campaigns("Started", "Started"))
    triggers = [
        make(campaign_id=cid, target_status="Started", poll_interval=0.05) for cid in ["1234", "5678"] * 5
    ]

    results = run_together(*triggers)

    assert [[e["status"] for e in events] for events in results] == [["success"]] * 10
    assert api.call_count == 3  # not 3 reads for each of the 10 triggers


def test_a_campaign_missing_from_the_list_fails_only_its_own_trigger(api):
    api.script(two_campaigns("Started", "Started"))

    gone, there = run_together(
        make(campaign_id="999", target_status="Started"), make(target_status="Started")
    )

    assert (gone[0]["status"], gone[0]["permanent"]) == ("error", True)
    assert "999 was not found" in gone[0]["message"]
    assert there[0]["status"] == "success"


def test_the_waiting_line_is_logged_when_the_campaign_changes_not_at_every_read(api, caplog):
    caplog.set_level(logging.INFO)
    api.script(
        listing("Stopped", "9"),
        listing("Stopped", "9"),
        listing("Stopped", "9"),
        listing("Stopped", "4"),
        listing("Started"),
    )
    trigger = make(target_status="Started")
    trigger._log = logging.getLogger("test.wolkvox.trigger")  # Airflow 3's structlog bypasses caplog
    [event] = events(trigger)
    assert event["status"] == "success"
    waiting = [
        r.getMessage() for r in caplog.records if r.levelno == logging.INFO and "waiting" in r.getMessage()
    ]
    assert waiting == [
        "Campaign 1234 is Stopped with 9 records; waiting",
        "Campaign 1234 is Stopped with 4 records; waiting",
    ]
