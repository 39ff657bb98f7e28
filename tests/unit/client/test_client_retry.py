"""Retry policy: what is sent again, what is not, how long the client waits, what it logs."""

from __future__ import annotations

import email.utils
import http.client
import logging
import time
from typing import Any

import pytest
import requests
from urllib3.exceptions import (
    ConnectTimeoutError,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)
from wolkvox_client_data import (
    CAMPAIGN_URL,
    CREATE_URL,
    CREATED_OK,
    TOKEN,
    TOKEN_INFO_OK,
    TOKEN_INFO_URL,
    predictive_spec,
)

from airflow_provider_wolkvox.client import (
    RetrySettings,
    WolkvoxAmbiguousResultError,
    WolkvoxAuthError,
    WolkvoxBadRequestError,
    WolkvoxConnectionError,
    WolkvoxError,
    WolkvoxNotFoundError,
    WolkvoxQuotaExceededError,
    WolkvoxServerError,
    WolkvoxTimeoutError,
)

PATH = "/api/v2/campaign.php?api=create_campaign&type_campaign=predictive"
CONCURRENCY = "EXCEEDS THE LIMIT OF SIMULTANEOUS REQUESTS PER TOKEN (2)"


def connection_refused() -> requests.exceptions.ConnectionError:
    """What requests raises when nothing listens: the request never left the machine."""
    reason = NewConnectionError(None, "Failed to establish a new connection: [Errno 111] Connection refused")
    return requests.exceptions.ConnectionError(MaxRetryError(None, PATH, reason))


def connect_timeout() -> requests.exceptions.ConnectTimeout:
    reason = ConnectTimeoutError(None, "Connection to wv0042.wolkvox.com timed out. (connect timeout=75.0)")
    return requests.exceptions.ConnectTimeout(MaxRetryError(None, PATH, reason))


def connection_dropped() -> requests.exceptions.ConnectionError:
    """What requests raises when the server hangs up after receiving the request."""
    cause = http.client.RemoteDisconnected("Remote end closed connection without response")
    return requests.exceptions.ConnectionError(ProtocolError("Connection aborted.", cause))


def read_timeout() -> requests.exceptions.ReadTimeout:
    return requests.exceptions.ReadTimeout(
        ReadTimeoutError(None, PATH, "Read timed out. (read timeout=75.0)")
    )


def answer(status: int, msg: str = "x", **extra: Any) -> dict[str, Any]:
    return {"status_code": status, "json": {"code": status, "error": "ERR", "msg": msg}, **extra}


TRANSIENT_FOR_READS = {
    "connection-refused": {"exc": connection_refused()},
    "connection-dropped": {"exc": connection_dropped()},
    "connect-timeout": {"exc": connect_timeout()},
    "read-timeout": {"exc": read_timeout()},
    "500": answer(500),
    "502": answer(502),
    "503": answer(503),
    "504": answer(504),
    "429": answer(429),
    "403-concurrency": answer(403, CONCURRENCY),
    "403-maintenance": answer(403, "API DISABLED FOR MAINTENANCE"),
}


@pytest.mark.parametrize("failure", TRANSIENT_FOR_READS.values(), ids=TRANSIENT_FOR_READS.keys())
def test_read_succeeds_when_a_transient_failure_is_followed_by_success(
    make_client: Any, requests_mock: Any, sleeps: list[float], failure: dict[str, Any]
) -> None:
    requests_mock.get(TOKEN_INFO_URL, [failure, {"json": TOKEN_INFO_OK}])
    client = make_client(attempts=3)

    info = client.token_info()

    assert info.available == 988
    assert requests_mock.call_count == 2
    assert len(sleeps) == 1


def test_read_gives_up_after_the_configured_attempts_and_raises_the_last_error(
    make_client: Any, requests_mock: Any, sleeps: list[float]
) -> None:
    requests_mock.get(TOKEN_INFO_URL, [answer(503), answer(502), answer(500), {"json": TOKEN_INFO_OK}])
    client = make_client(attempts=3)

    with pytest.raises(WolkvoxServerError) as caught:
        client.token_info()

    assert caught.value.status == 500
    assert requests_mock.call_count == 3
    assert len(sleeps) == 2


def test_read_transport_failure_after_the_last_attempt_is_a_wolkvox_connection_error(
    make_client: Any, requests_mock: Any
) -> None:
    requests_mock.get(TOKEN_INFO_URL, exc=connection_refused())
    client = make_client(attempts=2)

    with pytest.raises(WolkvoxConnectionError, match="could not connect"):
        client.token_info()

    assert requests_mock.call_count == 2


