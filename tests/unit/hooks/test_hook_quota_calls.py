"""WolkvoxHook.quota(), WolkvoxHook.api_calls and the retry_concurrency_attempts extra."""

from __future__ import annotations

import pytest

from airflow_provider_wolkvox.client import WolkvoxValidationError
from airflow_provider_wolkvox.client.quota import Quota
from airflow_provider_wolkvox.hooks.wolkvox import WolkvoxHook

URL = "https://wv0042.wolkvox.com/api/v2/information.php?api=token_info"
SECRET = "tok-SECRET-0123456789"


def token_info(**row):
    return {"code": 200, "error": None, "msg": "1 records were found", "data": [row]}


def test_quota_reads_the_four_counts(set_connection, requests_mock, capsys, caplog):
    set_connection()
    requests_mock.get(
        URL,
        json=token_info(
            description="airflow",
            token_limit="5000",
            token_use_today="1200",
            all_token_today="3100",
            available_consumption_options="3800",
        ),
    )
    quota = WolkvoxHook().quota()
    assert quota == Quota(limit=5000, used=1200, remaining=3800, operation_used=3100)
    assert quota.fraction_used == pytest.approx(0.24)
    assert quota.as_dict() == {"limit": 5000, "used": 1200, "remaining": 3800, "operation_used": 3100}
    logged = capsys.readouterr().out + caplog.text
    assert "1200 of 5000 calls used today, 3800 left (all tokens: 3100)" in logged
    assert SECRET not in logged
    assert requests_mock.call_count == 1


def test_quota_computes_what_is_left_when_wolkvox_omits_it(set_connection, requests_mock):
    set_connection()
    requests_mock.get(URL, json=token_info(token_limit=1000, token_use_today="999"))
    assert WolkvoxHook().quota() == Quota(limit=1000, used=999, remaining=1, operation_used=None)


def test_quota_gives_none_for_what_it_cannot_read(set_connection, requests_mock):
    set_connection()
    requests_mock.get(URL, json=token_info(token_limit="lots", token_use_today=None))
    quota = WolkvoxHook().quota()
    assert quota == Quota(limit=None, used=None, remaining=None, operation_used=None)
    assert quota.fraction_used is None


def test_api_calls_count_every_request_of_every_client_the_hook_built(set_connection, requests_mock):
    set_connection(extra={"retry_attempts": 2, "retry_min_delay": 0, "retry_max_delay": 0})
    requests_mock.get(
        URL,
        [
            {"status_code": 503, "json": {"code": 503, "msg": "busy"}},
            {"json": token_info(token_limit="10")},
            {"json": token_info(token_limit="10")},
        ],
    )
    hook = WolkvoxHook()
    assert hook.api_calls == 0
    hook.quota()  # a 503, then the answer
    hook.close()
    hook.quota()  # a new client
    assert hook.api_calls == requests_mock.call_count == 3
    hook.close()
    assert hook.api_calls == 3


def test_the_concurrency_budget_comes_from_the_connection_extra(set_connection):
    set_connection(extra={"retry_concurrency_attempts": "4", "retry_attempts": 1})
    retry = WolkvoxHook().get_conn().retry
    assert (retry.attempts, retry.concurrency_attempts) == (1, 4)


def test_the_concurrency_budget_defaults_to_ten_or_retry_attempts(set_connection):
    set_connection()
    assert WolkvoxHook().get_conn().retry.concurrency_limit == 10
    set_connection(extra={"retry_attempts": 12})
    assert WolkvoxHook().get_conn().retry.concurrency_limit == 12


@pytest.mark.parametrize("value", [0, 51, "many", 2.5])
def test_a_bad_concurrency_budget_names_the_extra(set_connection, value):
    set_connection(extra={"retry_concurrency_attempts": value})
    with pytest.raises(WolkvoxValidationError, match="retry_concurrency_attempts"):
        WolkvoxHook().get_conn()
