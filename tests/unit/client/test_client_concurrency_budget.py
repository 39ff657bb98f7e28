"""The per-token concurrency 403 has an HTTP retry budget of its own (retry_concurrency_attempts).

The server refuses that call before doing anything, so it is safe to send again, creates included,
and it clears as soon as another request on the token finishes.
"""

from __future__ import annotations

from typing import Any

import pytest
from wolkvox_client_data import CREATE_URL, CREATED_OK, TOKEN_INFO_OK, TOKEN_INFO_URL, predictive_spec

from airflow_provider_wolkvox.client import (
    RetrySettings,
    WolkvoxConcurrencyLimitError,
    WolkvoxServerError,
)

CONCURRENCY = "EXCEEDS THE LIMIT OF SIMULTANEOUS REQUESTS PER TOKEN (2)"


def answer(status: int, msg: str = "x") -> dict[str, Any]:
    return {"status_code": status, "json": {"code": status, "error": "ERR", "msg": msg}}


REFUSED = answer(403, CONCURRENCY)
OK = {"json": TOKEN_INFO_OK}


def test_the_default_budget_is_ten_tries_apart_from_the_other_five():
    assert (RetrySettings().attempts, RetrySettings().concurrency_limit) == (5, 10)


def test_the_default_budget_is_never_smaller_than_retry_attempts():
    assert RetrySettings(attempts=12).concurrency_limit == 12
    assert RetrySettings(attempts=12, concurrency_attempts=3).concurrency_limit == 3  # set: it wins


def test_refusals_use_retry_attempts_when_it_is_higher(make_client, requests_mock, sleeps):
    requests_mock.get(TOKEN_INFO_URL, [REFUSED] * 12 + [OK])
    client = make_client(attempts=12)

    with pytest.raises(WolkvoxConcurrencyLimitError):
        client.token_info()
    assert requests_mock.call_count == 12


def test_refusals_beyond_retry_attempts_are_still_retried(make_client, requests_mock, sleeps):
    requests_mock.get(TOKEN_INFO_URL, [REFUSED] * 7 + [OK])
    client = make_client(attempts=2)

    assert client.token_info().available == 988
    assert requests_mock.call_count == 8
    assert len(sleeps) == 7


def test_refusals_stop_at_their_own_budget(make_client, requests_mock, sleeps):
    requests_mock.get(TOKEN_INFO_URL, [REFUSED] * 5 + [OK])
    client = make_client(retry=RetrySettings(attempts=5, concurrency_attempts=3))

    with pytest.raises(WolkvoxConcurrencyLimitError):
        client.token_info()
    assert requests_mock.call_count == 3


def test_one_concurrency_attempt_disables_their_retries(make_client, requests_mock, sleeps):
    requests_mock.get(TOKEN_INFO_URL, [REFUSED, OK])
    client = make_client(retry=RetrySettings(attempts=5, concurrency_attempts=1))

    with pytest.raises(WolkvoxConcurrencyLimitError):
        client.token_info()
    assert requests_mock.call_count == 1
    assert sleeps == []


def test_refusals_do_not_use_up_retry_attempts(make_client, requests_mock, sleeps):
    # attempts=2: two 503s end the call, however many refusals came in between.
    requests_mock.get(TOKEN_INFO_URL, [answer(503), REFUSED, REFUSED, REFUSED, answer(503), OK])
    client = make_client(retry=RetrySettings(attempts=2, concurrency_attempts=10))

    with pytest.raises(WolkvoxServerError):
        client.token_info()
    assert requests_mock.call_count == 5


def test_a_create_refused_many_times_is_sent_again_and_created_once(make_client, requests_mock, sleeps):
    requests_mock.post(CREATE_URL, [REFUSED] * 6 + [{"status_code": 201, "json": CREATED_OK}])
    client = make_client(attempts=1)  # no retries of anything else

    assert client.create_campaign(predictive_spec()).campaign_id == "777"
    assert requests_mock.call_count == 7


def test_the_refusal_waits_back_off_and_stay_within_the_delays(make_client, requests_mock, sleeps):
    requests_mock.get(TOKEN_INFO_URL, [REFUSED] * 4 + [OK])
    client = make_client(retry=RetrySettings(attempts=1, min_delay=1.0, max_delay=4.0))

    client.token_info()
    assert len(sleeps) == 4
    assert all(1.0 <= delay <= 4.0 for delay in sleeps)
    assert sleeps[3] >= 2.0  # the 4th wait's ceiling is 4 s, jittered down to at most half


def test_the_retry_warning_names_the_refusal_budget(make_client, requests_mock, caplog):
    requests_mock.get(TOKEN_INFO_URL, [REFUSED, OK])
    make_client(retry=RetrySettings(attempts=2, concurrency_attempts=6)).token_info()
    assert "token_info attempt 1 of 6 failed" in caplog.text


@pytest.mark.parametrize("value", [0, -1])
def test_a_budget_below_one_is_refused(value):
    with pytest.raises(ValueError, match="retry_concurrency_attempts"):
        RetrySettings(concurrency_attempts=value)
