"""Record validation and UploadCampaignRecordsOperator: chunking, concurrency, invalid rows, resume."""

from __future__ import annotations

import csv
import json
import threading
import time
import urllib.parse

import pytest
from failing import fails_at_once
from task_store import FakeStore

from airflow_provider_wolkvox._compat import AirflowException, AirflowFailException
from airflow_provider_wolkvox.client.errors import WolkvoxValidationError
from airflow_provider_wolkvox.client.records import (
    InvalidRecordError,
    RecordValidator,
    encode_chunk,
    read_rows,
)
from airflow_provider_wolkvox.client.upload import STATE_KEY
from airflow_provider_wolkvox.operators.records import UploadCampaignRecordsOperator

BASE = "https://wv0042.wolkvox.com/api/v2/campaign.php"
INFO = "https://wv0042.wolkvox.com/api/v2/information.php"
#: Records the fake add_record stored in campaign 1234 so far (what the campaign list counts).
STORED = {"n": 0}


@pytest.fixture(autouse=True)
def connection(set_connection):
    set_connection(
        password="tok-SECRET-123456", extra={"retry_min_delay": 0, "retry_max_delay": 0, "retry_attempts": 1}
    )


def campaign_list(request, context):
    """information.php?api=campaigns: campaign 1234 counts the records ``added`` stored."""
    row = {"campaign_id": "1234", "campaign_name": "Test", "status": "Stopped", "records": str(STORED["n"])}
    return {"code": "", "error": None, "msg": "1 records were found", "data": [row]}


@pytest.fixture(autouse=True)
def campaign_count(requests_mock):
    """The upload verifies the campaign's record count (verify="warn" by default)."""
    STORED["n"] = 0
    requests_mock.get(f"{INFO}?api=campaigns", json=campaign_list)
    return STORED


def added(request, context):
    sent = len(request.json())
    STORED["n"] += sent
    context.status_code = 201
    return {
        "code": 201,
        "error": None,
        "msg": f"{sent} records were inserted",
        "data": [{"total_sent": str(sent), "total_added": str(sent), "total_rejected": "0"}],
    }


def contacts(n, start=0):
    return [
        {"customer_id": f"C{i}", "customer_name": f"Name {i}", "tel1": f"300{i:07d}"} for i in range(start, n)
    ]


def make(**kwargs):
    args = {"task_id": "upload", "campaign_id": 1234, "type_campaign": "predictive", **kwargs}
    return UploadCampaignRecordsOperator(**args)


def add_requests(requests_mock):
    return [r for r in requests_mock.request_history if "api=add_record" in r.url]


# ----------------------------------------------------------------------------- validation table


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ({"tel1": "3001234567"}, {"tel1": "3001234567"}),
        ({"tel10": 3001234567, "age": 41}, {"tel10": "3001234567", "age": "41"}),
        ({"tel2": "31", "opt12": 1.5, "email": "a@b.co"}, {"tel2": "31", "opt12": "1.5", "email": "a@b.co"}),
        ({"tel1": "31", "customer_id": 7.0}, {"tel1": "31", "customer_id": "7"}),
        ({"tel1": "31", "city": "", "zone": None}, {"tel1": "31"}),
        (
            {f: "x" for f in ("customer_name", "customer_last_name", "id_type", "customer_id", "gender")}
            | {"country": "CO", "state": "A", "city": "B", "zone": "C", "address": "D", "tel_extra": "1"}
            | {"recall_date": "20261128100000", "recall_telephone": "3", "tel3": "9"},
            None,
        ),
    ],
)
def test_valid_records_are_sent_as_strings_without_blanks(row, expected):
    assert RecordValidator("predictive").clean(row, 2) == (row if expected is None else expected)


@pytest.mark.parametrize(
    ("row", "field", "text"),
    [
        ({"customer_name": "Ana"}, "tel1", "no phone number"),
        ({"tel1": "   "}, "tel1", "no phone number"),
        ({"tel1": "1", "phone": "2"}, "phone", "unknown field 'phone'"),
        ({"tel1": "1", "result": "answer"}, "result", "unknown field 'result'"),
        ({"tel1": "1", "opt13": "x"}, "opt13", "unknown field"),
        ({"tel11": "1"}, "tel11", "unknown field"),
        ({"tel1": "1", "agent_id": "55"}, "agent_id", "preview campaigns only"),
        ({"tel1": True}, "tel1", "bool value is not accepted"),
        ({"tel1": "1", "age": [1]}, "age", "list value is not accepted"),
        ({"tel1": "1", "age": float("nan")}, "age", "float value is not accepted"),
        ("tel1,3", "record", "expected an object"),
        ({"tel1": "1", None: ["extra"]}, "record", "more values than the header"),
    ],
)
def test_invalid_records_name_the_row_and_field(row, field, text):
    with pytest.raises(InvalidRecordError) as err:
        RecordValidator("predictive").clean(row, 17)
    assert err.value.field == field
    assert err.value.row == 17
    assert text in str(err.value)
    assert "row 17" in str(err.value)


