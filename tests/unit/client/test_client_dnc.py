"""The do-not-call methods: get_dnc, add_dnc, remove_dnc (wire format, counts, checks, retries)."""

from __future__ import annotations

import http.client
import logging
from collections.abc import Callable
from typing import Any

import pytest
import requests
from urllib3.exceptions import ProtocolError
from wolkvox_client_data import BASE, INFO_URL

from airflow_provider_wolkvox.client import (
    WolkvoxBadRequestError,
    WolkvoxClient,
    WolkvoxServerError,
    WolkvoxValidationError,
)
from airflow_provider_wolkvox.client.models import phone_number

GET_URL = f"{INFO_URL}?api=get_dnc"
ADD_URL = f"{BASE}/configuration.php?api=add_dnc"
REMOVE_URL = f"{BASE}/configuration.php?api=remove_dnc"
ADDED = {"code": 201, "error": None, "msg": "2 telephones were added"}
DELETED = {"code": 202, "error": None, "msg": "1 telephones were deleted"}


def dnc_rows(*numbers: Any, kind: str = "outbound") -> dict[str, Any]:
    rows = [{"phone_number": n, "type": kind, "date_delete": "2026-01-02 10:00:00"} for n in numbers]
    return {"code": "200", "error": None, "msg": f"{len(rows)} records were found", "data": rows}


# ------------------------------------------------------------------------------------ get_dnc


def test_get_dnc_asks_for_outbound_numbers_by_default_and_returns_them_as_text(
    client: WolkvoxClient, requests_mock: Any
) -> None:
    requests_mock.get(GET_URL, json=dnc_rows("573000000010", 93000000007, " 3001112233 "))

    assert client.get_dnc() == ["573000000010", "93000000007", "3001112233"]

    request = requests_mock.last_request
    assert request.method == "GET"
    assert request.url == f"{GET_URL}&type=outbound"
    assert request.body is None


@pytest.mark.parametrize(
    ("given", "sent"), [("INBOUND", "inbound"), ("all", "all"), ("Outbound", "outbound")]
)
def test_get_dnc_sends_the_direction_as_type(
    client: WolkvoxClient, requests_mock: Any, given: str, sent: str
) -> None:
    requests_mock.get(GET_URL, json=dnc_rows())
    assert client.get_dnc(given) == []
    assert requests_mock.last_request.qs["type"] == [sent]


@pytest.mark.parametrize("kind", ["inbound/outbound", "outboud", "", None, "both"])
def test_get_dnc_refuses_a_direction_it_does_not_list(
    client: WolkvoxClient, requests_mock: Any, kind: Any
) -> None:
    with pytest.raises(WolkvoxValidationError, match="Invalid type_call") as err:
        client.get_dnc(kind)
    assert err.value.field == "type_call"
    assert "'inbound', 'outbound' or 'all'" in str(err.value)
    assert requests_mock.call_count == 0


def test_get_dnc_lists_each_number_once_and_skips_rows_without_one(
    client: WolkvoxClient, requests_mock: Any
) -> None:
    answer = dnc_rows("3001112233", "3001112233", "", None, True, "3004445566")
    answer["data"].append({"type": "outbound"})
    answer["data"].append("not a row")
    requests_mock.get(GET_URL, json=answer)

    assert client.get_dnc("all") == ["3001112233", "3004445566"]


@pytest.mark.parametrize("data", [None, [], {}])
def test_get_dnc_of_an_empty_list_is_empty(client: WolkvoxClient, requests_mock: Any, data: Any) -> None:
    requests_mock.get(
        GET_URL, json={"code": "200", "error": None, "msg": "0 records were found", "data": data}
    )
    assert client.get_dnc() == []


def test_get_dnc_warns_when_the_answer_may_be_cut_at_60000_rows(
    client: WolkvoxClient, requests_mock: Any, caplog: pytest.LogCaptureFixture
) -> None:
    requests_mock.get(GET_URL, json=dnc_rows(*(f"300{i:07d}" for i in range(60_000))))
    with caplog.at_level(logging.WARNING, logger="airflow_provider_wolkvox.client.client"):
        numbers = client.get_dnc()
    assert len(numbers) == 60_000
    assert "60000 rows" in caplog.text and "may be longer" in caplog.text
    assert "3000000000" not in caplog.text  # counts only, never a number


