"""The reject file (client/rejects.py): row, field and reason of each record left out, opened only
when something is rejected, and never holding a phone number or a name."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import TextIO

import pytest

from airflow_provider_wolkvox.client import WolkvoxValidationError
from airflow_provider_wolkvox.client.hygiene import Dropped, Hygiene
from airflow_provider_wolkvox.client.records import InvalidRecordError, RecordValidator
from airflow_provider_wolkvox.client.rejects import RejectReport


class Opener:
    """An ``open_text`` that writes to a real file and counts how often it was called."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.calls = 0

    def __call__(self) -> TextIO:
        self.calls += 1
        return open(self.path, "w", newline="", encoding="utf-8")


def read_csv(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_nothing_rejected_leaves_no_file(tmp_path: Path) -> None:
    opener = Opener(tmp_path / "rejects.csv")
    with RejectReport(opener) as report:
        pass
    assert opener.calls == 0
    assert not opener.path.exists()
    assert (report.rows, report.opened) == (0, False)


def test_rows_are_written_under_one_header(tmp_path: Path) -> None:
    opener = Opener(tmp_path / "rejects.csv")
    with RejectReport(opener) as report:
        report.add(2, "tel1", "too short for region CO")
        report.add(5, "customer_id", "duplicate of an earlier row")
        report.add(None, "record", "not valid JSON (Expecting value)")
    assert opener.calls == 1
    assert read_csv(opener.path) == [
        ["row", "field", "reason"],
        ["2", "tel1", "too short for region CO"],
        ["5", "customer_id", "duplicate of an earlier row"],
        ["", "record", "not valid JSON (Expecting value)"],
    ]
    assert b"\r" not in opener.path.read_bytes()  # "\n" line endings on every platform
    assert report.rows == 3
    assert report.opened


def test_commas_quotes_and_line_breaks_in_a_reason_keep_one_line_per_row() -> None:
    buffer = io.StringIO()
    buffer.close = lambda: None  # type: ignore[method-assign]  # keep it readable after close()
    report = RejectReport(lambda: buffer)
    report.add(3, "opt1", 'unknown field "x", use opt1-opt12\nsecond line')
    report.close()
    assert buffer.getvalue().splitlines()[1] == '3,opt1,"unknown field ""x"", use opt1-opt12 second line"'


@pytest.mark.parametrize(
    "reason",
    [
        "tel1 3001234567 is blocked",
        "tel1 +57 300 123 4567 is blocked",
        "tel1 (601) 234-5678 is blocked",
        "tel1 300.123.4567 is blocked",
    ],
)
def test_a_phone_number_in_a_reason_is_never_written(reason: str) -> None:
    buffer = io.StringIO()
    report = RejectReport(lambda: buffer)
    report.add(2, "tel1", reason)
    line = buffer.getvalue().splitlines()[1]
    assert line == "2,tel1,tel1 <number> is blocked"


def test_row_numbers_and_short_numbers_in_a_reason_are_kept() -> None:
    buffer = io.StringIO()
    report = RejectReport(lambda: buffer)
    report.add(1234568, "customer_id", "duplicate of row 1234567")
    report.add(9, "tel1", "too short for region CO (max 10 digits, 3 given)")
    assert buffer.getvalue().splitlines()[1:] == [
        "1234568,customer_id,duplicate of row 1234567",
        '9,tel1,"too short for region CO (max 10 digits, 3 given)"',  # quoted: it has a comma
    ]


def test_adding_after_close_is_refused_and_close_twice_is_harmless(tmp_path: Path) -> None:
    opener = Opener(tmp_path / "rejects.csv")
    report = RejectReport(opener)
    report.add(2, "tel1", "too short for region CO")
    report.close()
    report.close()
    with pytest.raises(ValueError, match="closed"):
        report.add(3, "tel1", "too short for region CO")
    assert len(read_csv(opener.path)) == 2


def test_open_text_must_be_a_function() -> None:
    with pytest.raises(WolkvoxValidationError) as raised:
        RejectReport("rejects.csv")  # type: ignore[arg-type]
    assert raised.value.field == "open_text"


def test_a_cleaned_upload_reports_every_left_out_row_without_phones_or_names(tmp_path: Path) -> None:
    source = tmp_path / "contacts.csv"
    source.write_text(
        "customer_id,customer_name,tel1,tel2\n"
        "1,Ana Gómez,300 123 4567,\n"  # row 2: sent
        "2,Luis Pérez,12345,\n"  # row 3: invalid phone
        "1,Ana Gómez,3001234567,\n"  # row 4: duplicate id
        "3,Marta Ruiz,310 765 4321,\n"  # row 5: do-not-call
        "4,Juan Díaz,,\n"  # row 6: no phone (the validator's reject)
        "5,Eva Sanz,320 111 2222,(601) 234-5678\n",  # row 7: sent
        encoding="utf-8",
    )
    hygiene = Hygiene(default_region="CO", dedupe="customer_id")
    hygiene.block(["573107654321"])
    opener = Opener(tmp_path / "contacts.rejects.csv")
    sent = []
    with RejectReport(opener) as report:
        for row, item in hygiene.apply(RecordValidator("predictive").read_records(source)):
            if isinstance(item, (InvalidRecordError, Dropped)):
                report.add(row, item.field, item.reason)
            else:
                sent.append(item)
    assert [record["customer_id"] for record in sent] == ["1", "5"]
    assert sent[1]["tel2"] == "576012345678"
    assert read_csv(opener.path) == [
        ["row", "field", "reason"],
        ["3", "tel1", "too short for region CO"],
        ["4", "customer_id", "duplicate of an earlier row"],
        ["5", "tel1", "on the do-not-call list"],
        ["6", "tel1", "no phone number; give at least one of tel1-tel10"],
    ]
    written = opener.path.read_text(encoding="utf-8")
    for secret in ("Ana", "Luis", "Marta", "Juan", "12345", "765", "4321", "3001234567"):
        assert secret not in written
    assert report.rows == 4
    assert hygiene.counts == {
        "phones_normalised": 5,  # the duplicate's and the blocked record's phones too
        "phones_blocked": 0,
        "invalid_phone": 1,
        "do_not_call": 1,
        "duplicate": 1,
    }
