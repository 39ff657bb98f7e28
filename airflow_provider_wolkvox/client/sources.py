"""Row sources for an upload: a file stream, a SQL cursor, or a list, each as one row stream.

Plain Python with no Airflow import. Every source yields ``(row number, record)`` where the record
is what :meth:`RecordValidator.clean` makes of the row (Wolkvox field names, string values,
blanks left out) or the :class:`InvalidRecordError` saying why it is not accepted::

    from airflow_provider_wolkvox.client.records import RecordValidator
    from airflow_provider_wolkvox.client.sources import file_rows, sql_rows

    validator = RecordValidator("predictive", column_mapping={"phone": "tel1"})
    for number, record in file_rows(validator, lambda: open("c.csv", "rb"), "c.csv"):
        ...
    cursor = connection.cursor()
    cursor.execute("SELECT name AS customer_name, phone AS tel1 FROM contacts")
    for number, record in sql_rows(validator, cursor):
        ...

Row numbers: line numbers of the file (the CSV header is line 1), 1-based SQL rows, 1-based
positions in a list. Each source is read once, one row (or one ``fetchmany`` batch) at a time.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any, BinaryIO, cast

from airflow_provider_wolkvox.client.errors import WolkvoxValidationError
from airflow_provider_wolkvox.client.records import InvalidRecordError, RecordValidator, file_format_of

#: What each source yields.
Row = tuple[int, "dict[str, str] | InvalidRecordError"]
#: Rows fetched from a cursor at a time (``fetchmany``) when the caller does not say.
DEFAULT_BATCH_SIZE = 5000


def file_rows(
    validator: RecordValidator,
    open_binary: Callable[[], BinaryIO],
    name: str,
    file_format: str | None = None,
) -> Iterator[Row]:
    """The rows of a CSV or JSON Lines stream, cleaned by ``validator``.

    ``open_binary()`` opens the stream when the first row is asked for; it is read once as UTF-8
    (a byte-order mark is ignored) and closed at the end. ``name`` names it in messages and tells
    the format by its suffix (``.csv``, ``.jsonl``, ``.ndjson``) unless ``file_format`` is given;
    a format that cannot be told is refused here, before anything is opened. CSV files take
    :meth:`RecordValidator.read_records`' fast path.
    """
    fmt = file_format_of(name, file_format)
    return cast("Iterator[Row]", validator.read_stream(open_binary, name, fmt))


def sql_rows(validator: RecordValidator, cursor: Any, batch_size: int = DEFAULT_BATCH_SIZE) -> Iterator[Row]:
    """The rows of an executed DB-API ``cursor``, fetched ``batch_size`` at a time, cleaned by ``validator``.

    Column names come from ``cursor.description`` (read after the first fetch: a PostgreSQL
    server-side cursor has none before), so alias columns to Wolkvox field names in the query or
    map them with ``column_mapping``. Values: NULL is a blank; text stays as it is; integers and
    integral floats or decimals become their digits (a NUMERIC ``3001234567`` gives
    ``'3001234567'``, never ``'3001234567.0'``); other numbers their shortest decimal text; dates,
    times and timestamps ISO 8601 text (``2026-11-28``, ``2026-11-28T09:30:00``); UUIDs their text.
    Anything else (bytes, booleans, arrays...) makes the row invalid, naming the field. Rows can be
    tuples or mappings (a dict cursor). The cursor is not closed here.
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise WolkvoxValidationError(
            "batch_size", f"expected a whole number of rows of at least 1, got {batch_size!r}"
        )
    return _sql_rows(validator, cursor, batch_size)


def _sql_rows(validator: RecordValidator, cursor: Any, batch_size: int) -> Iterator[Row]:
    batch = cursor.fetchmany(batch_size)
    names = _column_names(cursor.description)
    clean = validator.clean
    number = 0
    while batch:
        for values in batch:
            number += 1
            if isinstance(values, Mapping):
                row = {key: _sql_value(value) for key, value in values.items()}
            else:
                row = {key: _sql_value(value) for key, value in zip(names, values, strict=True)}
            try:
                yield number, clean(row, number)
            except InvalidRecordError as exc:
                yield number, exc
        batch = cursor.fetchmany(batch_size)


def _column_names(description: Any) -> list[str]:
    if not description:
        raise WolkvoxValidationError(
            "sql", "the query returns no result set; give a SELECT (or a statement with RETURNING)"
        )
    names = [str(column[0]) for column in description]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise WolkvoxValidationError(
            "sql", f"the query returns column(s) {', '.join(repeated)} more than once; alias them (AS ...)"
        )
    return names


def _sql_value(value: Any) -> Any:
    """A database value as the validator takes it: text, int, float or None (else left to it to refuse)."""
    if value is None or type(value) is str:
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            return value  # the validator refuses it, naming the field
        if value == value.to_integral_value():
            return str(int(value))
        return format(value.normalize(), "f")
    if isinstance(value, (datetime.date, datetime.time)):  # datetime.datetime is a date
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def list_rows(validator: RecordValidator, records: Sequence[Any]) -> Iterator[Row]:
    """The records of a list (e.g. an upstream task's output), numbered from 1, cleaned by ``validator``."""
    if isinstance(records, (str, bytes, Mapping)) or not isinstance(records, Sequence):
        raise WolkvoxValidationError(
            "records", f"expected a list of record dicts, got {type(records).__name__}"
        )
    return validator.clean_rows(enumerate(records, start=1))


__all__ = ["DEFAULT_BATCH_SIZE", "Row", "file_rows", "list_rows", "sql_rows"]
