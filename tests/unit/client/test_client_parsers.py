"""One parser per kind of value (client/models.py), shared by the client, the hook and the operators.

Each kind (booleans, whole numbers, seconds, ids, choices) is parsed in one place; every caller
accepts the same spellings and refuses the rest with a WolkvoxValidationError naming the field,
never a bare ValueError or TypeError.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from airflow_provider_wolkvox.client import Campaign, TokenInfo, WolkvoxValidationError
from airflow_provider_wolkvox.client.models import (
    parse_bool,
    parse_choice,
    parse_id,
    parse_int,
    parse_max_records,
    parse_number,
    parse_speed,
    parse_target_status,
)
from airflow_provider_wolkvox.hooks.wolkvox import WolkvoxHook

TRUE_SPELLINGS = [True, "true", "True", "TRUE", "yes", "Yes", "YES", "1", 1]
FALSE_SPELLINGS = [False, "false", "False", "FALSE", "no", "No", "NO", "0", 0]
NOT_BOOLEANS = ["maybe", "", " true", "true ", "y", "on", 2, -1, 1.0, None, [], "\uff54rue"]
#: Digits that str.isdigit() (and for some, int() or float()) accept, but that are not 0-9.
NON_ASCII_DIGITS = ["\u00b2", "\u0661\u0662", "\uff11\uff12", "\u09e7", "1\u00b2"]


@pytest.mark.parametrize("value", TRUE_SPELLINGS)
def test_parse_bool_accepts_every_spelling_of_true(value: Any) -> None:
    assert parse_bool(value, "flag") is True


@pytest.mark.parametrize("value", FALSE_SPELLINGS)
def test_parse_bool_accepts_every_spelling_of_false(value: Any) -> None:
    assert parse_bool(value, "flag") is False


@pytest.mark.parametrize("value", NOT_BOOLEANS)
def test_parse_bool_refuses_anything_else_naming_the_field(value: Any) -> None:
    with pytest.raises(WolkvoxValidationError) as caught:
        parse_bool(value, "flag")
    assert caught.value.field == "flag"
    assert "use true or false" in str(caught.value)


@pytest.mark.parametrize(
    ("value", "expected"), [*[(v, True) for v in TRUE_SPELLINGS], *[(v, False) for v in FALSE_SPELLINGS]]
)
def test_the_hook_reads_a_connection_flag_with_the_same_parser(set_connection, value, expected) -> None:
    # allow_insecure_http decides whether plain http to a remote host is allowed.
    set_connection(host="http://wolkvox.example.test:8765", extra={"allow_insecure_http": value})
    hook = WolkvoxHook()
    if expected:
        assert hook.get_conn().base_url.startswith("http://wolkvox.example.test")
    else:
        with pytest.raises(WolkvoxValidationError, match="token unencrypted"):
            hook.get_conn()


@pytest.mark.parametrize("value", ["maybe", 2, " true"])
def test_the_hook_refuses_a_bad_connection_flag_naming_it(set_connection, value) -> None:
    set_connection(extra={"allow_insecure_http": value})
    with pytest.raises(WolkvoxValidationError) as caught:
        WolkvoxHook().get_conn()
    assert caught.value.field == "allow_insecure_http"
    assert "use true or false" in str(caught.value)


@pytest.mark.parametrize(
    ("value", "expected"), [(0, 0), (7, 7), ("7", 7), ("007", 7), ("-3", -3), (10**30, 10**30)]
)
def test_parse_int_accepts_ints_and_ascii_digit_strings(value: Any, expected: int) -> None:
    assert parse_int(value, "n") == expected


@pytest.mark.parametrize(
    "value",
    [
        *NON_ASCII_DIGITS,
        "",
        " 7",
        "7 ",
        "7\n",
        "+7",
        "7.0",
        "1_000",
        "seven",
        True,
        False,
        None,
        7.0,
        7.5,
        math.nan,
        "9" * 5000,
    ],
)
def test_parse_int_refuses_everything_else_with_a_validation_error(value: Any) -> None:
    with pytest.raises(WolkvoxValidationError) as caught:
        parse_int(value, "n", accepted="give a whole number")
    assert caught.value.field == "n"
    assert "give a whole number" in str(caught.value)


def test_parse_int_checks_the_bounds() -> None:
    assert parse_int("5", "n", minimum=1, maximum=5) == 5
    for value in (0, "6"):
        with pytest.raises(WolkvoxValidationError, match=r"Invalid n: .* give a whole number from 1 to 5"):
            parse_int(value, "n", minimum=1, maximum=5)


@pytest.mark.parametrize(
    ("value", "expected"), [(75, 75.0), (0.5, 0.5), ("75", 75.0), ("0.25", 0.25), ("0", 0.0)]
)
def test_parse_number_accepts_numbers_and_ascii_decimal_strings(value: Any, expected: float) -> None:
    assert parse_number(value, "timeout") == expected


@pytest.mark.parametrize(
    "value",
    [*NON_ASCII_DIGITS, "soon", "", "1e3", "inf", "nan", math.inf, math.nan, "-1", -1, True, None, "1_000"],
)
def test_parse_number_refuses_everything_else_with_a_validation_error(value: Any) -> None:
    with pytest.raises(WolkvoxValidationError) as caught:
        parse_number(value, "timeout")
    assert caught.value.field == "timeout"


@pytest.mark.parametrize("value", NON_ASCII_DIGITS)
def test_every_numeric_field_refuses_non_ascii_digits_naming_the_field(value: str) -> None:
    checks = [
        (lambda: parse_id(value, "campaign_id"), "campaign_id"),
        (lambda: parse_speed(value), "speed"),
        (lambda: parse_max_records(value), "max_records"),
    ]
    for check, field in checks:
        with pytest.raises(WolkvoxValidationError) as caught:
            check()
        assert caught.value.field == field


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("retry_attempts", "\u00b2"),
        ("retry_attempts", "\u0663"),
        ("timeout", "\u0661\u0662"),
        ("timeout", "\u00b2"),
        ("retry_min_delay", "\uff11"),
    ],
)
def test_connection_extras_refuse_non_ascii_digits_naming_the_key(
    set_connection, key: str, value: str
) -> None:
    set_connection(extra={key: value})
    with pytest.raises(WolkvoxValidationError) as caught:
        WolkvoxHook().get_conn()
    assert caught.value.field == key


def test_connection_extras_given_as_text_are_read_as_numbers(set_connection) -> None:
    # URI-style connections carry every extra as text.
    set_connection(extra={"timeout": "90", "retry_attempts": "3", "retry_min_delay": "0.5"})
    client = WolkvoxHook().get_conn()
    assert client.timeout == 90.0
    assert (client.retry.attempts, client.retry.min_delay) == (3, 0.5)


def test_choices_are_matched_in_any_case_and_returned_in_their_canonical_spelling() -> None:
    assert parse_choice("REUSE", "if_exists", ("fail", "reuse", "create")) == "reuse"
    assert parse_target_status("started") == "Started"
    assert parse_target_status(None) is None
    with pytest.raises(
        WolkvoxValidationError,
        match="Invalid if_exists: 'skip' is not accepted; use 'fail', 'reuse' or 'create'",
    ):
        parse_choice("skip", "if_exists", ("fail", "reuse", "create"))
    with pytest.raises(WolkvoxValidationError, match="use 'Started' or 'Stopped'"):
        parse_target_status(" Started")


@pytest.mark.parametrize("value", NON_ASCII_DIGITS)
def test_server_counts_in_unusual_digits_are_read_as_unknown_not_a_crash(value: str) -> None:
    campaign = Campaign.from_row({"campaign_id": "1", "campaign_name": "x", "records": value})
    info = TokenInfo.from_row(
        {"token_limit": value, "token_use_today": "5", "available_consumption_options": value}
    )
    assert campaign.records is None
    assert (info.token_limit, info.token_use_today, info.available) == (None, 5, None)


@pytest.mark.parametrize("speed", ["-5", "101", "\u00b2", "9" * 5000, 50.5, True, "fast"])
def test_the_client_and_the_operator_refuse_a_speed_with_the_same_error(speed: Any) -> None:
    from airflow_provider_wolkvox.client import WolkvoxClient

    with pytest.raises(WolkvoxValidationError) as from_parser:
        parse_speed(speed)
    with pytest.raises(WolkvoxValidationError) as from_client:
        WolkvoxClient("0042", "tok-SECRET-0123456789").set_speed("predictive", 1, speed)
    assert str(from_client.value) == str(from_parser.value)


@pytest.mark.parametrize("result", ["Busy", "answered", "", 3])
def test_the_client_and_the_operator_refuse_a_record_result_with_the_same_error(result: Any) -> None:
    from airflow_provider_wolkvox.client import WolkvoxClient
    from airflow_provider_wolkvox.client.models import parse_record_result

    with pytest.raises(WolkvoxValidationError) as from_parser:
        parse_record_result(result)
    with pytest.raises(WolkvoxValidationError) as from_client:
        WolkvoxClient("0042", "tok-SECRET-0123456789").clear_campaign("predictive", 1, result=result)
    assert str(from_client.value) == str(from_parser.value)


@pytest.mark.parametrize("value", NON_ASCII_DIGITS)
def test_a_retry_after_header_in_unusual_digits_is_ignored_not_a_crash(value: str) -> None:
    from airflow_provider_wolkvox.client.errors import parse_retry_after

    assert parse_retry_after(value) is None
    assert parse_retry_after("3") == 3.0
