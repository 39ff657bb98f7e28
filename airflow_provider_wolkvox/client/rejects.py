"""The reject file: one CSV line per record left out of an upload, saying where and why, never what.

Plain Python with no Airflow import. The columns are ``row,field,reason`` (with that header): the
row number in the source, the field that decided, and the reason (an InvalidRecordError's or a
hygiene :class:`~airflow_provider_wolkvox.client.hygiene.Dropped`'s ``reason``). No phone number
and no name is ever written: the reasons this package produces quote neither, and as a second
guard any run of seven or more digits in a reason (a phone number, however punctuated) is written
as ``<number>``; ``row N`` keeps its number.

The file is opened on the first :meth:`RejectReport.add`, through the function given, so an
upload that rejects nothing leaves no file behind. Lines end with ``\\n`` whatever the platform.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from typing import Any, TextIO

from airflow_provider_wolkvox.client.errors import WolkvoxValidationError

HEADER = ("row", "field", "reason")
#: Seven or more digits, possibly after '+' or '(' and with spaces, dots, dashes or parentheses
#: between them, unless they follow "row " (a row number is not personal data).
_NUMBER = re.compile(r"(?<!row )(?<!\w)[+(]?[0-9](?:[ ().-]*[0-9]){6,}")
_LINE_BREAKS = re.compile(r"[\r\n]+")


class RejectReport:
    """Write rejected rows to a CSV file opened lazily by ``open_text`` (a text handle for writing).

    ``rows`` is how many lines were written (the header not counted). Use it as a context manager,
    or call :meth:`close`, which closes the file if one was opened.
    """

    def __init__(self, open_text: Callable[[], TextIO]) -> None:
        if not callable(open_text):
            raise WolkvoxValidationError(
                "open_text", "expected a function that opens the reject file for writing text"
            )
        self._open_text = open_text
        self._handle: TextIO | None = None
        self._writer: Any = None
        self._closed = False
        self._opened = False
        self.rows = 0

    @property
    def opened(self) -> bool:
        """Whether the file was opened (something was rejected); stays True after :meth:`close`."""
        return self._opened

    def add(self, row: int | None, field: str, reason: str) -> None:
        """Write one rejected row: its number (blank if unknown), the field and the reason."""
        writer = self._writer
        if writer is None:
            if self._closed:
                raise ValueError("the reject report is closed")
            self._handle = self._open_text()
            self._opened = True
            writer = self._writer = csv.writer(self._handle, lineterminator="\n")
            writer.writerow(HEADER)
        writer.writerow(("" if row is None else row, _one_line(field), _scrub(reason)))
        self.rows += 1

    def close(self) -> None:
        """Close the file if one was opened. Later calls do nothing."""
        self._closed = True
        handle, self._handle, self._writer = self._handle, None, None
        if handle is not None:
            handle.close()

    def __enter__(self) -> RejectReport:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _one_line(text: str) -> str:
    return _LINE_BREAKS.sub(" ", str(text))


def _scrub(reason: str) -> str:
    return _NUMBER.sub("<number>", _one_line(reason))


__all__ = ["HEADER", "RejectReport"]
