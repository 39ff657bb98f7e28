"""Which error class each failure answer becomes, what it carries, and that the token never leaks."""

from __future__ import annotations

from typing import Any

import pytest
from wolkvox_client_data import TOKEN, TOKEN_INFO_URL

from airflow_provider_wolkvox.client import (
    WolkvoxAuthError,
    WolkvoxBadRequestError,
    WolkvoxClient,
    WolkvoxConcurrencyLimitError,
    WolkvoxError,
    WolkvoxMaintenanceError,
    WolkvoxNotFoundError,
    WolkvoxQuotaExceededError,
    WolkvoxRateLimitError,
    WolkvoxServerError,
    WolkvoxValidationError,
)

# (id, HTTP status, body msg, expected class, permanent)
ERROR_ANSWERS = [
    ("400", 400, "SOME PARAMETERS ARE REQUIRED", WolkvoxBadRequestError, True),
    ("401", 401, "PLEASE ENTER THE WOLKVOX-TOKEN", WolkvoxAuthError, True),
    ("403-validate", 403, "PLEASE VALIDATE TOKEN", WolkvoxAuthError, True),
    ("403-quota", 403, "TOKEN LIMIT EXCEEDED", WolkvoxQuotaExceededError, True),
    (
        "403-concurrency",
        403,
        "EXCEEDS THE LIMIT OF SIMULTANEOUS REQUESTS PER TOKEN (2)",
        WolkvoxConcurrencyLimitError,
        False,
    ),
    ("403-other", 403, "API DISABLED FOR MAINTENANCE", WolkvoxMaintenanceError, False),
    ("404", 404, "CAMPAIGN NOT FOUND", WolkvoxNotFoundError, True),
    ("429", 429, "TOO MANY REQUESTS", WolkvoxRateLimitError, False),
    ("500", 500, "INTERNAL ERROR", WolkvoxServerError, False),
    ("502", 502, "BAD GATEWAY", WolkvoxServerError, False),
    ("503", 503, "SERVICE UNAVAILABLE", WolkvoxServerError, False),
]


def _fail(client: WolkvoxClient, requests_mock: Any, status: int, body: dict[str, Any] | str) -> WolkvoxError:
    if isinstance(body, str):
        requests_mock.get(TOKEN_INFO_URL, status_code=status, text=body)
    else:
        requests_mock.get(TOKEN_INFO_URL, status_code=status, json=body)
    with pytest.raises(WolkvoxError) as caught:
        client.token_info()
    return caught.value


@pytest.mark.parametrize(
    ("status", "msg", "error_class", "permanent"),
    [case[1:] for case in ERROR_ANSWERS],
    ids=[case[0] for case in ERROR_ANSWERS],
)
def test_error_answer_raises_the_matching_class_with_status_code_message_and_permanence(
    client: WolkvoxClient,
    requests_mock: Any,
    status: int,
    msg: str,
    error_class: type[WolkvoxError],
    permanent: bool,
) -> None:
    error = _fail(client, requests_mock, status, {"code": status, "error": "ERR", "msg": msg})

    assert type(error) is error_class
    assert error.status == status
    assert error.api_code == status
    assert error.api_message == msg
    assert error.permanent is permanent
    assert error.api == "token_info"


def test_error_message_names_the_api_the_status_and_the_server_text(
    client: WolkvoxClient, requests_mock: Any
) -> None:
    error = _fail(client, requests_mock, 403, {"code": 403, "msg": "TOKEN LIMIT EXCEEDED"})

    assert "token_info" in str(error)
    assert "403" in str(error)
    assert "TOKEN LIMIT EXCEEDED" in str(error)


def test_error_keeps_a_string_api_code_as_sent(client: WolkvoxClient, requests_mock: Any) -> None:
    error = _fail(client, requests_mock, 400, {"code": "400", "msg": "SOME PARAMETERS ARE REQUIRED"})

    assert error.api_code == "400"


def test_html_error_page_gives_status_and_a_short_excerpt(client: WolkvoxClient, requests_mock: Any) -> None:
    page = "<html><head><title>502 Bad Gateway</title></head><body>" + "x" * 5000 + "TAIL</body></html>"

    error = _fail(client, requests_mock, 502, page)

    assert isinstance(error, WolkvoxServerError)
    assert error.status == 502
    assert "502 Bad Gateway" in str(error)
    assert "TAIL" not in str(error)
    assert len(str(error)) < 400


def test_html_forbidden_page_is_treated_as_maintenance(client: WolkvoxClient, requests_mock: Any) -> None:
    error = _fail(client, requests_mock, 403, "<html><body>Forbidden</body></html>")

    assert type(error) is WolkvoxMaintenanceError
    assert error.status == 403


LEAK_CASES = [(case[0], case[1], {"code": case[1], "msg": case[2]}) for case in ERROR_ANSWERS] + [
    ("html-502", 502, "<html>Bad gateway</html>"),
    ("html-200", 200, "<html>hello</html>"),
]


@pytest.mark.parametrize(
    ("status", "body"),
    [case[1:] for case in LEAK_CASES],
    ids=[case[0] for case in LEAK_CASES],
)
def test_token_never_appears_in_an_error(
    client: WolkvoxClient, requests_mock: Any, status: int, body: Any
) -> None:
    error = _fail(client, requests_mock, status, body)

    assert TOKEN not in str(error)
    assert TOKEN not in repr(error)
    assert TOKEN not in repr(client)


def test_client_repr_shows_the_base_url_but_not_the_token(client: WolkvoxClient) -> None:
    assert "wv0042.wolkvox.com" in repr(client)
    assert TOKEN not in repr(client)


@pytest.mark.parametrize(
    "token",
    ["", None, "tok-SECRET 123456", "tok-SECRET-123456\n"],
    ids=["empty", "none", "space", "newline"],
)
def test_missing_or_malformed_token_is_refused_without_echoing_it(token: Any) -> None:
    with pytest.raises(WolkvoxValidationError) as caught:
        WolkvoxClient("0042", token)

    assert caught.value.field == "password"
    assert "SECRET" not in str(caught.value)
