"""AddDoNotCallOperator / RemoveDoNotCallOperator: checks, chunks, counts, XCom input, privacy."""

from __future__ import annotations

from typing import Any
from unittest.mock import MagicMock

import pytest
from failing import airflow_fails_at_once, fails_at_once

from airflow_provider_wolkvox._compat import AirflowException, AirflowFailException
from airflow_provider_wolkvox.operators.dnc import (
    DEFAULT_CHUNK_SIZE,
    AddDoNotCallOperator,
    RemoveDoNotCallOperator,
)

CONFIG = "https://wv0042.wolkvox.com/api/v2/configuration.php"
ADD_URL = f"{CONFIG}?api=add_dnc"
REMOVE_URL = f"{CONFIG}?api=remove_dnc"
NUMBERS = [f"5730011122{i:02d}" for i in range(5)]
OPERATORS = [AddDoNotCallOperator, RemoveDoNotCallOperator]


@pytest.fixture(autouse=True)
def connection(set_connection: Any) -> None:
    set_connection(extra={"retry_min_delay": 0, "retry_max_delay": 0, "retry_attempts": 1})


def answered(request: Any, context: Any) -> dict[str, Any]:
    """Wolkvox's answer: every number sent counts as added / deleted."""
    sent = len(request.json()["telephones"])
    if request.method == "POST":
        context.status_code = 201
        return {"code": 201, "error": None, "msg": f"{sent} telephones were added"}
    context.status_code = 202
    return {"code": 202, "error": None, "msg": f"{sent} telephones were deleted"}


@pytest.fixture
def wolkvox(requests_mock: Any) -> Any:
    requests_mock.post(ADD_URL, json=answered)
    requests_mock.delete(REMOVE_URL, json=answered)
    return requests_mock


def sent(requests_mock: Any) -> list[dict[str, Any]]:
    return [request.json() for request in requests_mock.request_history]


def test_add_sends_the_numbers_in_chunks_and_returns_the_counts(wolkvox: Any) -> None:
    counts = AddDoNotCallOperator(task_id="block", numbers=NUMBERS, chunk_size=2).execute({})

    assert [r.method for r in wolkvox.request_history] == ["POST"] * 3
    assert sent(wolkvox) == [
        {"type_call": "outbound", "telephones": NUMBERS[0:2]},
        {"type_call": "outbound", "telephones": NUMBERS[2:4]},
        {"type_call": "outbound", "telephones": NUMBERS[4:5]},
    ]
    assert counts == {"numbers": 5, "duplicates": 0, "added": 5, "requests": 3, "type_call": "outbound"}


def test_remove_sends_telephones_and_type(wolkvox: Any) -> None:
    counts = RemoveDoNotCallOperator(task_id="unblock", numbers=NUMBERS[:2], type_call="ALL").execute({})

    assert [r.method for r in wolkvox.request_history] == ["DELETE"]
    assert sent(wolkvox) == [{"telephones": NUMBERS[:2], "type": "all"}]
    assert counts == {"numbers": 2, "duplicates": 0, "removed": 2, "requests": 1, "type_call": "all"}


def test_remove_sends_the_collections_outboud_only_when_asked(wolkvox: Any) -> None:
    RemoveDoNotCallOperator(task_id="a", numbers=NUMBERS[:1]).execute({})
    RemoveDoNotCallOperator(task_id="b", numbers=NUMBERS[:1], type_call="outboud").execute({})
    assert [body["type"] for body in sent(wolkvox)] == ["outbound", "outboud"]
    with fails_at_once(match="Invalid type_call"):
        AddDoNotCallOperator(task_id="c", numbers=NUMBERS[:1], type_call="outboud").execute({})


def test_the_default_chunk_is_the_documented_10000_per_call(wolkvox: Any) -> None:
    assert DEFAULT_CHUNK_SIZE == 10_000
    numbers = [f"300{i:07d}" for i in range(25_000)]
    counts = AddDoNotCallOperator(task_id="block", numbers=numbers).execute({})
    assert [len(body["telephones"]) for body in sent(wolkvox)] == [10_000, 10_000, 5_000]
    assert counts["added"] == 25_000 and counts["requests"] == 3


def test_numbers_are_cleaned_and_repeats_sent_once(wolkvox: Any) -> None:
    given = ["+57 300 111 2200", 573001112200, "573001112201", " 573001112201 ", ("573001112202",)]
    counts = AddDoNotCallOperator(task_id="block", numbers=given, type_call="all").execute({})
    assert sent(wolkvox) == [{"type_call": "all", "telephones": NUMBERS[:3]}]
    assert counts["numbers"] == 3 and counts["duplicates"] == 2