def test_get_dnc_is_one_call(client: WolkvoxClient, requests_mock: Any) -> None:
    requests_mock.get(GET_URL, json=dnc_rows("3001112233"))
    client.get_dnc()
    assert requests_mock.call_count == 1


# ------------------------------------------------------------------------------------ add_dnc


def test_add_dnc_posts_type_call_and_telephones(client: WolkvoxClient, requests_mock: Any) -> None:
    requests_mock.post(ADD_URL, status_code=201, json=ADDED)

    assert client.add_dnc(["573001112233", "573004445566"]) == 2

    request = requests_mock.last_request
    assert request.method == "POST"
    assert request.url == ADD_URL
    assert request.headers["Content-Type"] == "application/json"
    assert request.json() == {"type_call": "all", "telephones": ["573001112233", "573004445566"]}
    assert list(request.json()) == ["type_call", "telephones"]


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        ("outbound", "outbound"),
        ("INBOUND", "inbound"),
        ("Inbound/Outbound", "inbound/outbound"),
        ("all", "all"),
    ],
)
def test_add_dnc_sends_every_documented_type_call(
    client: WolkvoxClient, requests_mock: Any, given: str, sent: str
) -> None:
    requests_mock.post(ADD_URL, status_code=201, json=ADDED)
    client.add_dnc(["3001112233"], type_call=given)
    assert requests_mock.last_request.json()["type_call"] == sent


@pytest.mark.parametrize("kind", ["outboud", "both", "", None])
def test_add_dnc_refuses_another_type_call(client: WolkvoxClient, requests_mock: Any, kind: Any) -> None:
    with pytest.raises(WolkvoxValidationError, match="Invalid type_call"):
        client.add_dnc(["3001112233"], type_call=kind)
    assert requests_mock.call_count == 0


def test_numbers_lose_their_separators_and_repeats_before_they_are_sent(
    client: WolkvoxClient, requests_mock: Any
) -> None:
    requests_mock.post(ADD_URL, status_code=201, json=ADDED)
    given = ["+57 (300) 111-2233", "573001112233", 573004445566, "\t300.444.5566\n", "300/777/8899"]

    client.add_dnc(given, type_call="outbound")

    assert requests_mock.last_request.json()["telephones"] == [
        "573001112233",
        "573004445566",
        "3004445566",
        "3007778899",
    ]


def test_numbers_may_come_from_a_generator(client: WolkvoxClient, requests_mock: Any) -> None:
    requests_mock.post(ADD_URL, status_code=201, json=ADDED)
    client.add_dnc(f"30011122{i:02d}" for i in range(3))
    assert requests_mock.last_request.json()["telephones"] == ["3001112200", "3001112201", "3001112202"]


@pytest.mark.parametrize(
    ("answer", "count"),
    [
        ({"msg": "7 telephones were added"}, 7),
        ({"msg": "0 telephones were added"}, 0),
        ({"msg": " 12 telephones were added", "data": []}, 12),
        # The campaign-family add_dnc answers total_added; it wins over the message when present.
        ({"msg": "9 telephones were added", "data": [{"total_added": "3", "total_rejected": "1"}]}, 3),
        ({"msg": "5 telephones were added", "data": [{"total_added": ""}]}, 5),
        ({"msg": "x telephones were added"}, 2),  # the template text: no count, the number sent
        ({"msg": None}, 2),
    ],
)
def test_add_dnc_returns_the_count_wolkvox_reports(
    client: WolkvoxClient, requests_mock: Any, answer: dict[str, Any], count: int
) -> None:
    requests_mock.post(ADD_URL, status_code=201, json={"code": 201, "error": None, **answer})
    assert client.add_dnc(["3001112233", "3004445566", "3001112233"]) == count


def test_a_count_wolkvox_does_not_give_is_logged_without_its_message(
    client: WolkvoxClient, requests_mock: Any, caplog: pytest.LogCaptureFixture
) -> None:
    requests_mock.post(ADD_URL, status_code=201, json={"code": 201, "msg": "telephone 3001112233 blocked"})
    with caplog.at_level(logging.WARNING, logger="airflow_provider_wolkvox.client.client"):
        assert client.add_dnc(["3001112233"]) == 1
    assert "without a readable count" in caplog.text
    assert "3001112233" not in caplog.text


# ------------------------------------------------------------------------------------ remove_dnc


