"""WolkvoxHook.aget_client: the triggerer's path makes no synchronous supervisor call on the event loop.

In a task or the triggerer, Airflow 3 registers every secret it reads with its supervisor. The
synchronous call (``SUPERVISOR_COMMS.send``) made from the event loop's thread, while an
``asend`` is in flight, raises ``DeadlockImminentError``: ``extra_dejson`` makes that call on
every Airflow 3, and ``BaseHook.aget_connection`` does too before 3.3.2. The fake supervisor below
refuses any synchronous call from a thread that runs an event loop, which is the condition under
which the real one can deadlock.
"""

from __future__ import annotations

import asyncio
import importlib
from typing import Any

import pytest

from airflow_provider_wolkvox.hooks.wolkvox import WolkvoxHook


class SyncCallOnEventLoop(BaseException):
    """A BaseException, like DeadlockImminentError, so Airflow's ``suppress(Exception)`` lets it out."""


class FakeSupervisorComms:
    def __init__(self) -> None:
        self.masked: list[Any] = []

    def send(self, msg: Any) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # a worker thread: blocking here is safe
            self.masked.append(getattr(msg, "value", msg))
            return None
        raise SyncCallOnEventLoop(f"synchronous {type(msg).__name__} on the event loop thread")

    async def asend(self, msg: Any) -> None:
        self.masked.append(getattr(msg, "value", msg))
        return None


@pytest.fixture
def supervisor(monkeypatch: pytest.MonkeyPatch) -> FakeSupervisorComms:
    try:
        task_runner = importlib.import_module("airflow.sdk.execution_time.task_runner")
    except ImportError:
        pytest.skip("Airflow 2 has no task supervisor: reading a connection cannot deadlock there")
    comms = FakeSupervisorComms()
    monkeypatch.setattr(task_runner, "SUPERVISOR_COMMS", comms, raising=False)
    return comms


def test_aget_client_makes_no_synchronous_supervisor_call_on_the_event_loop(set_connection, supervisor):
    conn = set_connection(host="0042", extra={"timeout": 30, "retry_attempts": 2, "server_id": "0042"})

    async def build():
        # A second coroutine keeps the loop busy while the hook reads, as in a triggerer.
        ticker = asyncio.create_task(asyncio.sleep(0.05))
        client = await WolkvoxHook().aget_client()
        await ticker
        return client

    client = asyncio.run(build())
    assert client.base_url == "https://wv0042.wolkvox.com"
    assert client.timeout == 30 and client.retry.attempts == 2
    # The token and the extra were still registered for masking, only not synchronously on the loop.
    assert conn["password"] in supervisor.masked
    assert any(isinstance(value, dict) and value.get("timeout") == 30 for value in supervisor.masked)


def test_aget_client_reads_once_and_get_conn_reuses_it(set_connection, supervisor):
    set_connection(host="0042")
    hook = WolkvoxHook()
    client = asyncio.run(hook.aget_client())
    assert hook.get_conn() is client
    assert asyncio.run(hook.aget_client()) is client


def test_aget_client_settings_reads_the_connection_safely_and_builds_no_blocking_client(
    set_connection, supervisor
):
    conn = set_connection(host="0042", extra={"timeout": 30, "retry_attempts": 2})
    hook = WolkvoxHook()

    settings = asyncio.run(hook.aget_client_settings())

    assert (settings.base_url, settings.server_header) == ("https://wv0042.wolkvox.com", "0042")
    assert settings.timeout == 30 and settings.retry.attempts == 2
    assert settings.token == conn["password"]
    assert conn["password"] not in repr(settings)
    assert "client" not in hook.__dict__  # no requests session was opened for the triggerer
    assert conn["password"] in supervisor.masked
