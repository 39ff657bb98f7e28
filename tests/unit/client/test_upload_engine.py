"""RecordUpload (client/upload.py) without Airflow: reading once, hygiene, rejects, verify, dry run.

The resume, reconcile and concurrency behaviour is also covered through the operator in
tests/unit/operators/test_records*.py; these tests drive the engine directly over requests_mock.
"""

from __future__ import annotations

import logging
import tracemalloc
import urllib.parse
from collections import Counter

import pytest
from task_store import FakeStore
from wolkvox_client_data import CAMPAIGN_URL, CAMPAIGNS_URL, INFO_URL, TOKEN

from airflow_provider_wolkvox.client import (
    RetrySettings,
    UploadResult,
    WolkvoxClient,
    WolkvoxNotFoundError,
    WolkvoxValidationError,
)
from airflow_provider_wolkvox.client.errors import UploadError
from airflow_provider_wolkvox.client.records import InvalidRecordError
from airflow_provider_wolkvox.client.upload import STATE_KEY, RecordUpload, check_settings

LOG = logging.getLogger("test_upload_engine")


class FakeWolkvox:
    """campaign.php add_record/find_record and information.php campaigns/get_dnc for campaign 777.

    ``records`` in the campaign list counts what add_record stored, plus ``before``. ``fail``
    maps the n-th add_record call to an answer status; ``lose`` records of every chunk are
    reported as added but not stored (a mismatch for verify).
    """

    def __init__(self, requests_mock, *, before=0, dnc=()):
        self.stored: list[dict[str, str]] = []
        self.before = before
        self.dnc = list(dnc)
        self.fail: dict[int, int] = {}
        self.lose = 0
        self.adds = 0
        self.history = requests_mock.request_history
        requests_mock.post(f"{CAMPAIGN_URL}?api=add_record", json=self.add_record)
        requests_mock.get(f"{CAMPAIGN_URL}?api=find_record", json=self.find_record)
        requests_mock.get(CAMPAIGNS_URL, json=self.campaigns)
        requests_mock.get(f"{INFO_URL}?api=get_dnc", json=self.get_dnc)

    def add_record(self, request, context):
        self.adds += 1
        if self.adds in self.fail:
            context.status_code = self.fail[self.adds]
            return {"code": context.status_code, "error": "ERROR", "msg": "failed"}
        batch = request.json()
        self.stored.extend(batch[self.lose :])
        context.status_code = 201
        total = str(len(batch))
        return {
            "code": 201,
            "error": None,
            "msg": f"{total} records were inserted",
            "data": [{"total_sent": total, "total_added": total, "total_rejected": "0"}],
        }

    def find_record(self, request, context):
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(request.url).query)
        rows = [r for r in self.stored if r.get("customer_id") == query["customer_id"][0]]
        return {"code": 200, "error": None, "msg": f"{len(rows)} records were found", "data": rows}

    def campaigns(self, request, context):
        row = {"campaign_id": "777", "campaign_name": "T", "records": str(self.before + len(self.stored))}
        return {"code": "", "error": None, "msg": "1 records were found", "data": [row]}

    def get_dnc(self, request, context):
        rows = [{"phone_number": n, "type": "outbound", "date_delete": "2026-01-01"} for n in self.dnc]
        return {"code": "200", "error": None, "msg": f"{len(rows)} records were found", "data": rows}

    def calls(self, api: str) -> int:
        return sum(1 for r in self.history if f"api={api}" in r.url)

    def order(self) -> list[str]:
        return [urllib.parse.parse_qs(urllib.parse.urlsplit(r.url).query)["api"][0] for r in self.history]


class Dropped:
    """The contract's shape of a record hygiene leaves out (client/hygiene.py)."""

    __slots__ = ("code", "field", "reason", "row")

    def __init__(self, row, field, reason, code):
        self.row, self.field, self.reason, self.code = row, field, reason, code


