"""Many deferred waits in one event loop against the emulator: one list read per interval per connection.

Forty WolkvoxCampaignTriggers on two connections (two tokens of one operation) run in one event
loop, as in a triggerer: they start at different times, some finish when their campaign is
started, some time out, some are cancelled mid-wait. What the emulator saw is the proof: on each
connection, the reads are one interval apart, never closer and never skipped while anyone waits.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import defaultdict
from typing import Any

import pytest

from airflow_provider_wolkvox.client import CampaignSpec, WolkvoxClient
from airflow_provider_wolkvox.client.aio import AsyncWolkvoxClient
from airflow_provider_wolkvox.client.campaign_poller import shared_registry
from airflow_provider_wolkvox.client.settings import ClientSettings
from airflow_provider_wolkvox.emulator import WolkvoxEmulator, token_label
from airflow_provider_wolkvox.emulator.pytest_plugin import TEST_TOKEN
from airflow_provider_wolkvox.triggers.campaign import WolkvoxCampaignTrigger

pytestmark = pytest.mark.integration

SECOND_TOKEN = "second-token"
SETUP_TOKEN = "setup-token"  # campaigns are created and started with it, so its calls are not counted
INTERVAL = 0.5
#: Server-side arrival times jitter by a few milliseconds around the poller's schedule.
JITTER = 0.06


class RequestLog:
    """Every API call the emulator received: (monotonic time, token label, api)."""

    def __init__(self, emulator: WolkvoxEmulator) -> None:
        self.calls: list[tuple[float, str, str]] = []
        real = emulator.handle_api

        def recording(method: str, path: str, query: dict[str, str], headers: Any, body: bytes) -> Any:
            token = (headers.get("wolkvox-token") or "").strip()
            self.calls.append((time.monotonic(), token_label(token), query.get("api", "")))
            return real(method, path, query, headers, body)

        emulator.handle_api = recording  # type: ignore[method-assign]

    def reads(self, token: str) -> list[float]:
        return sorted(t for t, label, api in self.calls if label == token_label(token) and api == "campaigns")

    def apis(self, token: str) -> set[str]:
        return {api for _, label, api in self.calls if label == token_label(token)}


@pytest.fixture
def emulator(wolkvox_emulator: WolkvoxEmulator, set_connection: Any) -> WolkvoxEmulator:
    wolkvox_emulator.add_token(SECOND_TOKEN)
    wolkvox_emulator.add_token(SETUP_TOKEN)
    extra = {"retry_min_delay": 0.05, "retry_max_delay": 0.1}
    set_connection(host=wolkvox_emulator.url, password=TEST_TOKEN, login="0042", extra=extra)
    set_connection(
        conn_id="wolkvox_second", host=wolkvox_emulator.url, password=SECOND_TOKEN, login="0042", extra=extra
    )
    return wolkvox_emulator


@pytest.fixture
def setup_client(emulator: WolkvoxEmulator) -> WolkvoxClient:
    with WolkvoxClient(emulator.url, SETUP_TOKEN, server_id="0042") as client:
        yield client


def create(client: WolkvoxClient, count: int) -> list[str]:
    return [
        client.create_campaign(
            CampaignSpec.build(type_campaign="preview", campaign_name=f"Wait {i}", skill_id=1)
        ).campaign_id
        for i in range(count)
    ]


async def collect(trigger: WolkvoxCampaignTrigger, start: float = 0.0) -> list[dict[str, Any]]:
    await asyncio.sleep(start)
    return [event.payload async for event in trigger.run()]


def trigger(campaign_id: str, conn_id: str, **kwargs: Any) -> WolkvoxCampaignTrigger:
    return WolkvoxCampaignTrigger(
        campaign_id=campaign_id,
        target_status="Started",
        poll_interval=INTERVAL,
        wolkvox_conn_id=conn_id,
        **kwargs,
    )


def warm_up_httpx(emulator: WolkvoxEmulator) -> None:
    """One read with the setup token: httpx's first request in a process imports its I/O stack
    (about 0.1 s), which would shift the first read's arrival at the server and blur the gaps."""

    async def read() -> None:
        async with AsyncWolkvoxClient(ClientSettings(emulator.url, SETUP_TOKEN, server_id="0042")) as client:
            await client.list_campaigns()

    asyncio.run(read())