def test_agent_id_is_accepted_for_preview_campaigns():
    assert RecordValidator("preview").clean({"tel1": "1", "agent_id": "55"}) == {
        "tel1": "1",
        "agent_id": "55",
    }


def test_column_mapping_renames_and_drops_columns():
    validator = RecordValidator("predictive", {"phone": "tel1", "name": "customer_name", "internal": None})
    assert validator.clean({"phone": "31", "name": "Ana", "internal": "x", "city": "Cali"}) == {
        "tel1": "31",
        "customer_name": "Ana",
        "city": "Cali",
    }


@pytest.mark.parametrize(
    "mapping",
    [{"phone": "telephone"}, {"a": "tel1", "b": "tel1"}, ["tel1"], {"a": "agent_id"}],
)
def test_bad_column_mapping_is_refused(mapping):
    with pytest.raises(WolkvoxValidationError, match="column_mapping"):
        RecordValidator("predictive", mapping)


def test_csv_rows_are_numbered_like_an_editor_and_jsonl_lines_too(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text('\ufefftel1,address\n1,"two\nlines"\n2,x\n', encoding="utf-8")
    assert [(n, dict(r)) for n, r in read_rows(path)] == [
        (2, {"tel1": "1", "address": "two\nlines"}),
        (4, {"tel1": "2", "address": "x"}),
    ]
    lines = tmp_path / "c.ndjson"
    lines.write_text('{"tel1": "1"}\n\n{oops\n')
    rows = list(read_rows(lines))
    assert rows[0] == (1, {"tel1": "1"})
    assert rows[1][0] == 3 and isinstance(rows[1][1], InvalidRecordError)


def test_encoded_chunk_is_one_compact_json_array():
    assert (
        encode_chunk([{"tel1": "1", "customer_name": "Ñoño"}])
        == '[{"tel1":"1","customer_name":"Ñoño"}]'.encode()
    )


# ----------------------------------------------------------------------------- operator


def write_csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["customer_id", "customer_name", "tel1"])
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_25000_rows_go_in_three_requests_of_10000_10000_5000(requests_mock, tmp_path):
    requests_mock.post(BASE, json=added)
    path = write_csv(tmp_path / "contacts.csv", contacts(25_000))

    counts = make(path=str(path), campaign_status="start").execute({})

    # With 2 requests in flight the first two chunks may reach the server in either order.
    sent = sorted(add_requests(requests_mock), key=lambda r: int(r.json()[0]["customer_id"][1:]))
    assert [len(r.json()) for r in sent] == [10_000, 10_000, 5_000]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(sent[0].url).query)
    assert query == {
        "api": ["add_record"],
        "type_campaign": ["predictive"],
        "campaign_id": ["1234"],
        "campaign_status": ["start"],
    }
    assert sent[0].method == "POST"
    assert sent[0].headers["Content-Type"] == "application/json"
    assert sent[0].json()[0] == {"customer_id": "C0", "customer_name": "Name 0", "tel1": "3000000000"}
    assert sent[2].json()[-1]["customer_id"] == "C24999"
    assert counts == {
        "sent": 25_000,
        "accepted": 25_000,
        "rejected": 0,
        "sent_this_try": 25_000,
        "accepted_this_try": 25_000,
        "rejected_this_try": 0,
        "requests": 3,
        "chunks": 3,
        "chunks_sent_this_try": 3,
        "chunks_already_stored": 0,
        "skipped_invalid": 0,
        "invalid_rows": [],
        "valid_records": 25_000,
        "rejected_by_reason": {},
        "hygiene": {},
        "reject_file": None,
        "verified": True,
        "records_before": 0,
        "records_after": 25_000,
        "dry_run": False,
        "api_calls": 5,  # 3 add_record, the campaign list before and after
    }
    assert len(requests_mock.request_history) == 5


