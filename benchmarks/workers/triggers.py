"""Child for the ``triggers`` figures: many deferred waits in one event loop, as in a triggerer.

``triggers.py SPEC_JSON`` with ``url`` (the emulator), ``tokens`` (one connection each,
``AIRFLOW_CONN_WOLKVOX_BENCH<i>``, server id 0042, so every connection sees the same campaigns),
``campaign_ids`` (one per wait, all Stopped, so no wait ends), ``waits``, ``interval`` (the
triggers' ``poll_interval``), ``intervals`` (how many intervals the calls are counted over) and
``shared`` (False gives every trigger its own poller: what the threaded trigger cost before).

The waits start spread over one interval. After one more interval, the emulator's per-token call
counters are read half-way between two reads, then again ``intervals`` intervals later: calls per
interval. A ticker coroutine sleeping 5 ms measures how late the loop wakes it (the worst lag, over
the whole run and over the counted window), and how much of that lateness was the garbage
collector's passes (timed through ``gc.callbacks``). RSS is read after the imports and one warm-up read
(nothing waiting) and again with every wait in place.
"""

from __future__ import annotations

import asyncio
import gc
import http.client
import json
import os
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import emit

TICK = 0.005


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def calls_by_token(url: str) -> dict[str, int]:
    """The emulator's calls per token label: those served (``token_use_today``, what costs quota)
    and, under ``<label>:rejected``, those it refused for exceeding 2 in flight on the token."""
    port = urllib.parse.urlsplit(url).port
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", "/_emulator/state?records=false")
        state = json.loads(conn.getresponse().read())
    finally:
        conn.close()
    counts = dict(state["token_use_today"])
    for label, kinds in state.get("rejections", {}).items():
        counts[f"{label}:rejected"] = kinds.get("concurrency", 0)
    return counts


class GcMeter:
    """When the garbage collector's passes ran (they stop the event loop like any long callback)."""

    def __init__(self) -> None:
        self.started = 0.0
        self.running = False
        self.passes: list[tuple[float, float]] = []  # (start, end), time.monotonic()
        self.worst = 0.0
        self.window_worst = 0.0
        gc.callbacks.append(self.callback)

    def callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self.started = time.monotonic()
            self.running = True
        else:
            self.running = False
            end = time.monotonic()
            self.passes.append((self.started, end))
            self.worst = max(self.worst, end - self.started)
            self.window_worst = max(self.window_worst, end - self.started)

    def within(self, start: float, end: float) -> float:
        """Seconds of GC passes inside [start, end]; forgets the passes that ended before ``start``."""
        self.passes = [p for p in self.passes if p[1] >= start]
        # A pass run by another thread (one of asyncio.to_thread's) may still be going: its
        # finalizers can let this thread run before the pass ends.
        going = [(self.started, end)] if self.running else []
        return sum(max(0.0, min(e, end) - max(s, start)) for s, e in self.passes + going)


class LagMeter:
    """How late a 5 ms sleep wakes up: the event loop's responsiveness, with and without GC passes.

    Times are ``time.monotonic()`` (the event loop's clock) on both sides, and the GC passes are
    matched to each sleep by their own start and end (a pass in another thread may even end after
    the sleep it delayed).
    """

    def __init__(self, collector: GcMeter) -> None:
        self.collector = collector
        self.worst = self.window_worst = 0.0
        self.worst_outside_gc = self.window_worst_outside_gc = 0.0

    async def run(self) -> None:
        while True:
            before = time.monotonic()
            await asyncio.sleep(TICK)
            after = time.monotonic()
            late = after - before - TICK
            outside_gc = late - self.collector.within(before, after)
            self.worst = max(self.worst, late)
            self.window_worst = max(self.window_worst, late)
            self.worst_outside_gc = max(self.worst_outside_gc, outside_gc)
            self.window_worst_outside_gc = max(self.window_worst_outside_gc, outside_gc)