class FakeHygiene:
    """Drops repeated customer ids and blocked tel1 numbers, as client/hygiene.py's Hygiene would."""

    def __init__(self):
        self.blocked: set[str] = set()
        self.counts: Counter[str] = Counter()
        self.enabled = True

    def block(self, numbers):
        before = len(self.blocked)
        self.blocked.update(numbers)
        return len(self.blocked) - before

    def apply(self, rows):
        seen = set()
        for number, record in rows:
            if isinstance(record, dict):
                if record["tel1"] in self.blocked:
                    self.counts["do_not_call"] += 1
                    yield number, Dropped(number, "tel1", "on a do-not-call list", "do_not_call")
                    continue
                if record.get("customer_id") in seen:
                    self.counts["duplicate"] += 1
                    yield number, Dropped(number, "customer_id", "duplicate customer_id", "duplicate")
                    continue
                seen.add(record.get("customer_id"))
            yield number, record


class FakeRejects:
    """client/rejects.py's RejectReport: rows kept in a list."""

    def __init__(self):
        self.lines: list[tuple[int, str, str]] = []
        self.closed = False

    @property
    def rows(self):
        return len(self.lines)

    def add(self, row, field, reason):
        self.lines.append((row, field, reason))

    def close(self):
        self.closed = True


def contacts(n, start=0):
    return [{"customer_id": f"C{i}", "tel1": f"300{i:07d}"} for i in range(start, n)]


def numbered(records):
    return list(enumerate(records, start=1))


def bad(row, code=None):
    error = InvalidRecordError("tel1", "no phone number; give at least one of tel1-tel10", row)
    if code is not None:
        error.code = code
    return error


def make(rows, store=None, **kwargs):
    kwargs.setdefault("chunk_size", 10)
    kwargs.setdefault("max_in_flight", 1)
    kwargs.setdefault("client_factory", lambda: WolkvoxClient("0042", TOKEN, retry=RetrySettings(attempts=1)))
    return RecordUpload(
        campaign_id="777",
        type_campaign="predictive",
        rows=rows,
        store=store,
        log=LOG,
        **kwargs,
    )


def sent_ids(requests_mock):
    return [
        record["customer_id"]
        for request in requests_mock.request_history
        if "api=add_record" in request.url
        for record in request.json()
    ]


# ----------------------------------------------------------------------------- reading once


def test_fail_mode_reads_a_one_shot_stream_once_and_sends_only_after_the_last_row(requests_mock):
    fake = FakeWolkvox(requests_mock)
    seen = {}

    def rows():
        yield from numbered(contacts(25))
        seen["adds_when_read"] = fake.adds  # runs when the engine asks for the row after the last

    summary = make(rows()).run()

    assert seen["adds_when_read"] == 0  # every row was checked before anything was sent
    assert sent_ids(requests_mock) == [f"C{i}" for i in range(25)]
    assert summary["chunks"] == summary["chunks_sent_this_try"] == 3
    assert summary["valid_records"] == summary["sent"] == 25


def test_skip_mode_streams_sending_while_it_reads(requests_mock):
    fake = FakeWolkvox(requests_mock)
    seen = {}

    def rows():
        yield from numbered(contacts(25))
        seen["adds_when_read"] = fake.adds

    make(rows(), on_invalid="skip").run()
    assert seen["adds_when_read"] == 2  # chunks 1 and 2 went while the rest was read
    assert fake.adds == 3


class DiscardingClient:
    """add_records that keeps nothing, so that memory measured is the engine's own."""

    requests_sent = 0  # the engine reads it to count its calls

    def add_records(self, type_campaign, campaign_id, body, *, campaign_status=None):
        count = body.count(b'"tel1"')
        return UploadResult(count, count, 0, "ok")