def test_records_list_and_chunk_size(requests_mock):
    requests_mock.post(BASE, json=added)
    counts = make(records=contacts(7), chunk_size=3, max_in_flight=1).execute({})
    assert [len(r.json()) for r in add_requests(requests_mock)] == [3, 3, 1]
    assert counts["sent"] == 7


def test_jsonl_file_with_column_mapping(requests_mock, tmp_path):
    requests_mock.post(BASE, json=added)
    path = tmp_path / "c.data"
    path.write_text('{"phone": 3001, "name": "Ana"}\n{"phone": "3002", "name": "Bo"}\n')
    make(path=path, file_format="jsonl", column_mapping={"phone": "tel1", "name": "customer_name"}).execute(
        {}
    )
    assert add_requests(requests_mock)[0].json() == [
        {"tel1": "3001", "customer_name": "Ana"},
        {"tel1": "3002", "customer_name": "Bo"},
    ]


class SlowClient:
    """Stands in for WolkvoxClient.add_records (requests_mock serialises requests, so it cannot)."""

    requests_sent = 0  # the upload counts its calls with it

    def __init__(self, delay=0.05, fail=None):
        self.lock = threading.Lock()
        self.in_flight = self.peak = 0
        self.delay = delay
        self.fail = fail or {}
        self.bodies = []
        self.done = set()
        self.stored = 0

    def get_campaign(self, campaign_id):
        from airflow_provider_wolkvox.client import Campaign

        return Campaign(str(campaign_id), "Test", records=self.stored)

    def add_records(self, type_campaign, campaign_id, records, *, campaign_status=None):
        from airflow_provider_wolkvox.client import UploadResult

        batch = json.loads(records)  # the operator sends the encoded JSON array
        with self.lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            self.bodies.append(batch)
        try:
            first = batch[0]["customer_id"]
            if first in self.fail:
                self.fail[first]()
            time.sleep(self.delay)
            with self.lock:
                self.stored += len(batch)
            return UploadResult(len(batch), len(batch), 0, "ok")
        finally:
            with self.lock:
                self.in_flight -= 1
                self.done.add(first)


@pytest.fixture
def slow_client(monkeypatch):
    from airflow_provider_wolkvox.hooks.wolkvox import WolkvoxHook

    client = SlowClient()
    monkeypatch.setattr(WolkvoxHook, "get_conn", lambda self: client)
    return client


@pytest.mark.parametrize("in_flight", [1, 2])
def test_max_in_flight_is_honoured(slow_client, in_flight):
    counts = make(records=contacts(10), chunk_size=1, max_in_flight=in_flight).execute({})
    assert len(slow_client.bodies) == counts["requests"] == 10
    assert slow_client.peak == in_flight


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"records": contacts(1), "campaign_id": "abc"}, "campaign_id"),
        ({"records": contacts(1), "type_campaign": "outbound"}, "type_campaign"),
        ({"records": contacts(1), "chunk_size": 10_001}, "chunk_size"),
        ({"records": contacts(1), "chunk_size": 0}, "chunk_size"),
        ({"records": contacts(1), "max_in_flight": 3}, "max_in_flight"),
        ({"records": contacts(1), "on_invalid": "ignore"}, "on_invalid"),
        ({"records": contacts(1), "column_mapping": {"x": "nope"}}, "column_mapping"),
        ({"records": contacts(1), "path": "/tmp/x.csv"}, "records"),
        ({}, "records"),
        ({"records": {"tel1": "1"}}, "records"),
        ({"records": "tel1\n1"}, "records"),
        ({"path": "/nonexistent/contacts.csv"}, "path"),
        ({"path": "nosuch://bucket/contacts.csv"}, "path"),
        ({"path": "file:///nonexistent/contacts.csv"}, "path"),
        ({"path": "/tmp/contacts.xlsx"}, "file_format"),
        ({"records": contacts(1), "campaign_status": "bad\nvalue"}, "campaign_status"),
    ],
)
def test_bad_arguments_fail_before_any_request(requests_mock, kwargs, field):
    with fails_at_once(match=f"Invalid {field}"):
        make(**kwargs).execute({})
    assert requests_mock.call_count == 0


def test_on_invalid_fail_sends_nothing_and_lists_the_bad_rows(requests_mock, tmp_path):
    rows = contacts(30)
    for i in (4, 9, 11, 20, 21, 25, 28):
        rows[i]["tel1"] = ""
    path = write_csv(tmp_path / "c.csv", rows)
    with fails_at_once() as err:
        make(path=path, chunk_size=5).execute({})
    message = str(err.value)
    assert "7 of 30 records are invalid, so nothing was sent" in message
    # CSV row numbers are line numbers: the header is line 1.
    assert "row 6 tel1: no phone number" in message
    assert "row 11 tel1" in message and "row 22 tel1" in message
    assert "row 23 tel1" in message and "row 27" not in message and "(and 2 more)" in message
    assert requests_mock.call_count == 0