async def main(spec: dict[str, Any]) -> dict[str, Any]:
    from airflow_provider_wolkvox.client import campaign_poller
    from airflow_provider_wolkvox.client.aio import AsyncWolkvoxClient
    from airflow_provider_wolkvox.client.settings import ClientSettings
    from airflow_provider_wolkvox.emulator import token_label
    from airflow_provider_wolkvox.triggers.campaign import WolkvoxCampaignTrigger

    url, tokens, interval = spec["url"], spec["tokens"], float(spec["interval"])
    loop = asyncio.get_running_loop()
    if not spec["shared"]:
        # Every trigger its own poller: one read per trigger per interval, as before sharing.
        campaign_poller.shared_registry = campaign_poller.PollerRegistry  # type: ignore[assignment]

    # httpx imports its I/O stack on a process's first request; a triggerer pays that once.
    async with AsyncWolkvoxClient(ClientSettings(url, tokens[0], server_id="0042")) as client:
        await client.list_campaigns()
    rss_before = rss_mb()

    collector = GcMeter()
    lag = LagMeter(collector)
    ticker = asyncio.create_task(lag.run())
    ended: list[Any] = []

    async def wait(i: int, campaign_id: str) -> None:
        trigger = WolkvoxCampaignTrigger(
            campaign_id=campaign_id,
            target_status="Started",
            poll_interval=interval,
            wolkvox_conn_id=f"wolkvox_bench{i % len(tokens)}",
        )
        async for event in trigger.run():
            ended.append(event.payload)  # none should: every campaign stays Stopped

    started = time.perf_counter()
    tasks = []
    for i, campaign_id in enumerate(spec["campaign_ids"][: spec["waits"]]):
        tasks.append(asyncio.create_task(wait(i, campaign_id)))
        await asyncio.sleep(interval / spec["waits"])
    await asyncio.sleep(interval)
    # Count from half-way between two reads, so that the window holds whole intervals.
    last_reads = [p.last_read for p in campaign_poller.shared_registry().pollers.values() if p.last_read]
    if spec["shared"] and last_reads:
        phase = (loop.time() - min(last_reads)) % interval
        await asyncio.sleep((interval / 2 - phase) % interval)
    before = await asyncio.to_thread(calls_by_token, url)
    lag.window_worst = lag.window_worst_outside_gc = collector.window_worst = 0.0
    window_start = loop.time()
    await asyncio.sleep(spec["intervals"] * interval)
    after = await asyncio.to_thread(calls_by_token, url)
    window = (loop.time() - window_start) / interval
    rss_with_waits = rss_mb()
    if ended:
        raise RuntimeError(f"{len(ended)} waits ended during the benchmark, e.g. {ended[0]}")

    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.sleep(0.1)
    left = len(campaign_poller.shared_registry().pollers) if spec["shared"] else 0
    ticker.cancel()
    per_connection = [(after.get(token_label(t), 0) - before.get(token_label(t), 0)) / window for t in tokens]
    rejected = [
        (after.get(f"{token_label(t)}:rejected", 0) - before.get(f"{token_label(t)}:rejected", 0)) / window
        for t in tokens
    ]
    return {
        "rejected_per_interval": sum(rejected),
        "waits": spec["waits"],
        "connections": len(tokens),
        "shared": spec["shared"],
        "calls_per_interval": sum(per_connection),
        "calls_per_interval_by_connection": per_connection,
        "window_intervals": window,
        "worst_lag_ms": lag.worst * 1000,
        "window_worst_lag_ms": lag.window_worst * 1000,
        "worst_lag_outside_gc_ms": lag.worst_outside_gc * 1000,
        "window_worst_lag_outside_gc_ms": lag.window_worst_outside_gc * 1000,
        "worst_gc_pause_ms": collector.worst * 1000,
        "window_worst_gc_pause_ms": collector.window_worst * 1000,
        "rss_before_mb": rss_before,
        "rss_with_waits_mb": rss_with_waits,
        "rss_per_100_waits_mb": (rss_with_waits - rss_before) / spec["waits"] * 100,
        "pollers_left_after_cancel": left,
        "seconds": time.perf_counter() - started,
    }


if __name__ == "__main__":
    spec = json.loads(sys.argv[1])
    for i, token in enumerate(spec["tokens"]):
        os.environ[f"AIRFLOW_CONN_WOLKVOX_BENCH{i}"] = json.dumps(
            {"conn_type": "wolkvox", "host": spec["url"], "login": "0042", "password": token}
        )
    import airflow.sdk  # noqa: F401 - a triggerer has Airflow loaded before any trigger runs

    emit(asyncio.run(main(spec)))
