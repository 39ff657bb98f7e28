"""Campaign records: validation against the documented add_record fields, file reading, chunking.

Plain Python with no Airflow import, so a script can validate or upload a contact list itself::

    from airflow_provider_wolkvox.client.records import RecordValidator, read_rows

    validator = RecordValidator("predictive", column_mapping={"phone": "tel1"})
    for row_number, row in read_rows("contacts.csv"):
        record = validator.clean(row)  # raises InvalidRecordError naming the row and field

Field names are the vendor's (wolkvox-api.md C2.1/C2.2): ``customer_name`` ... ``address``,
``opt1``-``opt12``, ``tel1``-``tel10``, ``tel_extra``, ``email``, ``recall_date``,
``recall_telephone``, and ``agent_id`` for preview campaigns only. A record needs at least one
non-blank phone among ``tel1``-``tel10``, since Wolkvox cannot dial it otherwise.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from operator import itemgetter
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from airflow_provider_wolkvox.client.errors import WolkvoxValidationError
from airflow_provider_wolkvox.client.models import CampaignType

#: The documented cap of add_record: records per request.
MAX_RECORDS_PER_REQUEST = 10_000

PHONE_FIELDS = tuple(f"tel{n}" for n in range(1, 11))
#: Every field a record may carry, in the order the vendor's pages list them.
RECORD_FIELDS = (
    "customer_name",
    "customer_last_name",
    "id_type",
    "customer_id",
    "age",
    "gender",
    "country",
    "state",
    "city",
    "zone",
    "address",
    *(f"opt{n}" for n in range(1, 13)),
    *PHONE_FIELDS,
    "tel_extra",
    "email",
    "recall_date",
    "recall_telephone",
    "agent_id",
)
#: Fields only a preview campaign accepts (a predictive dialer does not assign records to agents).
PREVIEW_ONLY_FIELDS = frozenset({"agent_id"})
#: File formats read by :func:`read_rows`, by name and by file suffix.
FILE_FORMATS = ("csv", "jsonl")
_SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


class InvalidRecordError(WolkvoxValidationError):
    """One record is not accepted. ``row`` is its row number (see :func:`read_rows`), when known.

    ``code`` is a short reason code for counts per reason (``invalid`` unless a check says more,
    e.g. ``invalid_phone``); ``reason`` is the message without the row.
    """

    #: The reason code when none is given.
    code: str = "invalid"

    def __init__(self, field: str, message: str, row: int | None = None, code: str = "invalid") -> None:
        where = f"row {row}: " if row is not None else ""
        super().__init__(field, where + message)
        self.row = row
        self.reason = message
        self.code = code


class RecordValidator:
    """Turn input rows into add_record records, or say which field of which row is wrong.

    :param type_campaign: ``preview`` or ``predictive``; ``agent_id`` is refused for predictive.
    :param column_mapping: optional ``{source column: wolkvox field}``; a column mapped to ``None``
        is dropped. Unmapped columns must already be Wolkvox field names.
    """

    def __init__(
        self, type_campaign: CampaignType | str, column_mapping: Mapping[str, str | None] | None = None
    ) -> None:
        self.type_campaign = CampaignType.parse(type_campaign)
        self.allowed = frozenset(RECORD_FIELDS)
        if self.type_campaign is not CampaignType.PREVIEW:
            self.allowed -= PREVIEW_ONLY_FIELDS
        self.column_mapping = self._check_mapping(column_mapping)

    def _check_mapping(self, mapping: Mapping[str, str | None] | None) -> dict[str, str | None]:
        if mapping is None:
            return {}
        if not isinstance(mapping, Mapping):
            raise WolkvoxValidationError(
                "column_mapping", "expected a dict of {source column: wolkvox field}"
            )
        targets: dict[str, str] = {}
        for source, target in mapping.items():
            if not isinstance(source, str) or not (target is None or isinstance(target, str)):
                raise WolkvoxValidationError(
                    "column_mapping", f"{source!r}: {target!r} is not a pair of column names"
                )
            if target is None:
                continue
            if target not in self.allowed:
                raise WolkvoxValidationError(
                    "column_mapping",
                    f"{source!r} maps to {target!r}, which is not {self._field_hint(target)}",
                )
            if target in targets:
                raise WolkvoxValidationError(
                    "column_mapping", f"{targets[target]!r} and {source!r} both map to {target!r}"
                )
            targets[target] = source
        return dict(mapping)

    def _field_hint(self, name: str) -> str:
        if name in PREVIEW_ONLY_FIELDS:
            return f"accepted by {self.type_campaign.value} campaigns ({name} is for preview campaigns only)"
        return "a Wolkvox record field (customer_name, customer_id, tel1-tel10, opt1-opt12, email, ...)"

    def clean(self, row: Any, row_number: int | None = None) -> dict[str, str]:
        """The record to send for ``row``: mapped names, values as strings, blanks left out.

        Raises InvalidRecordError naming the first bad field.
        """
        if isinstance(row, InvalidRecordError):  # a line read_rows could not parse
            raise row
        if not isinstance(row, Mapping):
            raise InvalidRecordError("record", f"expected an object, got {type(row).__name__}", row_number)
        record: dict[str, str] = {}
        mapping = self.column_mapping
        for key, value in row.items():
            if key is None:  # csv.DictReader puts surplus cells under None
                raise InvalidRecordError("record", "has more values than the header has columns", row_number)
            name = mapping.get(key, key) if mapping else key
            if name is None:
                continue
            if name not in self.allowed:
                raise InvalidRecordError(
                    name, f"unknown field {name!r}; use {self._field_hint(name)}", row_number
                )
            if value is None or value == "":
                continue
            if isinstance(value, str):
                record[name] = value
            elif isinstance(value, int) and not isinstance(value, bool):
                record[name] = str(value)
            elif isinstance(value, float) and math.isfinite(value):
                record[name] = str(int(value)) if value.is_integer() else repr(value)
            else:
                raise InvalidRecordError(
                    name, f"{type(value).__name__} value is not accepted; give text or a number", row_number
                )
        for phone in PHONE_FIELDS:
            value = record.get(phone)
            if value is not None and value.strip():
                return record
        if not record and mapping and row and all(mapping.get(key, key) is None for key in row):
            raise InvalidRecordError(
                "column_mapping",
                "drops every field of the record; keep at least one phone (tel1-tel10)",
                row_number,
            )
        raise _no_phone(row_number)

    def clean_rows(
        self, rows: Iterable[tuple[int, Any]]
    ) -> Iterator[tuple[int, dict[str, str] | InvalidRecordError]]:
        """``(row number, record)`` for each row, with an InvalidRecordError in place of a bad record."""
        for row_number, row in rows:
            try:
                yield row_number, self.clean(row, row_number)
            except InvalidRecordError as exc:
                yield row_number, exc

    def read_records(
        self, path: str | os.PathLike[str], file_format: str | None = None, *, check_only: bool = False
    ) -> Iterator[tuple[int, dict[str, str] | InvalidRecordError | None]]:
        """Read and clean a CSV or JSON Lines file: ``(row number, record or InvalidRecordError)``.

        The same records as :func:`read_rows` followed by :meth:`clean`, but CSV files take a fast
        path: the header is mapped and checked once, and each row only drops blank cells and
        checks its phone columns. With ``check_only`` valid rows yield None instead of a record
        (a validation pass that builds nothing).
        """
        fmt = file_format_of(path, file_format)
        yield from self.read_stream(_opener(path), os.fspath(path), fmt, check_only=check_only)

    def read_stream(
        self,
        open_binary: Callable[[], BinaryIO],
        name: str,
        file_format: str | None = None,
        *,
        check_only: bool = False,
    ) -> Iterator[tuple[int, dict[str, str] | InvalidRecordError | None]]:
        """:meth:`read_records` of a binary stream: ``open_binary()`` opens it (on the first row
        asked for), ``name`` is what messages call it and tells the format when ``file_format``
        does not. The stream is read once, as UTF-8 (a byte-order mark is ignored), and closed.
        """
        fmt = file_format_of(name, file_format)
        with _text(open_binary, fmt) as handle:
            try:
                if fmt == "jsonl":
                    yield from self.clean_rows(_jsonl_lines(handle))
                else:
                    yield from self._csv_records(handle, name, check_only)
            except UnicodeDecodeError as exc:
                raise _not_utf8(name, exc) from None

    def _csv_records(
        self, handle: TextIO, name: str, check_only: bool
    ) -> Iterator[tuple[int, dict[str, str] | InvalidRecordError | None]]:
        reader = csv.reader(handle)
        header = next(reader, [])
        _check_header(header)
        columns: list[tuple[int, str]] = []  # (cell index, wolkvox field) of the kept columns
        bad_column: tuple[str, str] | None = None
        for index, column in enumerate(header):
            mapped = self.column_mapping.get(column, column) if self.column_mapping else column
            if mapped is None:
                continue
            if mapped not in self.allowed and bad_column is None:
                bad_column = (mapped, f"unknown field {mapped!r}; use {self._field_hint(mapped)}")
            columns.append((index, mapped))
        if header and not columns:
            raise WolkvoxValidationError(
                "column_mapping",
                f"drops every column of {name!r} ({', '.join(header)}); keep at least one "
                "phone column (mapped to tel1-tel10)",
            )
        phones = [index for index, field in columns if field in PHONE_FIELDS]
        names = [field for _, field in columns]
        # The kept cells of a row, in the order of ``names``; the identity when none is dropped.
        kept = itemgetter(*(index for index, _ in columns)) if len(columns) < len(header) else None
        width = len(header)
        line = reader.line_num
        for row in reader:
            number, line = line + 1, reader.line_num
            if not row:  # a blank line, as csv.DictReader skips it
                continue
            if len(row) != width:
                if len(row) > width:
                    yield (
                        number,
                        InvalidRecordError("record", "has more values than the header has columns", number),
                    )
                    continue
                row += [""] * (width - len(row))
            if bad_column is not None:
                yield number, InvalidRecordError(*bad_column, number)
                continue
            for index in phones:
                if row[index].strip():
                    break
            else:
                yield number, _no_phone(number)
                continue
            if check_only:
                yield number, None
            else:
                cells = row if kept is None else _as_tuple(kept(row))
                yield number, {field: value for field, value in zip(names, cells, strict=True) if value}


def file_format_of(path: str | os.PathLike[str], file_format: str | None = None) -> str:
    """``csv`` or ``jsonl``: the explicit ``file_format``, else the file's suffix."""
    if file_format is not None:
        fmt = str(file_format).lower()
        if fmt in ("ndjson", "jsonlines", "json_lines"):
            fmt = "jsonl"
        if fmt not in FILE_FORMATS:
            raise WolkvoxValidationError(
                "file_format", f"{file_format!r} is not accepted; use 'csv' or 'jsonl'"
            )
        return fmt
    suffix = Path(path).suffix.lower()
    if suffix not in _SUFFIXES:
        raise WolkvoxValidationError(
            "file_format",
            f"cannot tell the format of {os.fspath(path)!r} from its suffix; name it .csv, .jsonl or "
            ".ndjson, or pass file_format='csv' or 'jsonl'",
        )
    return _SUFFIXES[suffix]


