"""Over real HTTP: a server answering 302 to another origin never gets the token sent there.

Two servers on 127.0.0.1: the "server" the connection names answers every request with a redirect
to a "collector" on another port, which records what reaches it and answers like Wolkvox (so a
followed redirect would even look like success). Every path that talks to Wolkvox is tried: the
client, the hook, an operator's execute() and the deferrable sensor's trigger.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from failing import fails_at_once

from airflow_provider_wolkvox.client import CampaignSpec, WolkvoxClient, WolkvoxRedirectError
from airflow_provider_wolkvox.hooks.wolkvox import WolkvoxHook
from airflow_provider_wolkvox.operators.campaign import StartCampaignOperator
from airflow_provider_wolkvox.triggers.campaign import WolkvoxCampaignTrigger

pytestmark = pytest.mark.integration

TOKEN = "tok-SECRET-redirect-42"
ANSWER = {
    "code": 200,
    "error": None,
    "msg": "ok",
    "data": [{"id_campaign": "1", "campaign_id": "1234", "status": "Started", "records": "0"}],
}


class _Server:
    """A tiny HTTP server on 127.0.0.1 in a thread; ``seen`` holds (method, path, headers)."""

    def __init__(self, answer: Any) -> None:
        self.seen: list[tuple[str, str, dict[str, str]]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                outer.seen.append((self.command, self.path, {k.lower(): v for k, v in self.headers.items()}))
                status, headers, body = answer(self)
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def collector() -> Iterator[_Server]:
    server = _Server(lambda handler: (200, {"Content-Type": "application/json"}, json.dumps(ANSWER).encode()))
    yield server
    server.stop()


@pytest.fixture(params=[302, 307])
def redirector(request: pytest.FixtureRequest, collector: _Server) -> Iterator[_Server]:
    status = request.param
    server = _Server(lambda handler: (status, {"Location": collector.url + handler.path}, b""))
    server.status = status  # type: ignore[attr-defined]
    yield server
    server.stop()


@pytest.fixture
def connection(set_connection, redirector: _Server) -> None:
    set_connection(
        host=redirector.url,
        password=TOKEN,
        extra={"server_id": "0042", "retry_attempts": 3, "retry_min_delay": 0, "retry_max_delay": 0},
    )


def _assert_nothing_reached(collector: _Server, redirector: _Server, calls: int = 1) -> None:
    assert collector.seen == []  # neither the token nor anything else went to the other origin
    assert len(redirector.seen) == calls  # one request per call: not retried, not followed


def _assert_names_redirect(message: str, redirector: _Server) -> None:
    assert f"HTTP {redirector.status}" in message  # type: ignore[attr-defined]
    assert "127.0.0.1" in message
    assert TOKEN not in message


def test_client_read_and_create(redirector, collector):
    client = WolkvoxClient(redirector.url, TOKEN, server_id="0042")
    with pytest.raises(WolkvoxRedirectError) as read:
        client.token_info()
    with pytest.raises(WolkvoxRedirectError) as create:
        client.create_campaign(CampaignSpec.build(type_campaign="preview", campaign_name="X", skill_id=1))
    client.close()
    _assert_nothing_reached(collector, redirector, calls=2)
    assert [method for method, _, _ in redirector.seen] == ["GET", "POST"]
    _assert_names_redirect(str(read.value), redirector)
    _assert_names_redirect(str(create.value), redirector)


def test_hook(connection, redirector, collector):
    hook = WolkvoxHook()
    ok, message = hook.test_connection()
    assert ok is False
    _assert_names_redirect(message, redirector)
    _assert_nothing_reached(collector, redirector)


def test_operator_execute(connection, redirector, collector):
    operator = StartCampaignOperator(task_id="start", campaign_id=1234, type_campaign="preview")
    with fails_at_once() as caught:  # permanent: no task retry either
        operator.execute({})
    _assert_names_redirect(str(caught.value), redirector)
    _assert_nothing_reached(collector, redirector)


def test_trigger_run(connection, redirector, collector):
    trigger = WolkvoxCampaignTrigger(campaign_id="1234", target_status="Started", poll_interval=0.01)

    async def first_event() -> dict[str, Any]:
        async for event in trigger.run():
            return event.payload
        raise AssertionError("the trigger yielded nothing")

    event = asyncio.run(asyncio.wait_for(first_event(), timeout=30))
    assert (event["status"], event["permanent"]) == ("error", True)
    _assert_names_redirect(event["message"], redirector)
    _assert_nothing_reached(collector, redirector)
