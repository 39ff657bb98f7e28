"""client/sources.py: rows from a binary stream, a DB-API cursor and a list; records.py's stream readers."""

from __future__ import annotations

import datetime
import io
import json
import uuid
from decimal import Decimal

import pytest

from airflow_provider_wolkvox.client.errors import WolkvoxValidationError
from airflow_provider_wolkvox.client.records import (
    InvalidRecordError,
    RecordValidator,
    read_rows,
    read_stream_rows,
)
from airflow_provider_wolkvox.client.sources import DEFAULT_BATCH_SIZE, file_rows, list_rows, sql_rows

BOM = b"\xef\xbb\xbf"


class Stream(io.BytesIO):
    """A binary stream that remembers being closed, and how often it was opened."""

    opened = 0

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        Stream.opened += 1
        self.was_closed = False

    def close(self) -> None:
        self.was_closed = True
        super().close()


def opener(data: bytes) -> tuple[list[Stream], object]:
    streams: list[Stream] = []

    def open_binary() -> Stream:
        streams.append(Stream(data))
        return streams[-1]

    return streams, open_binary


@pytest.fixture
def validator() -> RecordValidator:
    return RecordValidator("predictive", column_mapping={"phone": "tel1", "name": "customer_name"})


def plain(rows):
    """(row, record) with errors as (row, 'field: reason')."""
    return [(n, f"{r.field}: {r.reason}" if isinstance(r, InvalidRecordError) else r) for n, r in rows]


# --- InvalidRecordError.code -------------------------------------------------------------------


def test_invalid_record_error_has_a_reason_code_defaulting_to_invalid():
    old_style = InvalidRecordError("tel1", "no phone", 7)  # the positional signature still works
    assert (old_style.field, old_style.reason, old_style.row, old_style.code) == (
        "tel1",
        "no phone",
        7,
        "invalid",
    )
    assert InvalidRecordError.code == "invalid"
    coded = InvalidRecordError(
        field="tel2", message="not a valid phone number for region CO", row=3, code="invalid_phone"
    )
    assert coded.code == "invalid_phone" and coded.row == 3 and "row 3" in str(coded)


# --- file_rows: CSV and JSON Lines from a binary stream ---------------------------------------


def test_csv_from_a_stream_with_a_bom_numbers_rows_by_line(validator):
    data = BOM + b'name,phone,opt1\r\nAna,3001234567,x\r\n\r\nLuis,,y\r\n"Multi\nline",3009,\r\n'
    streams, open_binary = opener(data)
    rows = file_rows(validator, open_binary, "contacts.csv")
    assert streams == []  # nothing is opened before the first row is asked for
    assert plain(rows) == [
        (2, {"customer_name": "Ana", "tel1": "3001234567", "opt1": "x"}),
        (4, "tel1: no phone number; give at least one of tel1-tel10"),
        (5, {"customer_name": "Multi\nline", "tel1": "3009"}),
    ]
    assert len(streams) == 1 and streams[0].was_closed


def test_csv_stream_gives_the_same_rows_as_the_file(validator, tmp_path):
    data = BOM + b"name,phone\nAna,300\nBeto,301,extra\nCami\n"
    path = tmp_path / "c.csv"
    path.write_bytes(data)
    _, open_binary = opener(data)
    from_stream = plain(file_rows(validator, open_binary, "c.csv"))
    assert from_stream == plain(validator.read_records(path))
    assert from_stream[1] == (3, "record: has more values than the header has columns")
    assert plain(read_stream_rows(opener(data)[1], "c.csv")) == plain(read_rows(path))


def test_jsonl_from_a_stream_with_a_bom(validator):
    lines = [json.dumps({"name": "Ana", "phone": 3001234567}), "", "{not json", json.dumps({"phone": "301"})]
    data = BOM + "\n".join(lines).encode() + b"\n"
    streams, open_binary = opener(data)
    assert plain(file_rows(validator, open_binary, "x/contacts.jsonl")) == [
        (1, {"customer_name": "Ana", "tel1": "3001234567"}),
        (3, "record: not valid JSON (Expecting property name enclosed in double quotes)"),
        (4, {"tel1": "301"}),
    ]
    assert streams[0].was_closed


def test_a_jsonl_file_with_a_bom_reads_its_first_line(validator, tmp_path):
    # A byte-order mark used to make line 1 "not valid JSON" (JSON Lines were read as plain utf-8).
    path = tmp_path / "bom.ndjson"
    path.write_bytes(BOM + b'{"phone": "300"}\n')
    assert plain(validator.read_records(path)) == [(1, {"tel1": "300"})]
    assert list(read_rows(path)) == [(1, {"phone": "300"})]