@pytest.mark.parametrize("operator", OPERATORS)
def test_a_bad_number_fails_before_any_request_naming_its_position_only(wolkvox: Any, operator: Any) -> None:
    numbers = [*NUMBERS, "573001112299", "call me", *NUMBERS]
    with fails_at_once() as err:
        operator(task_id="dnc", numbers=numbers, chunk_size=1).execute({})
    message = str(err.value)
    assert "Invalid numbers: item 7 is not a phone number" in message
    assert "call me" not in message and "573001112299" not in message
    assert not any(number in message for number in NUMBERS)
    assert wolkvox.call_count == 0


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"type_call": "sometimes"}, "type_call"),
        ({"type_call": None}, "type_call"),
        ({"chunk_size": 0}, "chunk_size"),
        ({"chunk_size": 10_001}, "chunk_size"),
        ({"chunk_size": True}, "chunk_size"),
        ({"chunk_size": "many"}, "chunk_size"),
        ({"numbers": {"573001112200": "x"}}, "numbers"),
        ({"numbers": 573001112200}, "numbers"),
        ({"numbers": None}, "numbers"),
        ({"numbers": [["573001112200", "x"]]}, "numbers"),  # a row of two columns
    ],
)
@pytest.mark.parametrize("operator", OPERATORS)
def test_bad_arguments_fail_the_task_before_any_request(
    wolkvox: Any, operator: Any, kwargs: dict[str, Any], field: str
) -> None:
    kwargs = {"numbers": NUMBERS, **kwargs}
    with fails_at_once(match=f"Invalid {field}"):
        operator(task_id="dnc", **kwargs).execute({})
    assert wolkvox.call_count == 0


def test_chunk_size_may_be_given_as_text(wolkvox: Any) -> None:
    AddDoNotCallOperator(task_id="block", numbers=NUMBERS, chunk_size="4").execute({})
    assert [len(body["telephones"]) for body in sent(wolkvox)] == [4, 1]


@pytest.mark.parametrize("operator", OPERATORS)
def test_no_numbers_sends_nothing(wolkvox: Any, operator: Any, capsys: Any) -> None:
    counts = operator(task_id="dnc", numbers=[]).execute({})
    assert wolkvox.call_count == 0
    assert counts["numbers"] == 0 and counts["requests"] == 0
    assert "There were no numbers" in capsys.readouterr().out


def test_numbers_are_not_templated_and_a_jinja_string_is_refused(wolkvox: Any) -> None:
    for operator in OPERATORS:
        assert tuple(operator.template_fields) == ("path", "storage_conn_id", "type_call", "wolkvox_conn_id")
    op = AddDoNotCallOperator(
        task_id="block", numbers="{{ ti.xcom_pull('optouts') }}", type_call="{{ params.t }}"
    )
    op.render_template_fields({"params": {"t": "inbound"}})
    assert op.type_call == "inbound"
    with fails_at_once(match="Invalid numbers") as err:
        op.execute({})
    assert "not templated" in str(err.value)
    assert wolkvox.call_count == 0


def test_numbers_from_an_upstream_task_are_resolved_in_execute_and_set_the_dependency(wolkvox: Any) -> None:
    try:
        from airflow.sdk import DAG
    except ImportError:  # Airflow 2
        from airflow.models import DAG
    try:
        from airflow.providers.standard.operators.empty import EmptyOperator
    except ImportError:  # Airflow 2
        from airflow.operators.empty import EmptyOperator

    with DAG("dnc_from_xcom", schedule=None):
        optouts = EmptyOperator(task_id="optouts")
        op = AddDoNotCallOperator(task_id="block", numbers=optouts.output)
    assert op.upstream_task_ids == {"optouts"}

    ti = MagicMock()
    ti.xcom_pull.return_value = [["573001112200"], ("573001112201",)]  # rows of a one-column query
    counts = op.execute({"ti": ti, "expanded_ti_count": None})  # Airflow 2 reads the latter
    assert ti.xcom_pull.call_args.kwargs["task_ids"] == "optouts"
    assert sent(wolkvox) == [{"type_call": "outbound", "telephones": NUMBERS[:2]}]
    assert counts["added"] == 2


def test_the_log_gives_counts_and_never_a_number(wolkvox: Any, capsys: Any, caplog: Any) -> None:
    AddDoNotCallOperator(task_id="block", numbers=[*NUMBERS, NUMBERS[0]], chunk_size=2).execute({})
    RemoveDoNotCallOperator(task_id="unblock", numbers=NUMBERS).execute({})
    logged = capsys.readouterr().out + caplog.text
    assert (
        "Wolkvox added 5 of 5 distinct numbers (type_call outbound) in 3 requests; 1 repeats left out"
        in logged
    )
    assert "Do-not-call request 2 of 3 answered: 2 numbers sent" in logged
    assert "Wolkvox removed 5 of 5 distinct numbers" in logged
    assert not any(number in logged for number in NUMBERS)
    assert "5730011122" not in logged