def test_remove_dnc_deletes_with_telephones_and_type(client: WolkvoxClient, requests_mock: Any) -> None:
    requests_mock.delete(REMOVE_URL, status_code=202, json=DELETED)

    assert client.remove_dnc(["573001112233"]) == 1

    request = requests_mock.last_request
    assert request.method == "DELETE"
    assert request.url == REMOVE_URL
    assert request.headers["Content-Type"] == "application/json"
    assert request.json() == {"telephones": ["573001112233"], "type": "all"}
    assert list(request.json()) == ["telephones", "type"]


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        ("outbound", "outbound"),  # the reference page's spelling (and add_dnc's, get_dnc's)
        ("OUTBOUD", "outboud"),  # the collection's spelling, only when asked for
        ("inbound", "inbound"),
        ("inbound/outbound", "inbound/outbound"),
        ("All", "all"),
    ],
)
def test_remove_dnc_sends_type(client: WolkvoxClient, requests_mock: Any, given: str, sent: str) -> None:
    requests_mock.delete(REMOVE_URL, status_code=202, json=DELETED)
    client.remove_dnc(["3001112233"], type_call=given)
    assert requests_mock.last_request.json()["type"] == sent


@pytest.mark.parametrize("numbers", ["all", "All", " ALL "])
def test_remove_dnc_refuses_to_remove_every_number(
    client: WolkvoxClient, requests_mock: Any, numbers: str
) -> None:
    with pytest.raises(WolkvoxValidationError, match="Invalid numbers") as err:
        client.remove_dnc(numbers)
    assert "not offered" in str(err.value) and "get_dnc" in str(err.value)
    assert requests_mock.call_count == 0


@pytest.mark.parametrize(
    ("answer", "count"),
    [
        ({"msg": "3 telephones were deleted"}, 3),
        ({"msg": "0 telephones were deleted"}, 0),
        ({"msg": "x telephones were deleted"}, 2),
    ],
)
def test_remove_dnc_returns_the_count_in_the_message(
    client: WolkvoxClient, requests_mock: Any, answer: dict[str, Any], count: int
) -> None:
    requests_mock.delete(REMOVE_URL, status_code=202, json={"code": 202, "error": None, **answer})
    assert client.remove_dnc(["3001112233", "3004445566"]) == count


# ------------------------------------------------------------------------------------ checks


Call = Callable[[WolkvoxClient, Any], int]
CALLS: list[Call] = [
    lambda client, numbers: client.add_dnc(numbers),
    lambda client, numbers: client.remove_dnc(numbers),
]


@pytest.mark.parametrize("call", CALLS, ids=["add_dnc", "remove_dnc"])
@pytest.mark.parametrize(
    ("bad", "what"),
    [
        ("abc-defg-hij", "is not a phone number"),
        ("12345", "is not a phone number"),  # 5 digits: too short
        ("1" * 21, "is not a phone number"),  # 21 digits: too long
        (
            "\uff13\uff10\uff10\uff11\uff11\uff11\uff12\uff12\uff13\uff13",
            "is not a phone number",
        ),  # full-width digits are not ASCII digits
        ("300 111 2233 ext 4", "is not a phone number"),
        ("++573001112233", "is not a phone number"),
        (-3001112233, "is not a phone number"),
        ("", "is empty"),
        ("   ", "is empty"),
        (None, "is empty"),
        (True, "is a bool, not text"),
        (3001112233.0, "is a float, not text"),
        ({"tel": "3001112233"}, "is a dict, not text"),
    ],
)
def test_a_bad_number_is_named_by_its_position_and_nothing_is_sent(
    client: WolkvoxClient, requests_mock: Any, call: Call, bad: Any, what: str
) -> None:
    good = ["573001112233", "573004445566"]
    with pytest.raises(WolkvoxValidationError) as err:
        call(client, [*good, bad])
    assert err.value.field == "numbers"
    message = str(err.value)
    assert f"item 3 {what}" in message
    assert "6 to 20 digits" in message
    for number in [*good, str(bad)]:
        if len(number) > 4:
            assert number not in message  # phone numbers are personal data
    assert requests_mock.call_count == 0


def test_the_error_counts_the_other_bad_numbers_without_quoting_them(client: WolkvoxClient) -> None:
    with pytest.raises(WolkvoxValidationError) as err:
        client.add_dnc(["3001112233", "30011", "300111", "bad-number", "3004445566"])
    assert "item 2 is not a phone number (1 more bad item after it)" in str(err.value)
    with pytest.raises(WolkvoxValidationError) as err:
        client.add_dnc(["1", "2", "3"])
    assert "item 1 is not a phone number (2 more bad items after it)" in str(err.value)