def test_the_format_comes_from_file_format_or_the_name_and_is_checked_before_opening(validator):
    streams, open_binary = opener(b'{"tel1": "300"}\n')
    with pytest.raises(WolkvoxValidationError) as err:
        file_rows(validator, open_binary, "s3://bucket/export.txt")
    assert err.value.field == "file_format" and "export.txt" in str(err.value)
    assert streams == []
    assert plain(file_rows(validator, open_binary, "s3://bucket/export.txt", "jsonl")) == [
        (1, {"tel1": "300"})
    ]
    with pytest.raises(WolkvoxValidationError, match="file_format"):
        file_rows(validator, open_binary, "c.csv", "xlsx")


def test_a_stream_that_is_not_utf8_names_the_source(validator):
    streams, open_binary = opener(b"name,phone\nJos\xe9,300\n")  # Latin-1
    with pytest.raises(WolkvoxValidationError) as err:
        list(file_rows(validator, open_binary, "s3://b/latin1.csv"))
    assert err.value.field == "path" and "'s3://b/latin1.csv' is not UTF-8" in str(err.value)
    assert streams[0].was_closed


def test_a_bad_header_is_refused_and_the_stream_closed(validator):
    streams, open_binary = opener(b"phone,tel1,phone\n300,301,302\n")
    with pytest.raises(WolkvoxValidationError, match="repeats column"):
        list(file_rows(validator, open_binary, "c.csv"))
    assert streams[0].was_closed
    streams, open_binary = opener(b"phone,unknown\n300,x\n")
    assert plain(file_rows(validator, open_binary, "c.csv"))[0][1].startswith(
        "unknown: unknown field 'unknown'"
    )
    dropping = RecordValidator("predictive", column_mapping={"a": None})
    with pytest.raises(WolkvoxValidationError, match=r"drops every column of 'mem://c\.csv'"):
        list(file_rows(dropping, opener(b"a\n1\n")[1], "mem://c.csv"))


def test_a_stream_opened_but_left_unread_is_closed_when_the_rows_are(validator):
    streams, open_binary = opener(b"phone\n300\n301\n")
    rows = file_rows(validator, open_binary, "c.csv")
    assert next(rows) == (2, {"tel1": "300"})
    rows.close()  # the consumer stops early (e.g. an upload that failed)
    assert streams[0].was_closed


# --- sql_rows: an executed DB-API cursor --------------------------------------------------------


class FakeCursor:
    """A DB-API cursor over ``rows``; like a PostgreSQL server-side cursor, it has no description
    before the first fetch. Records every fetchmany size and what it returned."""

    def __init__(self, columns, rows, *, describe_before_fetch=False):
        self._columns = columns
        self._rows = list(rows)
        self._described = describe_before_fetch
        self.fetches: list[tuple[int, int]] = []

    @property
    def description(self):
        if not self._described or self._columns is None:
            return None
        return [(name, None, None, None, None, None, None) for name in self._columns]

    def fetchmany(self, size):
        self._described = True
        batch, self._rows = self._rows[:size], self._rows[size:]
        self.fetches.append((size, len(batch)))
        return batch

    def fetchall(self):  # pragma: no cover - must not be used
        raise AssertionError("sql_rows must fetch in batches")


def test_sql_rows_fetches_in_batches_and_numbers_rows_from_one(validator):
    rows = [(f"name{n}", f"30{n:08d}") for n in range(12)]
    cursor = FakeCursor(["name", "phone"], rows)
    stream = sql_rows(validator, cursor, batch_size=5)
    assert cursor.fetches == []  # nothing is fetched before the first row is asked for
    first = next(stream)
    assert first == (1, {"customer_name": "name0", "tel1": "3000000000"})
    assert cursor.fetches == [(5, 5)]  # one batch in memory at a time
    rest = list(stream)
    assert [n for n, _ in rest] == list(range(2, 13))
    assert cursor.fetches == [(5, 5), (5, 5), (5, 2), (5, 0)]