def test_a_transient_failure_midway_says_how_far_it_got_and_lets_airflow_retry(requests_mock: Any) -> None:
    requests_mock.post(
        ADD_URL,
        [
            {"status_code": 201, "json": {"code": 201, "msg": "2 telephones were added"}},
            {"status_code": 503, "json": {"code": 503, "error": "SERVICE UNAVAILABLE", "msg": "busy"}},
        ],
    )
    with pytest.raises(AirflowException) as err:
        AddDoNotCallOperator(task_id="block", numbers=NUMBERS, chunk_size=2).execute({})
    assert not isinstance(err.value, AirflowFailException)
    assert not airflow_fails_at_once(err.value)  # nor does the 3.3+ retry policy fail it
    message = str(err.value)
    assert "Request 2 of 3 to add do-not-call numbers failed; 1 of 3 requests had been answered" in message
    assert "(2 numbers added)" in message and "A retry sends every request again" in message
    assert not any(number in message for number in NUMBERS)
    assert requests_mock.call_count == 2  # the third chunk is not sent after a failure


def test_a_refusal_fails_the_task_for_good(requests_mock: Any) -> None:
    requests_mock.delete(
        REMOVE_URL, status_code=400, json={"code": 400, "error": "BAD REQUEST", "msg": "THE TYPE MUST BE ..."}
    )
    with fails_at_once(match="Request 1 of 1 to remove do-not-call numbers failed"):
        RemoveDoNotCallOperator(task_id="unblock", numbers=NUMBERS, type_call="outbound").execute({})


def test_a_killed_task_sends_no_further_chunk(requests_mock: Any) -> None:
    op = AddDoNotCallOperator(task_id="block", numbers=NUMBERS, chunk_size=2)

    def kill_after_first(request: Any, context: Any) -> dict[str, Any]:
        op.on_kill()
        return answered(request, context)

    requests_mock.post(ADD_URL, json=kill_after_first)
    with pytest.raises(AirflowException, match=r"Stopped \(the task was killed\) after 1 of 3 requests"):
        op.execute({})
    assert requests_mock.call_count == 1


def test_the_operators_can_be_copied_as_airflow_does() -> None:
    import copy

    op = AddDoNotCallOperator(task_id="block", numbers=NUMBERS)
    assert copy.deepcopy(op).numbers == NUMBERS


# ----------------------------------------------------------------------------- numbers from a file


def test_numbers_from_a_file_with_a_header(wolkvox: Any, tmp_path: Any) -> None:
    path = tmp_path / "optouts.csv"
    path.write_text(
        "phone;name\n+57 300 111 2200;Ana\n\n573001112201;Bo\n573001112200;Ana\n", encoding="utf-8"
    )
    counts = AddDoNotCallOperator(task_id="block", path=str(path)).execute({})
    assert sent(wolkvox) == [{"type_call": "outbound", "telephones": NUMBERS[:2]}]
    assert counts == {"numbers": 2, "duplicates": 1, "added": 2, "requests": 1, "type_call": "outbound"}


def test_numbers_from_a_file_url_one_per_line(wolkvox: Any, tmp_path: Any) -> None:
    path = tmp_path / "optouts.txt"
    path.write_text("\n".join(NUMBERS) + "\n", encoding="utf-8")
    op = RemoveDoNotCallOperator(task_id="unblock", path="{{ params.list }}", chunk_size=3)
    op.render_template_fields({"params": {"list": path.as_uri()}})
    counts = op.execute({})
    assert [body["telephones"] for body in sent(wolkvox)] == [NUMBERS[:3], NUMBERS[3:]]
    assert counts["removed"] == 5


def test_a_bad_entry_in_a_file_is_named_by_its_position_only(wolkvox: Any, tmp_path: Any) -> None:
    path = tmp_path / "optouts.csv"
    path.write_text("phone\n573001112200\n3001\n573001112201\n", encoding="utf-8")
    with fails_at_once() as err:
        AddDoNotCallOperator(task_id="block", path=path).execute({})
    message = str(err.value)
    assert "Invalid path: entry 2 is not a phone number" in message
    assert "3001" not in message  # neither the bad number nor the good ones
    assert wolkvox.call_count == 0


@pytest.mark.parametrize(
    ("kwargs", "text"),
    [
        ({"numbers": NUMBERS, "path": "optouts.csv"}, "Invalid numbers: give either numbers"),
        ({}, "Invalid numbers: give either numbers"),
        ({"path": "/nowhere/optouts.csv"}, "Invalid path: '/nowhere/optouts.csv' does not exist"),
    ],
)
def test_numbers_or_path(wolkvox: Any, kwargs: dict[str, Any], text: str) -> None:
    with fails_at_once(match=text):
        AddDoNotCallOperator(task_id="block", **kwargs).execute({})
    assert wolkvox.call_count == 0