def read_rows(path: str | os.PathLike[str], file_format: str | None = None) -> Iterator[tuple[int, Any]]:
    """Yield ``(row number, row)`` from a CSV or JSON Lines file, one row at a time.

    Row numbers are line numbers in the file, as an editor or spreadsheet shows them: in a CSV the
    header is line 1, so the first record is row 2; blank JSON Lines lines are skipped but
    counted. A JSON Lines line that is not valid JSON yields an InvalidRecordError instead of a
    row, so callers can report or skip it like any other invalid record. Files are read as
    UTF-8 (a byte-order mark is ignored).
    """
    fmt = file_format_of(path, file_format)
    yield from read_stream_rows(_opener(path), os.fspath(path), fmt)


def read_stream_rows(
    open_binary: Callable[[], BinaryIO], name: str, file_format: str | None = None
) -> Iterator[tuple[int, Any]]:
    """:func:`read_rows` of a binary stream (see :meth:`RecordValidator.read_stream`)."""
    fmt = file_format_of(name, file_format)
    with _text(open_binary, fmt) as handle:
        try:
            yield from _csv_lines(handle) if fmt == "csv" else _jsonl_lines(handle)
        except UnicodeDecodeError as exc:
            raise _not_utf8(name, exc) from None


def _opener(path: str | os.PathLike[str]) -> Callable[[], BinaryIO]:
    """A callable opening the local file ``path`` for binary reading."""

    def open_binary() -> BinaryIO:
        return open(path, "rb")

    return open_binary


