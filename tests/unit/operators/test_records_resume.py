"""The upload across tries (issue #11): content fingerprint, the resume flag, what a cleared task
does, contact data that is never templated, column mappings that keep nothing, on_kill, pool_slots."""

from __future__ import annotations

import os
import shutil
import threading
import time
from unittest.mock import MagicMock

import pytest
from failing import fails_at_once
from test_records import (
    BASE,
    FakeStore,
    SlowClient,
    add_requests,
    added,
    contacts,
    make,
    write_csv,
)
from test_records import campaign_count as campaign_count  # the campaign list verify reads
from test_records import slow_client as slow_client  # the fixture

from airflow_provider_wolkvox._compat import AirflowException, AirflowFailException
from airflow_provider_wolkvox.client.errors import WolkvoxValidationError
from airflow_provider_wolkvox.client.records import RecordValidator
from airflow_provider_wolkvox.client.upload import STATE_KEY


@pytest.fixture(autouse=True)
def connection(set_connection):
    set_connection(
        password="tok-SECRET-123456", extra={"retry_min_delay": 0, "retry_max_delay": 0, "retry_attempts": 1}
    )


def second_request_503(requests_mock):
    """add_record answers 503 (provably not stored) to its 2nd request, 201 to every other."""
    calls = {"n": 0}

    def respond(request, context):
        calls["n"] += 1
        if calls["n"] == 2:
            context.status_code = 503
            return {"code": 503, "error": "SERVICE UNAVAILABLE", "msg": "busy"}
        return added(request, context)

    requests_mock.post(BASE, json=respond)


def first_ids(requests_mock):
    return [r.json()[0]["customer_id"] for r in add_requests(requests_mock)]


# ----------------------------------------------------------------------------- content fingerprint


def test_a_file_recopied_with_the_same_bytes_resumes_instead_of_starting_over(requests_mock, tmp_path):
    store = FakeStore()
    second_request_503(requests_mock)
    first = write_csv(tmp_path / "day1.csv", contacts(25))
    with pytest.raises(AirflowException, match="A retry sends only the chunks not yet stored"):
        make(path=str(first), chunk_size=10, max_in_flight=1).execute({"task_state_store": store})

    # A new download of the same bytes: another path, a later mtime.
    again = tmp_path / "download" / "contacts.csv"
    again.parent.mkdir()
    shutil.copyfile(first, again)
    os.utime(again, (time.time() + 60, time.time() + 60))
    requests_mock.reset_mock()
    requests_mock.post(BASE, json=added)
    counts = make(path=str(again), chunk_size=10, max_in_flight=1).execute({"task_state_store": store})

    assert first_ids(requests_mock) == ["C10", "C20"]  # chunk 1 is not sent twice
    assert counts["chunks_already_stored"] == 1
    assert counts["sent"] == 25


@pytest.mark.parametrize(
    ("changed_row", "says"),
    [
        (3, "chunk 1 (rows 1-10) now holds different records"),  # the stored prefix
        (22, "chunk 3 (rows 21-25) now holds different records"),  # a chunk stored past a gap
    ],
)
def test_changed_content_after_chunks_were_stored_fails_and_sends_nothing(slow_client, changed_row, says):
    store = FakeStore()
    from airflow_provider_wolkvox.client import WolkvoxBadRequestError

    def after_chunk_three_fail():
        while "C20" not in slow_client.done:  # chunk 3 finishes first
            time.sleep(0.01)
        raise WolkvoxBadRequestError("Wolkvox add_record failed: HTTP 400", status=400)

    slow_client.fail = {"C10": after_chunk_three_fail}
    with fails_at_once():
        make(records=contacts(25), chunk_size=10).execute({"task_state_store": store})
    assert (store.data[STATE_KEY]["acked"], store.data[STATE_KEY]["unsure"]) == (1, [])

    records = contacts(25)
    records[changed_row - 1]["customer_name"] = "Someone else"
    slow_client.fail, slow_client.bodies = {}, []
    with fails_at_once() as err:
        make(records=records, chunk_size=10).execute({"task_state_store": store})

    message = str(err.value)
    assert says in message
    assert "chunk 1 (rows 1-10)" in message and "chunk 3 (rows 21-25)" in message  # what is stored
    assert "resume=False" in message  # what the user can do
    assert slow_client.bodies == []  # not even the missing chunk 2 was sent


def test_an_input_shorter_than_what_was_stored_fails(requests_mock):
    store = FakeStore()
    requests_mock.post(BASE, json=added)
    make(records=contacts(30), chunk_size=10).execute({"task_state_store": store})
    requests_mock.reset_mock()
    with fails_at_once(match="now has 2 chunk"):
        make(records=contacts(20), chunk_size=10).execute({"task_state_store": store})
    assert add_requests(requests_mock) == []


