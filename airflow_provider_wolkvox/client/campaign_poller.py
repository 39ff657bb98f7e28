"""One campaign-list read per connection per interval, shared by every waiter in an event loop.

Every read of ``information.php?api=campaigns`` returns all of an operation's campaigns and
costs one call of its daily quota, so waiters that use the same server and token (the same
``ClientSettings.key``) share one :class:`CampaignListPoller`; each takes its campaign's row.

The schedule, per connection:

* reads are at least the *cadence* apart: the shortest ``poll_interval`` of the waiters present;
* a waiter is due when it joins, then ``poll_interval`` after the read that served it;
* a read starts when the earliest waiting waiter is due and the cadence since the last read has
  passed; it serves every waiter that is due by the time its answer arrives (one that joins while
  it is in flight takes it too). A waiter is never served before it is due; one whose interval
  is longer than the cadence, or which joins between two reads, is served by the next read, at
  most one cadence after it was due. Its next turn is ``poll_interval`` after the start of the
  read that served it, so waiters with equal intervals stay on one schedule.

The read runs in the poller's own task, and waiters await it through ``asyncio.shield``: a
waiter that is cancelled (a trigger the triggerer stops) leaves the read going for the others.
A transient failure is retried once for everyone, then handed to every waiter it served (each
keeps waiting for its next read); a permanent one is handed to them all. A poller whose last
waiter has left stops and closes its httpx client; the time of its last read is remembered so
that a new poller on the same connection keeps the cadence.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import weakref
from collections.abc import Callable

from airflow_provider_wolkvox.client.aio import AsyncWolkvoxClient
from airflow_provider_wolkvox.client.errors import WolkvoxConnectionError, WolkvoxError
from airflow_provider_wolkvox.client.models import Campaign
from airflow_provider_wolkvox.client.retry import CallKind, backoff_seconds, is_retryable
from airflow_provider_wolkvox.client.settings import ClientSettings

log = logging.getLogger(__name__)

#: Last-read times older than this are forgotten (longer than any sensible poll interval).
FORGET_AFTER = 86_400.0
#: Waiters woken per step of the event loop when a read is handed out.
HAND_OUT_BATCH = 50

ClientFactory = Callable[[ClientSettings], AsyncWolkvoxClient]


class Subscription:
    """One waiter's place in its connection's shared polling (a trigger holds one while it runs)."""

    def __init__(self, registry: PollerRegistry, settings: ClientSettings, poll_interval: float) -> None:
        if not poll_interval > 0:
            raise ValueError("poll_interval must be > 0")
        self._registry = registry
        self.settings = settings
        self.poll_interval = float(poll_interval)
        self.due = 0.0  # loop time; set when it joins a poller
        self.future: asyncio.Future[list[Campaign]] | None = None
        self._poller: CampaignListPoller | None = None
        self.closed = False

    def __repr__(self) -> str:
        return f"Subscription(key={self.settings.key!r}, poll_interval={self.poll_interval})"

    async def next_list(self, timeout: float | None = None) -> list[Campaign] | None:
        """The campaign list of the next shared read this waiter is due for, or None after ``timeout`` s.

        Raises the read's WolkvoxError (or other failure) when it failed.
        """
        if self.closed:
            raise RuntimeError("this subscription is closed")
        poller = self._registry._poller_for(self)
        future = self.future
        if future is None or future.done():
            future = self.future = asyncio.get_running_loop().create_future()
        poller.wake()
        if timeout is not None and timeout <= 0:
            return None
        try:
            return await asyncio.wait_for(asyncio.shield(future), timeout)
        except asyncio.TimeoutError:  # TimeoutError is only an alias of it from Python 3.11
            # Nobody will read this future's outcome now: the poller must not serve it.
            future.cancel()
            return None

    def close(self) -> None:
        """Leave the shared polling; the poller stops when its last waiter has left."""
        if self.closed:
            return
        self.closed = True
        if self.future is not None and not self.future.done():
            self.future.cancel()
        if self._poller is not None:
            self._poller.remove(self)
            self._poller = None


class CampaignListPoller:
    """The shared campaign-list read of one connection (one ``ClientSettings.key``) in one event loop."""

    def __init__(
        self,
        registry: PollerRegistry,
        settings: ClientSettings,
        client: AsyncWolkvoxClient,
        last_read: float | None,
    ) -> None:
        self._registry = registry
        self.settings = settings
        self.key = settings.key
        self._client = client
        self._waiters: set[Subscription] = set()
        self._changed = asyncio.Event()
        self.last_read = last_read
        self.reads = 0
        self._rng = random.Random()
        self._task = asyncio.get_running_loop().create_task(self._run(), name=f"wolkvox-poller-{self.key}")

    def __repr__(self) -> str:
        return f"CampaignListPoller(key={self.key!r}, waiters={len(self._waiters)}, reads={self.reads})"

    @property
    def cadence(self) -> float:
        return min((w.poll_interval for w in self._waiters), default=0.0)

    def add(self, waiter: Subscription) -> None:
        self._waiters.add(waiter)
        self.wake()

    def remove(self, waiter: Subscription) -> None:
        self._waiters.discard(waiter)
        self.wake()

    def wake(self) -> None:
        self._changed.set()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._waiters:
                self._changed.clear()
                waiting = [w for w in self._waiters if w.future is not None and not w.future.done()]
                if not waiting:
                    await self._changed.wait()
                    continue
                cadence = self.cadence
                at = min(w.due for w in waiting)
                if self.last_read is not None:
                    at = max(at, self.last_read + cadence)
                delay = at - loop.time()
                if delay > 0:
                    with contextlib.suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(self._changed.wait(), delay)
                    continue
                started = self.last_read = loop.time()
                outcome = await self._read(cadence)
                ended = loop.time()
                for batch in self._batches():
                    self._hand_out(outcome, started, ended, batch)
                    # Hundreds of waiters woken at once would hold the loop for all their steps;
                    # let everything else in the loop run between batches.
                    await asyncio.sleep(0)
        except asyncio.CancelledError:
            self._hand_out(
                WolkvoxConnectionError("the shared campaign-list poller was stopped", request_sent=False),
                None,
                None,
            )
            raise
        except Exception as exc:  # a bug here must not leave waiters hanging
            log.exception("Wolkvox shared campaign-list poller %s failed", self.key)
            self._hand_out(exc, None, None)
        finally:
            self._registry._retire(self)
            await self._client.aclose()

    async def _read(self, cadence: float) -> list[Campaign] | BaseException:
        """One read, retried once for every waiter after a transient failure."""
        self.reads += 1
        try:
            return await self._client.list_campaigns()
        except WolkvoxError as exc:
            first = exc
        except Exception as exc:
            return exc
        if self.settings.retry.attempts < 2 or not is_retryable(first, CallKind.IDEMPOTENT):
            return first
        wait = min(backoff_seconds(1, first, self.settings.retry, self._rng), cadence)
        log.warning(
            "Wolkvox campaign list read for %d waiter(s) failed (%s); retrying once in %.1f s",
            len(self._waiters),
            first,
            wait,
        )
        await asyncio.sleep(wait)
        self.reads += 1
        try:
            return await self._client.list_campaigns()
        except Exception as exc:
            return exc

    def _batches(self) -> list[list[Subscription]]:
        waiters = list(self._waiters)
        return [waiters[i : i + HAND_OUT_BATCH] for i in range(0, len(waiters), HAND_OUT_BATCH)] or [[]]

    def _hand_out(
        self,
        outcome: list[Campaign] | BaseException,
        started: float | None,
        ended: float | None,
        waiters: list[Subscription] | None = None,
    ) -> None:
        """Give a read's outcome to every waiting waiter that was due by the time its answer came.

        A waiter that joined while the read was in flight takes it too, rather than costing a read
        of its own; the next turn of each is ``poll_interval`` after the read started, which keeps
        them all on one schedule. With ``ended`` None (the poller stops) every waiter gets it.
        """
        for waiter in list(self._waiters) if waiters is None else waiters:
            future = waiter.future
            if future is None or future.done() or (ended is not None and waiter.due > ended):
                continue
            if started is not None:
                waiter.due = started + waiter.poll_interval
            if isinstance(outcome, BaseException):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)


class PollerRegistry:
    """The shared pollers of one event loop, by connection key.

    :param client_factory: builds the httpx client of a new poller; ``AsyncWolkvoxClient`` when None.
    """

    def __init__(self, client_factory: ClientFactory | None = None) -> None:
        self.client_factory = client_factory
        self._pollers: dict[str, CampaignListPoller] = {}
        self._last_reads: dict[str, float] = {}

    def subscribe(self, settings: ClientSettings, poll_interval: float) -> Subscription:
        """A place in the shared polling of ``settings``' connection; close it when done."""
        return Subscription(self, settings, poll_interval)

    @property
    def pollers(self) -> dict[str, CampaignListPoller]:
        return dict(self._pollers)

    def _poller_for(self, waiter: Subscription) -> CampaignListPoller:
        poller = waiter._poller
        if poller is not None and self._pollers.get(poller.key) is poller:
            return poller
        key = waiter.settings.key
        poller = self._pollers.get(key)
        if poller is None:
            now = asyncio.get_running_loop().time()
            self._last_reads = {k: t for k, t in self._last_reads.items() if now - t < FORGET_AFTER}
            client = (self.client_factory or AsyncWolkvoxClient)(waiter.settings)
            poller = self._pollers[key] = CampaignListPoller(
                self, waiter.settings, client, self._last_reads.get(key)
            )
            log.info(
                "Wolkvox shared campaign-list poller started for connection %s (%s)", key, client.base_url
            )
        if waiter._poller is None:
            waiter.due = asyncio.get_running_loop().time()
        waiter._poller = poller
        poller.add(waiter)
        return poller

    def _retire(self, poller: CampaignListPoller) -> None:
        if self._pollers.get(poller.key) is poller:
            del self._pollers[poller.key]
        if poller.last_read is not None:
            self._last_reads[poller.key] = poller.last_read
        log.info(
            "Wolkvox shared campaign-list poller stopped for connection %s after %d read(s)",
            poller.key,
            poller.reads,
        )


_REGISTRIES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, PollerRegistry] = (
    weakref.WeakKeyDictionary()
)


def shared_registry() -> PollerRegistry:
    """The registry of the running event loop (the triggerer runs every trigger in one loop)."""
    loop = asyncio.get_running_loop()
    registry = _REGISTRIES.get(loop)
    if registry is None:
        registry = _REGISTRIES[loop] = PollerRegistry()
    return registry


__all__ = ["CampaignListPoller", "PollerRegistry", "Subscription", "shared_registry"]