def test_sql_values_become_text_as_the_validator_makes_them(validator):
    when = datetime.datetime(2026, 11, 28, 9, 30, 5)
    ident = uuid.UUID("12345678-1234-5678-1234-567812345678")
    columns = ["phone", "customer_id", "opt1", "opt2", "opt3", "opt4", "opt5", "opt6", "name"]
    row = (
        Decimal("3001234567"),  # a NUMERIC phone column: digits, no '.0'
        Decimal("3001234567.000"),
        Decimal("12.50"),
        3001234567.0,  # a double precision column
        when,
        datetime.date(2026, 11, 28),
        ident,
        42,
        None,  # NULL: a blank, left out
    )
    assert list(sql_rows(validator, FakeCursor(columns, [row]))) == [
        (
            1,
            {
                "tel1": "3001234567",
                "customer_id": "3001234567",
                "opt1": "12.5",
                "opt2": "3001234567",
                "opt3": "2026-11-28T09:30:05",
                "opt4": "2026-11-28",
                "opt5": "12345678-1234-5678-1234-567812345678",
                "opt6": "42",
            },
        )
    ]


def test_decimals_without_exponents_and_times(validator):
    columns = ["phone", "opt1", "opt2", "opt3"]
    row = (Decimal("3E+9"), Decimal("0.0000001"), datetime.time(7, 5), "")
    assert list(sql_rows(validator, FakeCursor(columns, [row]))) == [
        (1, {"tel1": "3000000000", "opt1": "0.0000001", "opt2": "07:05:00"})
    ]


def test_sql_values_the_validator_refuses_make_the_row_invalid_naming_the_field(validator):
    columns = ["phone", "opt1"]
    rows = [("300", b"\x00\x01"), ("301", True), ("302", Decimal("NaN")), (None, "x"), ("303", "ok")]
    assert plain(sql_rows(validator, FakeCursor(columns, rows))) == [
        (1, "opt1: bytes value is not accepted; give text or a number"),
        (2, "opt1: bool value is not accepted; give text or a number"),
        (3, "opt1: Decimal value is not accepted; give text or a number"),
        (4, "tel1: no phone number; give at least one of tel1-tel10"),
        (5, {"tel1": "303", "opt1": "ok"}),
    ]


def test_sql_columns_are_mapped_and_unknown_ones_refused():
    mapped = RecordValidator("preview", column_mapping={"phone": "tel1", "internal_id": None})
    cursor = FakeCursor(["phone", "internal_id", "agent_id"], [("300", 7, "a1")])
    assert list(sql_rows(mapped, cursor)) == [(1, {"tel1": "300", "agent_id": "a1"})]
    predictive = RecordValidator("predictive")
    [(n, err)] = sql_rows(predictive, FakeCursor(["tel1", "agent_id"], [("300", "a1")]))
    assert isinstance(err, InvalidRecordError) and err.field == "agent_id" and n == 1


def test_dict_rows_from_a_dict_cursor(validator):
    cursor = FakeCursor(["name", "phone"], [{"name": "Ana", "phone": Decimal("300")}])
    assert list(sql_rows(validator, cursor)) == [(1, {"customer_name": "Ana", "tel1": "300"})]


def test_a_query_with_no_result_set_or_repeated_columns_is_refused(validator):
    with pytest.raises(WolkvoxValidationError) as err:
        list(sql_rows(validator, FakeCursor(None, [])))
    assert err.value.field == "sql" and "no result set" in str(err.value)
    with pytest.raises(WolkvoxValidationError, match=r"column\(s\) phone more than once; alias them"):
        list(sql_rows(validator, FakeCursor(["phone", "phone"], [("1", "2")])))


def test_an_empty_result_gives_no_rows(validator):
    cursor = FakeCursor(["phone"], [], describe_before_fetch=True)
    assert list(sql_rows(validator, cursor)) == []
    assert cursor.fetches == [(DEFAULT_BATCH_SIZE, 0)]


@pytest.mark.parametrize("size", [0, -1, 1.5, "100", True, None])
def test_batch_size_must_be_a_positive_whole_number(validator, size):
    with pytest.raises(WolkvoxValidationError) as err:
        sql_rows(validator, FakeCursor(["phone"], []), batch_size=size)
    assert err.value.field == "batch_size"


# --- list_rows --------------------------------------------------------------------------------


def test_list_rows_numbers_positions_from_one(validator):
    rows = list_rows(validator, [{"phone": "300"}, {"name": "x"}, "not a dict"])
    assert plain(rows) == [
        (1, {"tel1": "300"}),
        (2, "tel1: no phone number; give at least one of tel1-tel10"),
        (3, "record: expected an object, got str"),
    ]


@pytest.mark.parametrize("records", ["tel1", {"tel1": "300"}, b"x", 5])
def test_list_rows_wants_a_list(validator, records):
    with pytest.raises(WolkvoxValidationError) as err:
        list_rows(validator, records)
    assert err.value.field == "records"