def test_on_invalid_skip_sends_the_rest_and_reports_row_numbers(requests_mock, capsys):
    requests_mock.post(BASE, json=added)
    records = contacts(6)
    records[1] = {"customer_id": "X", "tel1": "1", "phone": "2"}
    records[4] = {"customer_id": "Y"}
    counts = make(records=records, on_invalid="skip").execute({})
    assert [r["customer_id"] for r in add_requests(requests_mock)[0].json()] == ["C0", "C2", "C3", "C5"]
    assert counts["skipped_invalid"] == 2
    assert counts["invalid_rows"] == [2, 5]
    assert counts["sent"] == 4
    out = capsys.readouterr().out
    assert "row 2: unknown field 'phone'" in out and "row 5: no phone number" in out


def test_a_retry_resends_only_the_chunks_not_yet_stored(requests_mock):
    store = FakeStore()
    calls = {"n": 0}

    def second_fails(request, context):
        calls["n"] += 1
        if calls["n"] == 2:
            context.status_code = 503  # provably not applied; retries exhausted (retry_attempts=1)
            return {"code": 503, "error": "SERVICE UNAVAILABLE", "msg": "busy"}
        return added(request, context)

    requests_mock.post(BASE, json=second_fails)
    op = make(records=contacts(25), chunk_size=10, max_in_flight=1)
    with pytest.raises(AirflowException, match="A retry sends only the chunks not yet stored"):
        op.execute({"task_state_store": store})
    assert store.data[STATE_KEY]["acked"] == 1
    assert store.data[STATE_KEY]["unsure"] == []

    requests_mock.reset_mock()
    counts = op.execute({"task_state_store": store})

    sent = add_requests(requests_mock)
    assert [r.json()[0]["customer_id"] for r in sent] == ["C10", "C20"]
    assert counts["chunks_already_stored"] == 1
    assert counts["requests"] == 2
    assert counts["sent"] == counts["accepted"] == 25  # the whole upload, both tries


def test_with_two_in_flight_a_later_chunk_that_succeeded_is_not_resent(slow_client):
    from airflow_provider_wolkvox.client import WolkvoxBadRequestError

    store = FakeStore()

    def after_chunk_three_fail():
        while "C20" not in slow_client.done:  # chunk 3 finishes first
            time.sleep(0.01)
        raise WolkvoxBadRequestError("Wolkvox add_record failed: HTTP 400", status=400)

    slow_client.fail = {"C10": after_chunk_three_fail}
    op = make(records=contacts(30), chunk_size=10, max_in_flight=2)
    with fails_at_once(match="chunk 2"):
        op.execute({"task_state_store": store})
    saved = store.data[STATE_KEY]
    assert (saved["acked"], saved["extra"], saved["unsure"]) == (1, [2], [])

    slow_client.fail, slow_client.bodies = {}, []
    counts = op.execute({"task_state_store": store})
    assert [body[0]["customer_id"] for body in slow_client.bodies] == ["C10"]
    assert counts["chunks_already_stored"] == 2
    assert counts["sent"] == 30


def ambiguous_second_chunk(requests_mock):
    calls = {"n": 0}

    def respond(request, context):
        calls["n"] += 1
        if calls["n"] == 2:
            context.status_code = 502
            return {"code": 502, "error": "BAD GATEWAY", "msg": "upstream"}
        return added(request, context)

    requests_mock.post(BASE, json=respond)


def test_an_ambiguous_chunk_fails_the_try_and_is_not_resent(requests_mock):
    store = FakeStore()
    ambiguous_second_chunk(requests_mock)
    with pytest.raises(AirflowException) as err:
        make(records=contacts(30), chunk_size=10, max_in_flight=1).execute({"task_state_store": store})
    assert not isinstance(err.value, AirflowFailException)  # the retry resolves it
    assert "chunk 2 (rows 11-20, 10 records)" in str(err.value)
    assert "may have stored it" in str(err.value)
    assert len(add_requests(requests_mock)) == 2  # neither resent nor followed by chunk 3
    assert store.data[STATE_KEY]["unsure"] == [1]


