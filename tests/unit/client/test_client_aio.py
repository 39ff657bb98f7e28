"""AsyncWolkvoxClient (httpx): the campaign list read with the blocking client's contract."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
import pytest
from httpx_wolkvox import ScriptedWolkvox, campaign_row, listing
from test_client_errors import ERROR_ANSWERS
from wolkvox_client_data import CAMPAIGNS_URL, TOKEN

from airflow_provider_wolkvox.client import (
    RetrySettings,
    WolkvoxClient,
    WolkvoxConnectionError,
    WolkvoxError,
    WolkvoxInvalidResponseError,
    WolkvoxRedirectError,
    WolkvoxTimeoutError,
    WolkvoxValidationError,
)
from airflow_provider_wolkvox.client.aio import AsyncWolkvoxClient
from airflow_provider_wolkvox.client.settings import ClientSettings


def read(api: ScriptedWolkvox, **settings: Any) -> Any:
    async def go() -> Any:
        async with AsyncWolkvoxClient(
            ClientSettings("0042", TOKEN, **settings), transport=api.transport()
        ) as c:
            return await c.list_campaigns()

    return asyncio.run(go())


def failure(api: ScriptedWolkvox) -> WolkvoxError:
    with pytest.raises(WolkvoxError) as caught:
        read(api)
    return caught.value


def test_reads_every_campaign_from_the_list_url_with_the_token_only_in_its_header() -> None:
    api = ScriptedWolkvox(listing(campaign_row("1", "Started", "0"), campaign_row("2")))

    campaigns = read(api)

    assert [(c.campaign_id, c.status, c.records) for c in campaigns] == [
        ("1", "Started", 0),
        ("2", "Stopped", 5),
    ]
    [request] = api.requests
    assert str(request.url) == CAMPAIGNS_URL
    assert request.method == "GET"
    assert request.headers["wolkvox-token"] == TOKEN
    assert request.headers["wolkvox_server"] == "0042"
    assert TOKEN not in str(request.url)
    assert [name for name, value in request.headers.items() if TOKEN in value] == ["wolkvox-token"]


def test_a_single_object_or_null_data_reads_as_one_or_no_campaign() -> None:
    one = ScriptedWolkvox({"status_code": 200, "json": {"code": 200, "msg": "1", "data": campaign_row("9")}})
    none = ScriptedWolkvox({"status_code": 200, "json": {"code": 200, "msg": "0", "data": None}})
    assert [c.campaign_id for c in read(one)] == ["9"]
    assert read(none) == []


def sync_failure(requests_mock: Any, answer: dict[str, Any]) -> WolkvoxError:
    kwargs = {"status_code": answer["status_code"], "headers": answer.get("headers", {})}
    if "json" in answer:
        kwargs["json"] = answer["json"]
    else:
        kwargs["content"] = answer["content"]
    requests_mock.get(CAMPAIGNS_URL, **kwargs)
    with pytest.raises(WolkvoxError) as caught:
        WolkvoxClient("0042", TOKEN, retry=RetrySettings(attempts=1)).list_campaigns()
    return caught.value


ANSWERS = [
    pytest.param({"status_code": status, "json": {"code": status, "error": "E", "msg": msg}}, id=name)
    for name, status, msg, _cls, _permanent in ERROR_ANSWERS
] + [
    pytest.param(
        {"status_code": 200, "json": {"code": 403, "msg": "PLEASE VALIDATE TOKEN"}}, id="error-in-200"
    ),
    pytest.param({"status_code": 200, "content": b"<html>oops</html>"}, id="html-200"),
    pytest.param({"status_code": 502, "content": b"<html>Bad gateway</html>"}, id="html-502"),
    pytest.param(
        {"status_code": 503, "json": {"code": 503, "msg": "busy"}, "headers": {"Retry-After": "7"}},
        id="retry-after",
    ),
    pytest.param(
        {"status_code": 302, "headers": {"Location": "https://evil.example/x"}, "content": b""}, id="302"
    ),
]


@pytest.mark.parametrize("answer", ANSWERS)
def test_an_error_answer_raises_what_the_blocking_client_raises(
    requests_mock: Any, answer: dict[str, Any]
) -> None:
    expected = sync_failure(requests_mock, answer)

    error = failure(ScriptedWolkvox(answer))

    assert type(error) is type(expected)
    assert str(error) == str(expected)
    assert (error.status, error.api_code, error.permanent) == (
        expected.status,
        expected.api_code,
        expected.permanent,
    )
    assert getattr(error, "retry_after", None) == getattr(expected, "retry_after", None)
    assert TOKEN not in str(error)


def test_a_redirect_is_refused_and_nothing_is_sent_to_its_location() -> None:
    api = ScriptedWolkvox({"status_code": 301, "headers": {"Location": f"https://evil.example/?t={TOKEN}"}})

    error = failure(api)

    assert isinstance(error, WolkvoxRedirectError)
    assert error.permanent
    assert error.location_host == "evil.example"
    assert TOKEN not in str(error)
    assert [r.url.host for r in api.requests] == ["wv0042.wolkvox.com"]


def test_a_success_without_the_envelope_is_an_invalid_response() -> None:
    error = failure(ScriptedWolkvox({"status_code": 200, "json": [campaign_row()]}))
    assert isinstance(error, WolkvoxInvalidResponseError)
    assert not error.permanent


@pytest.mark.parametrize(
    ("raised", "error_class", "sent"),
    [
        pytest.param(httpx.ConnectError("refused"), WolkvoxConnectionError, False, id="connect-refused"),
        pytest.param(httpx.ConnectTimeout("slow"), WolkvoxTimeoutError, False, id="connect-timeout"),
        pytest.param(httpx.ReadTimeout("slow"), WolkvoxTimeoutError, True, id="read-timeout"),
        pytest.param(httpx.RemoteProtocolError("dropped"), WolkvoxConnectionError, True, id="dropped"),
    ],
)
def test_transport_failures_are_transient_and_say_whether_the_request_left(
    raised: Exception, error_class: type[WolkvoxError], sent: bool
) -> None:
    error = failure(ScriptedWolkvox(raised))

    assert type(error) is error_class
    assert error.request_sent is sent  # type: ignore[attr-defined]
    assert not error.permanent
    assert type(raised).__name__ in str(error)


def test_a_transport_message_quoting_the_token_does_not_reach_the_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    error = failure(ScriptedWolkvox(httpx.ReadError(f"peer said wolkvox-token: {TOKEN}")))

    assert TOKEN not in str(error)
    assert TOKEN not in caplog.text


def test_the_timeout_from_the_settings_reaches_httpx() -> None:
    seen = []

    def answer(request: httpx.Request) -> dict[str, Any]:
        seen.append(request.extensions["timeout"])
        return listing()

    read(ScriptedWolkvox(answer), timeout=12)
    assert seen == [{"connect": 12.0, "read": 12.0, "write": 12.0, "pool": 12.0}]


def test_repr_and_settings_repr_never_show_the_token() -> None:
    settings = ClientSettings("0042", TOKEN)
    client = AsyncWolkvoxClient(settings)
    assert "wv0042.wolkvox.com" in repr(client)
    assert TOKEN not in repr(client)
    assert TOKEN not in repr(settings)
    assert TOKEN not in settings.key
    asyncio.run(client.aclose())


def test_settings_key_tells_tokens_and_servers_apart() -> None:
    base = ClientSettings("0042", TOKEN)
    assert base.key == ClientSettings("wv0042.wolkvox.com", TOKEN, timeout=5).key
    assert base.key != ClientSettings("0042", TOKEN + "x").key
    assert base.key != ClientSettings("0043", TOKEN).key
    assert base.key != ClientSettings("http://127.0.0.1:1", TOKEN).key


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        pytest.param({"server": "0042.evil.com"}, "host", id="refused-host"),
        pytest.param({"token": "has space"}, "password", id="token-with-space"),
        pytest.param({"server_id": "00 42"}, "server_id", id="server-id"),
        pytest.param({"timeout": 0}, "timeout", id="timeout"),
    ],
)
def test_settings_are_checked_like_the_blocking_client(kwargs: dict[str, Any], field: str) -> None:
    args = {"server": "0042", "token": TOKEN, **kwargs}
    with pytest.raises(WolkvoxValidationError) as caught:
        ClientSettings(args.pop("server"), args.pop("token"), **args)
    assert caught.value.field == field
    assert TOKEN not in str(caught.value)