def test_a_changed_chunk_size_counts_as_changed_content(requests_mock):
    store = FakeStore()
    requests_mock.post(BASE, json=added)
    make(records=contacts(20), chunk_size=10).execute({"task_state_store": store})
    requests_mock.reset_mock()
    with fails_at_once(match="chunk_size"):
        make(records=contacts(20), chunk_size=5).execute({"task_state_store": store})
    assert add_requests(requests_mock) == []


def test_records_appended_after_a_success_are_the_only_ones_sent(requests_mock):
    store = FakeStore()
    requests_mock.post(BASE, json=added)
    make(records=contacts(20), chunk_size=10).execute({"task_state_store": store})
    requests_mock.reset_mock()
    counts = make(records=contacts(27), chunk_size=10).execute({"task_state_store": store})
    assert first_ids(requests_mock) == ["C20"]
    assert counts["sent_this_try"] == 7 and counts["sent"] == 27


def test_another_campaign_starts_from_the_first_chunk(requests_mock):
    store = FakeStore()
    requests_mock.post(BASE, json=added)
    make(records=contacts(20), chunk_size=10).execute({"task_state_store": store})
    requests_mock.reset_mock()
    counts = make(records=contacts(20), chunk_size=10, campaign_id=99).execute({"task_state_store": store})
    assert len(add_requests(requests_mock)) == 2
    assert counts["sent"] == counts["sent_this_try"] == 20


# ----------------------------------------------------------------------------- resume flag, clearing


def test_clearing_a_successful_upload_sends_nothing_and_the_xcom_says_so(requests_mock):
    store = FakeStore()
    requests_mock.post(BASE, json=added)
    op = make(records=contacts(25), chunk_size=10)
    first = op.execute({"task_state_store": store})
    assert (first["sent_this_try"], first["chunks_sent_this_try"], first["sent"]) == (25, 3, 25)

    requests_mock.reset_mock()
    again = op.execute({"task_state_store": store})  # the task was cleared: a new try, same store

    assert add_requests(requests_mock) == []
    assert again["sent_this_try"] == again["accepted_this_try"] == again["requests"] == 0
    assert again["chunks_already_stored"] == again["chunks"] == 3
    assert again["sent"] == again["accepted"] == 25  # the totals of the whole upload


@pytest.mark.parametrize("resume", [False, "false", "no", "0"])  # every flag spelling (parse_bool)
def test_resume_false_sends_every_chunk_again_and_says_so(requests_mock, capsys, resume):
    store = FakeStore()
    requests_mock.post(BASE, json=added)
    make(records=contacts(25), chunk_size=10).execute({"task_state_store": store})
    requests_mock.reset_mock()

    counts = make(records=contacts(25), chunk_size=10, resume=resume).execute({"task_state_store": store})

    assert sorted(first_ids(requests_mock)) == ["C0", "C10", "C20"]
    assert counts["sent_this_try"] == counts["sent"] == 25  # totals restart with the new upload
    assert counts["chunks_already_stored"] == 0
    assert "resume=False" in capsys.readouterr().out
    assert store.data[STATE_KEY]["acked"] == 3


def test_resume_false_ignores_progress_of_a_changed_input(requests_mock):
    store = FakeStore()
    requests_mock.post(BASE, json=added)
    make(records=contacts(20), chunk_size=10).execute({"task_state_store": store})
    requests_mock.reset_mock()
    records = contacts(20)
    records[0]["customer_name"] = "Changed"
    make(records=records, chunk_size=10, resume=False).execute({"task_state_store": store})
    assert sorted(first_ids(requests_mock)) == ["C0", "C10"]


def test_resume_must_be_a_boolean(requests_mock):
    with fails_at_once(match="Invalid resume: 'maybe' is not accepted; use true"):
        make(records=contacts(1), resume="maybe").execute({})
    assert requests_mock.call_count == 0


# ----------------------------------------------------------------------------- contact data is data


def test_records_is_not_a_template_field():
    assert "records" not in make(records=contacts(1)).template_fields


def test_a_literal_record_with_jinja_markers_is_sent_as_it_is(requests_mock):
    requests_mock.post(BASE, json=added)
    records = [
        {"customer_name": "Ana {{ ds }}", "tel1": "3001112233"},
        {"customer_name": "Bo {# not a comment", "tel1": "3004445566", "address": "{% if %}"},
    ]
    op = make(records=records, campaign_id="{{ params.campaign }}")
    op.render_template_fields({"params": {"campaign": "1234"}, "ds": "2026-11-28"})
    op.execute({})
    assert add_requests(requests_mock)[0].json() == records
    assert op.campaign_id == "1234"  # other fields are still templated


