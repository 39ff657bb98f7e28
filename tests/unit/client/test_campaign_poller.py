"""The shared campaign-list poller: one read per connection per interval, whoever comes and goes."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from wolkvox_client_data import TOKEN

from airflow_provider_wolkvox.client import (
    Campaign,
    RetrySettings,
    WolkvoxAuthError,
    WolkvoxServerError,
)
from airflow_provider_wolkvox.client.campaign_poller import PollerRegistry
from airflow_provider_wolkvox.client.settings import ClientSettings

LIST = [Campaign(campaign_id="1", campaign_name="C", status="Stopped")]
EPS = 1e-3  # float noise between two loop.time() readings


class FakeListClient:
    """Stands in for AsyncWolkvoxClient: answers from a script (the last answer repeats)."""

    def __init__(self, settings: ClientSettings, answers: list[Any], latency: float) -> None:
        self.settings = settings
        self.base_url = settings.base_url
        self.answers = answers
        self.latency = latency
        self.reads: list[float] = []
        self.closed = False

    async def list_campaigns(self) -> list[Campaign]:
        self.reads.append(asyncio.get_running_loop().time())
        await asyncio.sleep(self.latency)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, BaseException):
            raise answer
        return list(answer)

    async def aclose(self) -> None:
        self.closed = True


class Fakes:
    """A registry whose pollers read through FakeListClients; ``clients`` lists them in creation order."""

    def __init__(self, *answers: Any, latency: float = 0.0) -> None:
        self.answers = list(answers) or [LIST]
        self.latency = latency
        self.clients: list[FakeListClient] = []
        self.registry = PollerRegistry(client_factory=self._make)

    def _make(self, settings: ClientSettings) -> Any:
        client = FakeListClient(settings, self.answers, self.latency)
        self.clients.append(client)
        return client

    def reads(self, settings: ClientSettings | None = None) -> list[float]:
        return sorted(
            t for c in self.clients if settings is None or c.settings.key == settings.key for t in c.reads
        )


def settings(token: str = TOKEN, attempts: int = 1) -> ClientSettings:
    return ClientSettings("0042", token, retry=RetrySettings(attempts=attempts, min_delay=0, max_delay=0))


def run(main: Callable[[], Awaitable[Any]]) -> Any:
    return asyncio.run(asyncio.wait_for(main(), timeout=20))


async def waiter(
    fakes: Fakes, conn: ClientSettings, interval: float, rounds: int, start: float = 0.0
) -> list[tuple[float, Any]]:
    """Join after ``start`` s, take ``rounds`` shared reads; (loop time, list or error) for each."""
    await asyncio.sleep(start)
    loop = asyncio.get_running_loop()
    got: list[tuple[float, Any]] = []
    sub = fakes.registry.subscribe(conn, interval)
    try:
        for _ in range(rounds):
            try:
                outcome: Any = await sub.next_list()
            except Exception as exc:
                outcome = exc
            got.append((loop.time(), outcome))
    finally:
        sub.close()
    return got


def gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in itertools.pairwise(times)]


def test_waiters_joining_at_different_times_share_one_read_per_interval() -> None:
    fakes = Fakes()
    conn = settings()

    async def main() -> list[Any]:
        return await asyncio.gather(*(waiter(fakes, conn, 0.2, 4, start=i * 0.01) for i in range(20)))

    results = run(main)

    # Reads at 0, 0.2, 0.4, 0.6 serve the first waiter; those joining later take the next read
    # (not one of their own), so the last of them is done at 0.8: 5 reads instead of 80.
    assert len(fakes.reads()) == 5
    assert min(gaps(fakes.reads())) >= 0.2 - EPS
    assert all(len(got) == 4 and all(lists == LIST for _, lists in got) for got in results)


def test_a_waiter_is_never_served_early_and_at_most_one_cadence_late() -> None:
    fakes = Fakes()
    conn = settings()

    async def main() -> list[Any]:
        return await asyncio.gather(waiter(fakes, conn, 0.1, 10), waiter(fakes, conn, 0.25, 3))

    fast, slow = run(main)

    assert min(gaps(fakes.reads())) >= 0.1 - EPS  # the shortest interval present
    slow_gaps = gaps([t for t, _ in slow])
    assert all(0.25 - EPS <= gap <= 0.25 + 0.1 + 0.05 for gap in slow_gaps), slow_gaps
    assert len(fakes.reads()) == len(fast)  # every read served the fast waiter; the slow one added none


def test_cancelling_the_waiter_whose_turn_started_the_read_leaves_the_read_to_the_others() -> None:
    fakes = Fakes(latency=0.2)
    conn = settings()

    async def main() -> tuple[Any, list[Any]]:
        first = asyncio.create_task(waiter(fakes, conn, 1.0, 1))
        await asyncio.sleep(0.01)  # the first waiter's read is in flight
        others = [asyncio.create_task(waiter(fakes, conn, 1.0, 1)) for _ in range(3)]
        await asyncio.sleep(0.05)
        first.cancel()
        return await asyncio.gather(first, return_exceptions=True), await asyncio.gather(*others)

    [cancelled], others = run(main)

    assert isinstance(cancelled, asyncio.CancelledError)
    assert [got[0][1] for got in others] == [LIST, LIST, LIST]
    assert len(fakes.reads()) == 1


def test_a_permanent_error_reaches_every_waiter_of_the_connection() -> None:
    bad_token = WolkvoxAuthError("Wolkvox campaigns failed: HTTP 403 (forbidden), PLEASE VALIDATE TOKEN")
    fakes = Fakes(bad_token)
    conn = settings(attempts=5)

    async def main() -> list[Any]:
        return await asyncio.gather(*(waiter(fakes, conn, 0.1, 1) for _ in range(10)))

    results = run(main)

    assert [type(got[0][1]) for got in results] == [WolkvoxAuthError] * 10
    assert len(fakes.reads()) == 1  # a permanent error is not retried


def test_a_transient_error_is_retried_once_for_all_waiters() -> None:
    busy = WolkvoxServerError("Wolkvox campaigns failed: HTTP 503 (server error)", status=503)
    fakes = Fakes(busy, LIST)
    conn = settings(attempts=5)

    async def main() -> list[Any]:
        return await asyncio.gather(*(waiter(fakes, conn, 0.1, 1) for _ in range(10)))

    results = run(main)

    assert [got[0][1] for got in results] == [LIST] * 10
    assert len(fakes.reads()) == 2  # one failure, one shared retry: not one retry per waiter


def test_a_transient_error_that_persists_reaches_every_waiter_and_each_keeps_waiting() -> None:
    busy = WolkvoxServerError("Wolkvox campaigns failed: HTTP 503 (server error)", status=503)
    fakes = Fakes(busy, busy, LIST)
    conn = settings(attempts=5)

    async def main() -> list[Any]:
        return await asyncio.gather(*(waiter(fakes, conn, 0.1, 2) for _ in range(10)))

    results = run(main)

    assert all(type(got[0][1]) is WolkvoxServerError and got[1][1] == LIST for got in results)
    assert len(fakes.reads()) == 3  # failed, retried once, then the next interval's read


def test_retry_attempts_1_on_the_connection_turns_the_shared_retry_off() -> None:
    busy = WolkvoxServerError("Wolkvox campaigns failed: HTTP 503 (server error)", status=503)
    fakes = Fakes(busy, LIST)

    async def main() -> list[Any]:
        return await asyncio.gather(*(waiter(fakes, settings(attempts=1), 0.1, 1) for _ in range(3)))

    results = run(main)

    assert [type(got[0][1]) for got in results] == [WolkvoxServerError] * 3
    assert len(fakes.reads()) == 1


def test_each_connection_has_its_own_poller_which_stops_and_closes_with_its_last_waiter() -> None:
    fakes = Fakes()
    one, two = settings(), settings(token=TOKEN + "-other")

    async def main() -> Any:
        await asyncio.gather(
            *(waiter(fakes, one, 0.1, 3) for _ in range(5)), *(waiter(fakes, two, 0.1, 2) for _ in range(5))
        )
        await asyncio.sleep(0.05)  # let the pollers notice they have no waiters left
        return fakes.registry.pollers

    pollers = run(main)

    assert (len(fakes.reads(one)), len(fakes.reads(two))) == (3, 2)
    assert pollers == {}
    assert [c.closed for c in fakes.clients] == [True, True]


def test_a_new_poller_on_the_same_connection_keeps_the_cadence() -> None:
    fakes = Fakes()
    conn = settings()

    async def main() -> None:
        await waiter(fakes, conn, 0.3, 1)
        await asyncio.sleep(0.05)  # the poller stopped with its only waiter
        assert fakes.registry.pollers == {}
        await waiter(fakes, conn, 0.3, 1)

    run(main)

    assert len(fakes.clients) == 2
    assert gaps(fakes.reads()) >= [0.3 - EPS]


def test_a_waiter_whose_deadline_comes_before_the_next_read_gets_none_and_costs_no_call() -> None:
    fakes = Fakes()
    conn = settings()

    async def main() -> Any:
        sub = fakes.registry.subscribe(conn, 10.0)
        try:
            first = await sub.next_list(timeout=1)
            second = await sub.next_list(timeout=0.05)
        finally:
            sub.close()
        return first, second

    first, second = run(main)

    assert (first, second) == (LIST, None)
    assert len(fakes.reads()) == 1


def test_a_closed_subscription_cannot_wait() -> None:
    fakes = Fakes()

    async def main() -> None:
        sub = fakes.registry.subscribe(settings(), 1.0)
        sub.close()
        with pytest.raises(RuntimeError):
            await sub.next_list()

    run(main)
    assert fakes.clients == []


def test_hundreds_of_waiters_are_woken_in_batches_so_the_loop_keeps_running() -> None:
    fakes = Fakes()
    conn = settings()
    order: list[str] = []

    async def served(sub: Any) -> None:
        await sub.next_list()
        order.append("waiter")

    async def ticker() -> None:
        while True:
            order.append("tick")
            await asyncio.sleep(0)

    async def main() -> None:
        subs = [fakes.registry.subscribe(conn, 10.0) for _ in range(200)]
        tick = asyncio.create_task(ticker())
        await asyncio.gather(*(served(sub) for sub in subs))
        tick.cancel()
        for sub in subs:
            sub.close()

    run(main)

    woken = [i for i, what in enumerate(order) if what == "waiter"]
    assert len(woken) == 200
    between = order[woken[0] : woken[-1]].count("tick")
    assert between >= 3  # 200 waiters, at most 50 a step: the loop ran other work in between