def test_read_timeout_after_the_last_attempt_is_a_wolkvox_timeout_error(
    make_client: Any, requests_mock: Any
) -> None:
    requests_mock.get(TOKEN_INFO_URL, exc=read_timeout())
    client = make_client(attempts=2)

    with pytest.raises(WolkvoxTimeoutError):
        client.token_info()


PERMANENT_FOR_READS = {
    "400": (answer(400, "SOME PARAMETERS ARE REQUIRED"), WolkvoxBadRequestError),
    "401": (answer(401, "PLEASE ENTER THE WOLKVOX-TOKEN"), WolkvoxAuthError),
    "403-validate": (answer(403, "PLEASE VALIDATE TOKEN"), WolkvoxAuthError),
    "403-quota": (answer(403, "TOKEN LIMIT EXCEEDED"), WolkvoxQuotaExceededError),
    "404": (answer(404, "NOT FOUND"), WolkvoxNotFoundError),
}


@pytest.mark.parametrize(
    ("failure", "error_class"), PERMANENT_FOR_READS.values(), ids=PERMANENT_FOR_READS.keys()
)
def test_read_is_not_retried_after_a_permanent_error(
    make_client: Any,
    requests_mock: Any,
    sleeps: list[float],
    failure: dict[str, Any],
    error_class: type[WolkvoxError],
) -> None:
    requests_mock.get(TOKEN_INFO_URL, [failure, {"json": TOKEN_INFO_OK}])
    client = make_client(attempts=5)

    with pytest.raises(error_class):
        client.token_info()

    assert requests_mock.call_count == 1
    assert sleeps == []


SAFE_TO_RESEND_CREATE = {
    "connection-refused": {"exc": connection_refused()},
    "connect-timeout": {"exc": connect_timeout()},
    "429": answer(429),
    "403-concurrency": answer(403, CONCURRENCY),
    "403-maintenance": answer(403, "API DISABLED FOR MAINTENANCE"),
    "503": answer(503),
}


@pytest.mark.parametrize("failure", SAFE_TO_RESEND_CREATE.values(), ids=SAFE_TO_RESEND_CREATE.keys())
def test_create_is_resent_when_the_server_provably_did_nothing(
    make_client: Any, requests_mock: Any, sleeps: list[float], failure: dict[str, Any]
) -> None:
    requests_mock.post(CREATE_URL, [failure, {"status_code": 201, "json": CREATED_OK}])
    client = make_client(attempts=3)

    campaign = client.create_campaign(predictive_spec())

    assert campaign.campaign_id == "777"
    assert requests_mock.call_count == 2
    assert len(sleeps) == 1


AMBIGUOUS_FOR_CREATE = {
    "read-timeout": {"exc": read_timeout()},
    "connection-dropped": {"exc": connection_dropped()},
    "500": answer(500),
    "502": answer(502),
    "504": answer(504),
}


@pytest.mark.parametrize("failure", AMBIGUOUS_FOR_CREATE.values(), ids=AMBIGUOUS_FOR_CREATE.keys())
def test_create_with_unknown_outcome_is_not_resent_and_says_the_campaign_may_exist(
    make_client: Any, requests_mock: Any, sleeps: list[float], failure: dict[str, Any]
) -> None:
    requests_mock.post(CREATE_URL, [failure, {"status_code": 201, "json": CREATED_OK}])
    client = make_client(attempts=5)

    with pytest.raises(WolkvoxAmbiguousResultError, match="campaign may have been created"):
        client.create_campaign(predictive_spec())

    assert requests_mock.call_count == 1
    assert sleeps == []


def test_add_records_after_a_read_timeout_is_not_resent_and_says_records_may_exist(
    make_client: Any, requests_mock: Any
) -> None:
    requests_mock.post(f"{CAMPAIGN_URL}?api=add_record", [{"exc": read_timeout()}, {"json": {"code": 201}}])
    client = make_client(attempts=5)

    with pytest.raises(WolkvoxAmbiguousResultError, match="records may have been created"):
        client.add_records("predictive", 777, [{"customer_id": "1", "tel1": "3001234567"}])

    assert requests_mock.call_count == 1


def test_stop_campaign_is_resent_after_a_gateway_timeout(make_client: Any, requests_mock: Any) -> None:
    requests_mock.put(f"{CAMPAIGN_URL}?api=stop", [answer(504), {"status_code": 202, "json": {"code": 202}}])
    client = make_client(attempts=3)

    client.stop_campaign("predictive", 777)

    assert requests_mock.call_count == 2