def test_records_from_an_upstream_task_are_resolved_in_execute_and_set_the_dependency(requests_mock):
    try:
        from airflow.sdk import DAG
    except ImportError:  # Airflow 2
        from airflow.models import DAG
    try:
        from airflow.providers.standard.operators.empty import EmptyOperator
    except ImportError:  # Airflow 2
        from airflow.operators.empty import EmptyOperator

    requests_mock.post(BASE, json=added)
    with DAG("records_from_xcom", schedule=None):
        contacts_task = EmptyOperator(task_id="contacts_task")
        op = make(records=contacts_task.output)
    assert op.upstream_task_ids == {"contacts_task"}

    ti = MagicMock()
    ti.xcom_pull.return_value = contacts(3)
    counts = op.execute({"ti": ti, "expanded_ti_count": None})  # Airflow 2 reads the latter
    assert counts["sent"] == 3
    assert ti.xcom_pull.call_args.kwargs["task_ids"] == "contacts_task"


def test_a_jinja_string_for_records_is_refused_naming_the_field(requests_mock):
    with fails_at_once(match="Invalid records") as err:
        make(records="{{ ti.xcom_pull('contacts') }}").execute({})
    assert "not templated" in str(err.value)
    assert requests_mock.call_count == 0


# ----------------------------------------------------------------------------- column mapping


def test_a_csv_column_mapping_that_drops_every_column_names_column_mapping(requests_mock, tmp_path):
    path = write_csv(tmp_path / "c.csv", contacts(3))
    mapping = {"customer_id": None, "customer_name": None, "tel1": None}
    with pytest.raises(WolkvoxValidationError, match="column_mapping") as err:
        list(RecordValidator("predictive", mapping).read_records(path))
    assert "drops every column" in str(err.value)
    for on_invalid in ("fail", "skip"):
        with fails_at_once(match="Invalid column_mapping"):
            make(path=path, column_mapping=mapping, on_invalid=on_invalid).execute({})
    assert requests_mock.call_count == 0


def test_a_records_column_mapping_that_drops_every_field_names_column_mapping(requests_mock):
    # Records in a list may differ in their keys, so this is said per record, like any invalid row.
    mapping = {"customer_id": None, "customer_name": None, "tel1": None}
    with fails_at_once() as err:
        make(records=contacts(2), column_mapping=mapping).execute({})
    assert "row 1 column_mapping: drops every field of the record" in str(err.value)
    assert requests_mock.call_count == 0


# ----------------------------------------------------------------------------- on_kill, pool_slots


def test_on_kill_stops_sending_and_a_retry_sends_the_rest(monkeypatch):
    from airflow_provider_wolkvox.hooks.wolkvox import WolkvoxHook

    client = SlowClient(delay=0.2)
    monkeypatch.setattr(WolkvoxHook, "get_conn", lambda self: client)
    store = FakeStore()
    op = make(records=contacts(100), chunk_size=10, max_in_flight=2)

    def kill_once_sending():  # on_kill runs beside execute(), as Airflow's SIGTERM handler does
        while not client.bodies:
            time.sleep(0.01)
        op.on_kill()

    killer = threading.Thread(target=kill_once_sending, daemon=True)
    killer.start()
    with pytest.raises(AirflowException, match="was stopped") as err:
        op.execute({"task_state_store": store})
    killer.join(5)
    assert not isinstance(err.value, AirflowFailException)  # the retry sends the rest
    sent = len(client.bodies)
    assert sent <= 3  # the requests in flight finished; nothing new was sent
    saved = store.data[STATE_KEY]
    assert saved["acked"] == sent and saved["unsure"] == []  # their outcome is remembered

    client.bodies = []
    counts = make(records=contacts(100), chunk_size=10, max_in_flight=2).execute({"task_state_store": store})
    assert len(client.bodies) == 10 - sent
    assert counts["sent"] == 100


def test_on_kill_before_execute_does_nothing():
    make(records=contacts(1)).on_kill()


@pytest.mark.parametrize(
    ("kwargs", "slots"),
    [
        ({}, 2),
        ({"max_in_flight": 1}, 1),
        ({"max_in_flight": 2, "pool_slots": 1}, 1),
        ({"max_in_flight": 1, "pool_slots": 3}, 3),
        ({"default_args": {"pool_slots": 1}}, 1),
        ({"max_in_flight": 3}, 1),  # invalid: refused in execute(), not at parse time
    ],
)
def test_pool_slots_default_to_max_in_flight(kwargs, slots):
    assert make(records=contacts(1), **kwargs).pool_slots == slots