def peak_bytes(records: int) -> int:
    def rows():
        for i in range(records):
            yield i + 1, {"customer_id": f"C{i:07d}", "customer_name": "Name " * 8, "tel1": f"3{i:09d}"}

    upload = RecordUpload(
        client_factory=DiscardingClient,
        campaign_id="777",
        type_campaign="predictive",
        rows=rows(),
        chunk_size=500,
        verify="off",
    )
    tracemalloc.start()
    try:
        assert upload.run()["sent"] == records
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_fail_mode_memory_does_not_grow_with_the_input(monkeypatch):
    from airflow_provider_wolkvox.client import upload

    monkeypatch.setattr(upload, "SPOOL_IN_MEMORY", 64 * 1024)  # the spool moves to disk early
    small, large = peak_bytes(5_000), peak_bytes(50_000)
    # 45,000 more records are ~4 MB of JSON; held in memory they would show here.
    assert large - small < 400_000, (small, large)


# ----------------------------------------------------------------------------- invalid and dropped rows


def test_invalid_rows_fail_before_anything_is_sent_and_go_to_the_reject_file(requests_mock):
    FakeWolkvox(requests_mock)
    rows = numbered(contacts(30))
    for number in (6, 11, 23):
        rows[number - 1] = (number, bad(number, "invalid_phone" if number == 11 else None))
    rejects = FakeRejects()

    with pytest.raises(UploadError) as err:
        make(iter(rows), rejects=rejects, reject_file="/data/c.rejects.csv").run()

    assert err.value.permanent
    message = str(err.value)
    assert "3 of 30 records are invalid, so nothing was sent: row 6 tel1: no phone number" in message
    assert "row 11 tel1" in message and "row 23 tel1" in message
    assert "The reject file /data/c.rejects.csv lists every one" in message
    assert requests_mock.call_count == 0
    assert [line[:2] for line in rejects.lines] == [(6, "tel1"), (11, "tel1"), (23, "tel1")]
    assert rejects.lines[0][2].startswith("no phone number") and rejects.closed


def test_skip_mode_counts_invalid_rows_per_code_and_writes_them_to_the_reject_file(requests_mock):
    FakeWolkvox(requests_mock)
    rows = numbered(contacts(10))
    rows[1] = (2, bad(2))
    rows[4] = (5, bad(5, "invalid_phone"))
    rows[7] = (8, bad(8, "invalid_phone"))
    rejects = FakeRejects()

    summary = make(iter(rows), on_invalid="skip", rejects=rejects, reject_file="r.csv").run()

    assert summary["rejected_by_reason"] == {"invalid": 1, "invalid_phone": 2}
    assert summary["skipped_invalid"] == 3 and summary["invalid_rows"] == [2, 5, 8]
    assert summary["reject_file"] == "r.csv" and [line[0] for line in rejects.lines] == [2, 5, 8]
    assert summary["sent"] == summary["valid_records"] == 7


def test_hygiene_drops_do_not_fail_the_upload_and_are_counted_and_rejected(requests_mock):
    FakeWolkvox(requests_mock)
    records = contacts(12)
    records[3] = dict(records[0])  # a duplicate customer id
    records[9] = dict(records[0])
    hygiene, rejects = FakeHygiene(), FakeRejects()

    summary = make(iter(numbered(records)), hygiene=hygiene, rejects=rejects, reject_file="r.csv").run()

    assert "C0" not in sent_ids(requests_mock)[1:] and len(sent_ids(requests_mock)) == 10
    assert summary["rejected_by_reason"] == {"duplicate": 2}
    assert summary["hygiene"] == {"duplicate": 2}
    assert summary["skipped_invalid"] == 0
    assert rejects.lines == [
        (4, "customer_id", "duplicate customer_id"),
        (10, "customer_id", "duplicate customer_id"),
    ]


def test_no_reject_file_means_none_in_the_summary_and_a_line_in_the_log(requests_mock, caplog):
    FakeWolkvox(requests_mock)
    rows = [*numbered(contacts(3)), (4, bad(4))]
    with caplog.at_level(logging.INFO, LOG.name):
        summary = make(iter(rows), on_invalid="skip").run()
    assert summary["reject_file"] is None
    assert "No reject file is written" in caplog.text


# ----------------------------------------------------------------------------- Wolkvox's do-not-call list