def test_retry_after_seconds_on_a_429_sets_the_wait(
    make_client: Any, requests_mock: Any, sleeps: list[float]
) -> None:
    requests_mock.get(TOKEN_INFO_URL, [answer(429, headers={"Retry-After": "7"}), {"json": TOKEN_INFO_OK}])
    client = make_client(attempts=3)

    client.token_info()

    assert sleeps == [7]


def test_huge_retry_after_is_capped_at_max_retry_after(
    make_client: Any, requests_mock: Any, sleeps: list[float]
) -> None:
    requests_mock.get(
        TOKEN_INFO_URL, [answer(429, headers={"Retry-After": "86400"}), {"json": TOKEN_INFO_OK}]
    )
    client = make_client(retry=RetrySettings(attempts=3, max_retry_after=30))

    client.token_info()

    assert sleeps == [30]


def test_retry_after_as_an_http_date_waits_until_that_date(
    make_client: Any, requests_mock: Any, sleeps: list[float]
) -> None:
    when = email.utils.formatdate(time.time() + 20, usegmt=True)
    requests_mock.get(TOKEN_INFO_URL, [answer(429, headers={"Retry-After": when}), {"json": TOKEN_INFO_OK}])
    client = make_client(attempts=3)

    client.token_info()

    assert len(sleeps) == 1
    assert 17 <= sleeps[0] <= 20.5


def test_retry_after_on_a_plain_text_429_sets_the_wait(
    make_client: Any, requests_mock: Any, sleeps: list[float]
) -> None:
    requests_mock.get(
        TOKEN_INFO_URL,
        [
            {"status_code": 429, "text": "Too Many Requests", "headers": {"Retry-After": "7"}},
            {"json": TOKEN_INFO_OK},
        ],
    )
    client = make_client(attempts=3)

    client.token_info()

    assert sleeps == [7]


def test_retry_after_on_a_503_sets_the_wait(
    make_client: Any, requests_mock: Any, sleeps: list[float]
) -> None:
    requests_mock.get(
        TOKEN_INFO_URL,
        [
            {"status_code": 503, "text": "Service Unavailable", "headers": {"Retry-After": "5"}},
            {"json": TOKEN_INFO_OK},
        ],
    )
    make_client(attempts=3).token_info()
    assert sleeps == [5]


def _delays_without_retry_after(make_client: Any, requests_mock: Any, sleeps: list[float]) -> list[float]:
    requests_mock.get(TOKEN_INFO_URL, **answer(503))
    client = make_client(retry=RetrySettings(attempts=6, min_delay=1, max_delay=4))
    with pytest.raises(WolkvoxServerError):
        client.token_info()
    assert len(sleeps) == 5
    return sleeps


def test_backoff_without_retry_after_grows_then_stops_at_max_delay(
    make_client: Any, requests_mock: Any, sleeps: list[float]
) -> None:
    delays = _delays_without_retry_after(make_client, requests_mock, sleeps)

    assert delays[0] <= delays[1] <= delays[2]
    assert min(delays[2:]) >= 2
    assert max(delays) <= 4


def test_backoff_without_retry_after_stays_within_min_and_max_delay(
    make_client: Any, requests_mock: Any, sleeps: list[float]
) -> None:
    delays = _delays_without_retry_after(make_client, requests_mock, sleeps)

    assert all(1 <= delay <= 4 for delay in delays), delays


def test_each_retry_logs_one_warning_naming_the_api_and_attempt(
    make_client: Any, requests_mock: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="airflow_provider_wolkvox")
    requests_mock.get(TOKEN_INFO_URL, [answer(503), answer(429), {"json": TOKEN_INFO_OK}])
    client = make_client(attempts=3)

    client.token_info()

    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert "token_info" in warnings[0]
    assert "attempt 1" in warnings[0]
    assert "attempt 2" in warnings[1]


def test_retry_logs_never_contain_the_token(
    make_client: Any, requests_mock: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    requests_mock.get(
        TOKEN_INFO_URL,
        [
            {"exc": connection_refused()},
            answer(403, CONCURRENCY),
            {"status_code": 502, "text": "<html>Bad gateway</html>"},
        ],
    )
    client = make_client(attempts=3)

    with pytest.raises(WolkvoxError) as caught:
        client.token_info()

    assert caplog.records
    assert TOKEN not in caplog.text
    assert TOKEN not in str(caught.value)