def test_without_a_state_store_an_ambiguous_chunk_fails_for_good(requests_mock):
    ambiguous_second_chunk(requests_mock)
    with fails_at_once(match="would send every chunk again"):
        make(records=contacts(30), chunk_size=10, max_in_flight=1).execute({})


@pytest.mark.parametrize(
    ("found", "resent"),
    [({"C10", "C19"}, False), (set(), True)],
)
def test_the_retry_checks_an_ambiguous_chunk_with_find_record(requests_mock, found, resent):
    store = FakeStore()
    ambiguous_second_chunk(requests_mock)
    op = make(records=contacts(30), chunk_size=10, max_in_flight=1)
    with pytest.raises(AirflowException):
        op.execute({"task_state_store": store})

    requests_mock.reset_mock()
    requests_mock.post(BASE, json=added)

    def find(request, context):
        customer = request.qs["customer_id"][0].upper()
        rows = [{"customer_id": customer, "campaign_id": "1234"}] if customer in found else []
        return {"code": 200, "error": None, "msg": f"{len(rows)} records were found", "data": rows}

    requests_mock.get(BASE, json=find)
    counts = op.execute({"task_state_store": store})

    lookups = [r for r in requests_mock.request_history if "api=find_record" in r.url]
    assert [r.qs["customer_id"] for r in lookups] == [["c10"], ["c19"]]
    firsts = [r.json()[0]["customer_id"] for r in add_requests(requests_mock)]
    assert firsts == (["C10", "C20"] if resent else ["C20"])
    assert counts["chunks_already_stored"] == (1 if resent else 2)


def test_a_partly_found_ambiguous_chunk_needs_a_person(requests_mock):
    store = FakeStore()
    ambiguous_second_chunk(requests_mock)
    op = make(records=contacts(30), chunk_size=10, max_in_flight=1)
    with pytest.raises(AirflowException):
        op.execute({"task_state_store": store})
    requests_mock.reset_mock()
    requests_mock.get(
        BASE,
        [
            {"json": {"code": 200, "error": None, "msg": "1", "data": [{"customer_id": "C10"}]}},
            {"json": {"code": 200, "error": None, "msg": "0", "data": []}},
        ],
    )
    with fails_at_once(match="only part of it"):
        op.execute({"task_state_store": store})
    assert add_requests(requests_mock) == []


def test_template_fields():
    op = make(records=contacts(1))
    assert set(op.template_fields) >= {
        "campaign_id",
        "type_campaign",
        "path",
        "column_mapping",
        "wolkvox_conn_id",
    }


@pytest.mark.parametrize(
    "mapping", [None, {"phone": "tel1", "name": "customer_name", "junk": None}], ids=["plain", "mapped"]
)
def test_the_fast_csv_path_gives_the_same_records_and_errors_as_reading_then_cleaning(tmp_path, mapping):
    from airflow_provider_wolkvox.client.records import RecordValidator, read_rows

    phone, name = ("phone", "name") if mapping else ("tel1", "customer_name")
    junk = ",junk" if mapping else ""
    text = (
        f"\ufeff{phone},{name},email{junk}\n"
        f'3001,"Ana\nMaria",a@x.co{",j" if mapping else ""}\n'
        "\n"  # blank line: skipped
        ",Bo,\n"  # no phone
        "3003\n"  # short row: the rest is blank
        f"3004,Cy,c@x.co{',j' if mapping else ''},surplus\n"  # too many values
    )
    path = tmp_path / "c.csv"
    path.write_text(text, encoding="utf-8")
    validator = RecordValidator("predictive", mapping)

    def describe(item):
        number, value = item
        return (number, (value.field, value.reason) if isinstance(value, Exception) else value)

    slow = [describe(item) for item in validator.clean_rows(read_rows(path))]
    fast = [describe(item) for item in validator.read_records(path)]
    assert fast == slow
    assert [n for n, v in fast if isinstance(v, dict)] == [2, 6]
    checked = [(n, v is None) for n, v in validator.read_records(path, check_only=True)]
    assert checked == [(n, isinstance(v, dict)) for n, v in fast]


def test_an_unknown_csv_column_makes_every_row_invalid_naming_it(tmp_path):
    from airflow_provider_wolkvox.client.records import RecordValidator

    path = tmp_path / "c.csv"
    path.write_text("tel1,colour\n3001,red\n3002,blue\n")
    rows = list(RecordValidator("predictive").read_records(path))
    assert [(n, v.field) for n, v in rows] == [(2, "colour"), (3, "colour")]