def test_wolkvox_dnc_is_fetched_once_before_reading_and_blocked(requests_mock):
    fake = FakeWolkvox(requests_mock, dnc=["3000000002", "3000000005", "573009999999"])
    hygiene = FakeHygiene()
    seen = {}

    def rows():
        seen["get_dnc_before_reading"] = fake.calls("get_dnc")
        yield from numbered(contacts(8))

    summary = make(rows(), hygiene=hygiene, wolkvox_dnc=True).run()

    assert seen["get_dnc_before_reading"] == 1 and fake.calls("get_dnc") == 1
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(requests_mock.request_history[0].url).query) == {
        "api": ["get_dnc"],
        "type": ["outbound"],
    }
    assert sent_ids(requests_mock) == ["C0", "C1", "C3", "C4", "C6", "C7"]
    assert summary["rejected_by_reason"] == {"do_not_call": 2}


# ----------------------------------------------------------------------------- verification


def test_verify_reads_the_count_before_the_first_chunk_and_after_the_last(requests_mock):
    fake = FakeWolkvox(requests_mock, before=40)
    summary = make(iter(numbered(contacts(25)))).run()
    assert fake.order() == ["campaigns", "add_record", "add_record", "add_record", "campaigns"]
    assert (summary["verified"], summary["records_before"], summary["records_after"]) == (True, 40, 65)


def test_a_count_that_grew_less_than_accepted_is_a_warning_by_default(requests_mock, caplog):
    fake = FakeWolkvox(requests_mock, before=3)
    fake.lose = 1  # Wolkvox says it added every record, but one per chunk is missing
    with caplog.at_level(logging.WARNING, LOG.name):
        summary = make(iter(numbered(contacts(25)))).run()
    assert (summary["verified"], summary["records_before"], summary["records_after"]) == (False, 3, 25)
    assert summary["accepted"] == 25
    assert "record count grew by 22 (3 before the upload, 25 now), but Wolkvox accepted 25" in caplog.text
    assert "verify='warn'" in caplog.text


def test_verify_fail_fails_for_good_on_a_mismatch(requests_mock):
    fake = FakeWolkvox(requests_mock)
    fake.lose = 1
    with pytest.raises(UploadError, match=r"grew by 22 .* but Wolkvox accepted 25") as err:
        make(iter(numbered(contacts(25))), verify="fail").run()
    assert err.value.permanent


def test_verify_off_reads_no_count(requests_mock):
    fake = FakeWolkvox(requests_mock)
    summary = make(iter(numbered(contacts(5))), verify="off").run()
    assert fake.calls("campaigns") == 0
    assert (summary["verified"], summary["records_before"], summary["records_after"]) == (None, None, None)


def test_a_retry_compares_with_the_count_the_first_try_read(requests_mock):
    fake = FakeWolkvox(requests_mock, before=7)
    fake.fail = {2: 503}  # provably not stored: the try fails, a retry sends the rest
    store = FakeStore()
    with pytest.raises(UploadError) as err:
        make(iter(numbered(contacts(25))), store).run()
    assert not err.value.permanent
    assert store.data[STATE_KEY]["records_before"] == 7

    requests_mock.reset_mock()
    summary = make(iter(numbered(contacts(25))), store).run()

    # Read once, after the last chunk: a second baseline would already hold chunk 1.
    assert fake.calls("campaigns") == 1
    assert (summary["verified"], summary["records_before"], summary["records_after"]) == (True, 7, 32)
    assert summary["accepted"] == 25 and summary["accepted_this_try"] == 15


def test_a_count_that_cannot_be_read_leaves_the_upload_unverified(requests_mock, caplog):
    FakeWolkvox(requests_mock)
    requests_mock.get(CAMPAIGNS_URL, json={"code": "", "error": None, "msg": "0 records", "data": []})
    with caplog.at_level(logging.WARNING, LOG.name):
        summary = make(iter(numbered(contacts(5)))).run()
    assert summary["sent"] == 5 and summary["verified"] is None
    assert "Cannot read campaign 777's record count, so the upload is not verified" in caplog.text

    requests_mock.reset_mock()
    with pytest.raises(WolkvoxNotFoundError):  # verify="fail": nothing is sent unverified
        make(iter(numbered(contacts(5))), verify="fail").run()
    assert sent_ids(requests_mock) == []


