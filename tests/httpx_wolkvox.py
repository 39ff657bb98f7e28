"""A scripted Wolkvox answering httpx requests in memory (httpx.MockTransport), for unit tests.

Answers are given like requests_mock's list: each request takes the next one and the last one
repeats. An answer is a dict of ``httpx.Response`` arguments (``status_code``, ``json``,
``content``, ``headers``), an exception to raise, or a callable taking the request (sync or
async) and returning either.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import time
from typing import Any

import httpx

from airflow_provider_wolkvox.client.aio import AsyncWolkvoxClient


def campaign_row(campaign_id: str = "1234", status: str = "Stopped", records: str = "5") -> dict[str, Any]:
    return {
        "campaign_id": campaign_id,
        "campaign_name": f"C{campaign_id}",
        "type_campaign": "preview",
        "status": status,
        "records": records,
    }


def listing(*rows: dict[str, Any]) -> dict[str, Any]:
    """A 200 campaign-list answer holding ``rows``."""
    return {
        "status_code": 200,
        "json": {"code": 200, "error": None, "msg": str(len(rows)), "data": list(rows)},
    }


class ScriptedWolkvox:
    """The handler of an httpx.MockTransport; ``requests`` holds every request it saw, with its time."""

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []
        self.times: list[float] = []

    @property
    def call_count(self) -> int:
        return len(self.requests)

    def script(self, *answers: Any) -> None:
        self.answers = list(answers)

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.times.append(time.monotonic())
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if callable(answer):
            answer = answer(request)
            if inspect.isawaitable(answer):
                answer = await answer
        if isinstance(answer, BaseException):
            raise answer
        await asyncio.sleep(0)
        return httpx.Response(**answer)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    def client_factory(self) -> Any:
        """What ``PollerRegistry`` / ``campaign_poller.AsyncWolkvoxClient`` should build: clients on this."""
        return functools.partial(AsyncWolkvoxClient, transport=self.transport())