def _text(open_binary: Callable[[], BinaryIO], fmt: str) -> io.TextIOWrapper:
    """The binary stream ``open_binary()`` as UTF-8 text (BOM dropped); closing it closes the stream.

    CSV keeps its line endings for the csv module (``newline=""``, as the csv docs ask); JSON
    Lines reads universal newlines, as a text-mode ``open`` does.
    """
    binary = open_binary()
    try:
        return io.TextIOWrapper(binary, encoding="utf-8-sig", newline="" if fmt == "csv" else None)
    except BaseException:
        binary.close()
        raise


def _not_utf8(name: str, exc: UnicodeDecodeError) -> WolkvoxValidationError:
    return WolkvoxValidationError(
        "path", f"{name!r} is not UTF-8 text (byte offset {exc.start}); save it as UTF-8"
    )


def _as_tuple(cells: Any) -> tuple[str, ...]:
    """itemgetter with one index returns the cell itself, with several a tuple."""
    return cells if isinstance(cells, tuple) else (cells,)


def _no_phone(row_number: int | None) -> InvalidRecordError:
    return InvalidRecordError("tel1", "no phone number; give at least one of tel1-tel10", row_number)


def _check_header(header: list[str]) -> None:
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        raise WolkvoxValidationError("path", f"the CSV header repeats column(s) {', '.join(duplicates)}")