# ----------------------------------------------------------------------------- dry run


def test_dry_run_does_everything_but_send(requests_mock):
    fake = FakeWolkvox(requests_mock, dnc=["3000000004"])
    store, hygiene, rejects = FakeStore(), FakeHygiene(), FakeRejects()
    rows = [*numbered(contacts(25)), (26, bad(26))]

    summary = make(
        iter(rows),
        store,
        on_invalid="skip",
        hygiene=hygiene,
        wolkvox_dnc=True,
        rejects=rejects,
        reject_file="r.csv",
        dry_run=True,
    ).run()

    assert fake.order() == ["get_dnc"]  # no add_record, no count for verify
    assert store.writes == 0
    assert summary["dry_run"] is True
    assert (summary["valid_records"], summary["chunks"], summary["sent"], summary["requests"]) == (
        24,
        3,
        0,
        0,
    )
    assert summary["rejected_by_reason"] == {"do_not_call": 1, "invalid": 1}
    assert [line[0] for line in rejects.lines] == [5, 26]
    assert summary["verified"] is None and summary["api_calls"] == 1


# ----------------------------------------------------------------------------- calls, errors, settings


def test_api_calls_counts_every_call_of_the_try(requests_mock):
    FakeWolkvox(requests_mock)
    summary = make(iter(numbered(contacts(25))), hygiene=FakeHygiene(), wolkvox_dnc=True).run()
    assert summary["api_calls"] == requests_mock.call_count == 6  # get_dnc, 2 counts, 3 add_record


def test_api_calls_counts_the_requests_the_client_retried(requests_mock):
    fake = FakeWolkvox(requests_mock)
    fake.fail = {2: 503}  # the second add_record answers 503 once: provably not stored, sent again
    client = WolkvoxClient("0042", TOKEN, retry=RetrySettings(attempts=2, min_delay=0, max_delay=0))
    summary = make(iter(numbered(contacts(25))), client_factory=lambda: client).run()
    assert fake.calls("add_record") == 4
    assert summary["api_calls"] == requests_mock.call_count == 6  # 2 counts, 4 add_record
    assert summary["requests"] == 3  # add_record calls the engine made; the client sent one twice


@pytest.mark.parametrize(
    ("status", "with_store", "permanent", "says"),
    [
        (400, True, True, "chunk 2 (rows 11-20, 10 records) failed"),
        (503, True, False, "A retry sends only the chunks not yet stored"),
        (503, False, True, "Without a task state store"),
        (502, True, False, "may have stored it"),
        (502, False, True, "may have stored it"),
    ],
)
def test_upload_error_says_whether_a_retry_can_help(requests_mock, status, with_store, permanent, says):
    fake = FakeWolkvox(requests_mock)
    fake.fail = {2: status}
    with pytest.raises(UploadError) as err:
        make(iter(numbered(contacts(25))), FakeStore() if with_store else None).run()
    assert err.value.permanent is permanent
    assert says in str(err.value)
    assert fake.adds == 2  # nothing after the failed chunk


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ((0, 2, "fail", "warn"), "chunk_size"),
        ((10_001, 2, "fail", "warn"), "chunk_size"),
        ((True, 2, "fail", "warn"), "chunk_size"),
        ((10, 3, "fail", "warn"), "max_in_flight"),
        ((10, 2, "ignore", "warn"), "on_invalid"),
        ((10, 2, "fail", "strict"), "verify"),
    ],
)
def test_settings_are_refused_naming_the_argument(args, field):
    with pytest.raises(WolkvoxValidationError, match=f"Invalid {field}: .* is not accepted"):
        check_settings(*args)
    with pytest.raises(WolkvoxValidationError, match=f"Invalid {field}"):
        RecordUpload(
            client_factory=DiscardingClient,
            campaign_id="777",
            type_campaign="predictive",
            rows=[],
            chunk_size=args[0],
            max_in_flight=args[1],
            on_invalid=args[2],
            verify=args[3],
        )