def test_forty_triggers_on_two_connections_cost_one_read_per_interval_each(emulator, setup_client):
    warm_up_httpx(emulator)
    log = RequestLog(emulator)
    ids = create(setup_client, 40)
    conns = ["wolkvox_default", "wolkvox_second"]
    # Four groups of ten, five per connection, each trigger starting at its own time in the first second.
    early, cancelled, timing_out, late = (ids[i : i + 10] for i in range(0, 40, 10))

    async def main() -> dict[str, list[Any]]:
        tasks: dict[str, list[asyncio.Task[Any]]] = defaultdict(list)
        starts = itertools.count()
        for group, campaign_ids in [("early", early), ("cancelled", cancelled), ("late", late)]:
            for i, cid in enumerate(campaign_ids):
                task = collect(trigger(cid, conns[i % 2]), start=next(starts) * 0.025)
                tasks[group].append(asyncio.create_task(task))
        for i, cid in enumerate(timing_out):
            start = next(starts) * 0.025
            waiting = trigger(cid, conns[i % 2], end_time=time.time() + start + 2.0)
            tasks["timing_out"].append(asyncio.create_task(collect(waiting, start=start)))

        await asyncio.sleep(1.2)
        for task in tasks["cancelled"][:5]:
            task.cancel()
        await asyncio.to_thread(lambda: [setup_client.start_campaign("preview", cid) for cid in early])
        await asyncio.sleep(1.0)
        for task in tasks["cancelled"][5:]:
            task.cancel()
        await asyncio.sleep(0.6)
        await asyncio.to_thread(lambda: [setup_client.start_campaign("preview", cid) for cid in late])
        results = {
            group: await asyncio.gather(*group_tasks, return_exceptions=True)
            for group, group_tasks in tasks.items()
        }
        await asyncio.sleep(0.1)  # the pollers notice they have no waiter left
        results["pollers"] = list(shared_registry().pollers)
        return results

    results = asyncio.run(asyncio.wait_for(main(), timeout=60))

    # What each task saw: unaffected by the cancellations around it.
    for group, expected in [("early", "success"), ("late", "success"), ("timing_out", "timeout")]:
        assert [[event["status"] for event in events] for events in results[group]] == [[expected]] * 10, (
            group
        )
    assert all(isinstance(outcome, asyncio.CancelledError) for outcome in results["cancelled"])
    assert {events[0]["campaign"]["status"] for events in results["early"] + results["late"]} == {"Started"}
    assert results["pollers"] == []  # every poller stopped with its last waiter

    state = emulator.state(include_records=False)
    for token in (TEST_TOKEN, SECOND_TOKEN):
        reads = log.reads(token)
        gaps = [b - a for a, b in itertools.pairwise(reads)]
        # One read per interval per connection: never two within an interval, none skipped while
        # triggers waited (the last trigger finished with the read after the late campaigns started).
        assert min(gaps) >= INTERVAL - JITTER, gaps
        assert max(gaps) <= INTERVAL + JITTER, gaps
        assert len(reads) >= 5, reads  # the run spanned several intervals (about 3.5 s)
        assert log.apis(token) == {"campaigns"}
        assert state["token_use_today"][token_label(token)] == len(reads)  # the emulator's own count
        assert state["peak_in_flight"][token_label(token)] == 1
    # Unshared, the 20 triggers of each connection would have cost about 20 reads per interval.


def test_a_bad_token_fails_every_trigger_on_its_connection_and_no_other(
    emulator, setup_client, set_connection
):
    log = RequestLog(emulator)
    set_connection(conn_id="wolkvox_revoked", host=emulator.url, password="revoked-token", login="0042")
    ids = create(setup_client, 4)
    for cid in ids:
        setup_client.start_campaign("preview", cid)

    async def main() -> list[Any]:
        revoked = [collect(trigger(cid, "wolkvox_revoked")) for cid in ids * 2]
        good = [collect(trigger(cid, "wolkvox_default")) for cid in ids]
        return await asyncio.gather(*revoked, *good)

    results = asyncio.run(asyncio.wait_for(main(), timeout=30))

    revoked, good = results[:8], results[8:]
    assert all(events[0]["status"] == "error" and events[0]["permanent"] for events in revoked)
    assert all("PLEASE VALIDATE TOKEN" in events[0]["message"] for events in revoked)
    assert all("revoked-token" not in str(events) for events in revoked)
    assert [events[0]["status"] for events in good] == ["success"] * 4
    # One shared read tells all eight; one that joins after its answer takes the next interval's read.
    reads = log.reads("revoked-token")
    assert len(reads) == 1 or (len(reads) == 2 and reads[1] - reads[0] >= INTERVAL - JITTER), reads
    assert len(log.reads(TEST_TOKEN)) == 1


def test_a_transient_failure_is_retried_once_for_every_trigger(emulator, setup_client):
    log = RequestLog(emulator)
    ids = create(setup_client, 10)
    for cid in ids:
        setup_client.start_campaign("preview", cid)
    emulator.inject_fault(api="campaigns", times=1, status=503)

    async def main() -> list[Any]:
        return await asyncio.gather(*(collect(trigger(cid, "wolkvox_default")) for cid in ids))

    results = asyncio.run(asyncio.wait_for(main(), timeout=30))

    assert [[event["status"] for event in events] for events in results] == [["success"]] * 10
    reads = log.reads(TEST_TOKEN)
    assert len(reads) == 2  # the failed read and one retry shared by all ten
    assert reads[1] - reads[0] < INTERVAL  # the retry, not the next interval's read