def _csv_lines(handle: TextIO) -> Iterator[tuple[int, Any]]:
    reader = csv.reader(handle)
    header = next(reader, [])
    _check_header(header)
    width = len(header)
    line = reader.line_num
    for row in reader:
        # line_num is the physical line where the row ended; the row starts after the previous one.
        number, line = line + 1, reader.line_num
        if not row:  # a blank line
            continue
        # Shaped like csv.DictReader's rows: missing cells are None, surplus ones under None.
        record: dict[str | None, Any] = dict(zip(header, row, strict=False))
        if len(row) > width:
            record[None] = row[width:]
        for column in header[len(row) :]:
            record[column] = None
        yield number, record


def _jsonl_lines(handle: TextIO) -> Iterator[tuple[int, Any]]:
    for number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, InvalidRecordError("record", f"not valid JSON ({exc.msg})", number)


def encode_chunk(records: list[dict[str, str]]) -> bytes:
    """The add_record body for a chunk: one compact JSON array, encoded once."""
    return json.dumps(records, separators=(",", ":"), ensure_ascii=False).encode()


__all__ = [
    "FILE_FORMATS",
    "MAX_RECORDS_PER_REQUEST",
    "PHONE_FIELDS",
    "PREVIEW_ONLY_FIELDS",
    "RECORD_FIELDS",
    "InvalidRecordError",
    "RecordValidator",
    "encode_chunk",
    "file_format_of",
    "read_rows",
    "read_stream_rows",
]