@pytest.mark.parametrize("numbers", ["3001112233", b"3001112233", {"3001112233": 1}, 3001112233, None])
def test_numbers_must_be_a_list(client: WolkvoxClient, requests_mock: Any, numbers: Any) -> None:
    with pytest.raises(WolkvoxValidationError, match="expected a list of phone numbers"):
        client.add_dnc(numbers)
    assert requests_mock.call_count == 0


@pytest.mark.parametrize("call", CALLS, ids=["add_dnc", "remove_dnc"])
def test_an_empty_list_is_refused(client: WolkvoxClient, requests_mock: Any, call: Call) -> None:
    with pytest.raises(WolkvoxValidationError, match="at least one phone number"):
        call(client, [])
    assert requests_mock.call_count == 0


def test_at_most_10000_distinct_numbers_go_in_one_request(client: WolkvoxClient, requests_mock: Any) -> None:
    requests_mock.post(ADD_URL, status_code=201, json=ADDED)
    numbers = [f"300{i:07d}" for i in range(10_000)]
    client.add_dnc([*numbers, numbers[0]])  # a repeat does not count
    assert len(requests_mock.last_request.json()["telephones"]) == 10_000

    with pytest.raises(WolkvoxValidationError, match="10,001 distinct numbers given; at most 10,000"):
        client.add_dnc([*numbers, "3009999999"])
    assert requests_mock.call_count == 1


def test_phone_number_reads_one_value() -> None:
    assert phone_number(" +57 300-111-2233 ") == "573001112233"
    assert phone_number(573001112233) == "573001112233"
    assert phone_number("0057 300 111 2233") == "00573001112233"  # nothing but separators removed
    assert phone_number("57300111223\uff13") is None
    assert phone_number(False) is None


# ------------------------------------------------------------------------------------ retries and errors


def test_add_and_remove_are_retried_like_reads_after_the_request_was_sent(
    make_client: Callable[..., WolkvoxClient], requests_mock: Any, sleeps: list[float]
) -> None:
    """Blocking or unblocking a number twice changes nothing, so a lost answer is sent again
    (add_record, which is not idempotent, is never re-sent after such a failure)."""
    dropped = requests.exceptions.ConnectionError(
        ProtocolError("Connection aborted.", http.client.RemoteDisconnected("closed without response"))
    )
    client = make_client(attempts=3)
    requests_mock.post(ADD_URL, [{"exc": dropped}, {"status_code": 502, "json": {}}, {"json": ADDED}])
    requests_mock.delete(
        REMOVE_URL, [{"exc": requests.exceptions.ReadTimeout("read timed out")}, {"json": DELETED}]
    )

    assert client.add_dnc(["3001112233", "3004445566"]) == 2
    assert client.remove_dnc(["3001112233"]) == 1

    history = requests_mock.request_history
    assert [r.method for r in history] == ["POST", "POST", "POST", "DELETE", "DELETE"]
    assert all(r.json() == history[0].json() for r in history[:3])
    assert len(sleeps) == 3


def test_get_dnc_is_retried_after_a_server_error(
    make_client: Callable[..., WolkvoxClient], requests_mock: Any
) -> None:
    requests_mock.get(GET_URL, [{"status_code": 503, "json": {}}, {"json": dnc_rows("3001112233")}])
    assert make_client(attempts=2).get_dnc() == ["3001112233"]


def test_a_refusal_is_not_retried(make_client: Callable[..., WolkvoxClient], requests_mock: Any) -> None:
    requests_mock.delete(
        REMOVE_URL,
        status_code=400,
        json={"code": 400, "error": "BAD REQUEST", "msg": "SOME PARAMETERS ARE REQUIRED"},
    )
    with pytest.raises(WolkvoxBadRequestError) as err:
        make_client(attempts=5).remove_dnc(["3001112233"], type_call="outbound")
    assert err.value.permanent and err.value.api == "remove_dnc"
    assert requests_mock.call_count == 1


def test_an_error_in_the_body_of_a_success_answer_is_an_error(
    client: WolkvoxClient, requests_mock: Any
) -> None:
    requests_mock.post(ADD_URL, status_code=200, json={"code": 500, "error": "ERROR", "msg": "internal"})
    with pytest.raises(WolkvoxServerError):
        client.add_dnc(["3001112233"])
