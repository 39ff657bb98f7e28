"""Load contacts into a Wolkvox campaign: validated, chunked, streamed and resumable across retries."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_wolkvox._compat import AirflowException, AirflowFailException, task_state_store
from airflow_provider_wolkvox.operators.base import (
    DEFAULT_CONN_ID,
    WolkvoxBaseOperator,
    fail_fast_on_permanent_errors,
)

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

    from airflow_provider_wolkvox._compat import Context
    from airflow_provider_wolkvox.client import UploadResult, WolkvoxClient
    from airflow_provider_wolkvox.client.records import RecordValidator

#: Key under which the upload's progress is kept in the task state store.
STATE_KEY = "wolkvox_upload_records"
#: Version of the progress record; 2 identifies chunks by a hash of their content.
STATE_VERSION = 2
#: Seconds between two progress lines in the task log.
PROGRESS_EVERY = 5.0
#: How many invalid rows are logged one by one, and how many row numbers the XCom lists.
LOGGED_INVALID_ROWS = 20
RETURNED_INVALID_ROWS = 100
#: How many invalid rows the error of on_invalid="fail" quotes.
QUOTED_INVALID_ROWS = 5

#: Reads the input: ``(row number, record, or InvalidRecordError, or None when check_only)``.
Rows = Callable[..., Iterator[tuple[int, Any]]]


class UploadCampaignRecordsOperator(WolkvoxBaseOperator):
    """Upload contact records into a Wolkvox campaign (add_record), in chunks of up to 10,000.

    Give the records either as ``records`` (a list of dicts, or an upstream task's output) or as
    ``path``, a local CSV or JSON Lines file. Files are streamed: memory does not grow with the
    file's size (only ``max_in_flight`` encoded chunks are held at a time). Object-storage URLs
    are not read; copy the file to local disk first.

    **Contact data is data, not a template.** ``records`` is not a templated field: a name
    containing ``{{`` or ``{#`` is sent as it is, and no record is ever stored as a rendered field
    or shown in the UI's Rendered Template view. An upstream task's output (``records=task.output``
    or a TaskFlow call) is pulled from XCom in ``execute()``; a Jinja string is refused.

    Every record is checked against the documented fields before it is sent: known field names
    only (after ``column_mapping``), text or number values, and at least one phone in
    ``tel1``-``tel10``. With ``on_invalid="fail"`` (default) the whole input is checked first
    and nothing is sent if any row is invalid; the error lists the first bad rows with their row
    numbers and fields. With ``on_invalid="skip"`` invalid rows are left out, logged with their row
    numbers and counted. Row numbers are line numbers in a file (the CSV header is line 1) or
    1-based positions in ``records``.

    **Retries.** On Airflow 3.3+ the task remembers in its task state store which chunks Wolkvox
    acknowledged, with a hash of each chunk's content (the records as sent, after
    ``column_mapping``). A later try of the same task instance skips a chunk only if its content
    is the same, so a file copied again with the same bytes resumes where it stopped. If the
    content of a stored chunk changed (a different file or list, another ``column_mapping`` or
    ``chunk_size``), the task fails before sending anything, naming the stored chunks; set
    ``resume=False`` to send everything again. A chunk whose outcome is unknown (a timeout or
    dropped connection after it was sent, a 500/502/504, or a worker killed mid-request) is never
    re-sent blindly: the try fails saying so, and the next try looks up the chunk's first and last
    record with ``find_record`` (by ``customer_id``, else by first phone). Both found: the chunk is
    counted as stored; neither found: it is sent; one of two: the task fails for a person to
    decide. This check assumes those records were not already in the campaign from elsewhere.
    Without a task state store (Airflow before 3.3) a retry would send everything again, so once a
    chunk has been stored any failure fails the task without retrying.

    **Clearing a successful upload** (Airflow 3.3): clearing a task instance does not delete its
    task state store, so the cleared task compares the input with what it stored, sends only
    chunks that were never stored (nothing, if the input is unchanged) and returns
    ``sent_this_try=0``. With ``[state_store] clear_on_success = True`` Airflow deletes the store
    when the task succeeds, and a cleared task sends every record again; so does ``resume=False``.

    Returns (XCom): ``sent``, ``accepted`` and ``rejected``, records of the whole upload as
    Wolkvox reported them, earlier tries included; ``sent_this_try``, ``accepted_this_try``,
    ``rejected_this_try``, ``requests`` (add_record calls) and ``chunks_sent_this_try`` for this
    try only; ``chunks`` (in the input), ``chunks_already_stored`` (not sent by this try because
    an earlier one stored them), ``skipped_invalid`` and ``invalid_rows`` (the first 100 row
    numbers left out by ``on_invalid="skip"``).

    :param campaign_id: the campaign's id, typically ``create.output`` (templated).
    :param type_campaign: ``preview`` or ``predictive``, any case (templated).
    :param records: a list of record dicts, or an upstream task's output (an XComArg); not
        templated. Exclusive with ``path``.
    :param path: a local ``.csv``, ``.jsonl`` or ``.ndjson`` file (templated). CSV files are
        UTF-8 with a header row of field names. Exclusive with ``records``.
    :param file_format: ``csv`` or ``jsonl`` when the suffix does not tell (templated).
    :param column_mapping: ``{source column: wolkvox field}``; map a column to ``None`` to drop it.
        Unmapped columns must be Wolkvox field names (templated).
    :param on_invalid: ``fail`` (default) or ``skip``; see above.
    :param chunk_size: records per add_record request, 1-10,000 (the documented maximum, and
        the default).
    :param max_in_flight: requests in flight at once, 1 or 2 (default 2, the per-token limit).
        Use 1 when other tasks share the token at the same time. Also the default ``pool_slots``,
        so the task takes as many pool slots as it has requests in flight.
    :param resume: skip the chunks an earlier try of this task instance stored (default True).
        ``False`` sends every chunk again: records already stored are then in the campaign twice.
    :param campaign_status: optional ``campaign_status`` query value of add_record (its values
        are not documented; real clients send ``start``, ``stopped`` or ``1``) (templated).
    :param wolkvox_conn_id: the Wolkvox connection, ``wolkvox_default`` by default (templated).
    """

    # ``records`` is deliberately absent: contact data must never be rendered or stored as a
    # rendered field (see the class docstring).
    template_fields: Sequence[str] = (
        "campaign_id",
        "type_campaign",
        "path",
        "file_format",
        "column_mapping",
        "campaign_status",
        "wolkvox_conn_id",
    )
    template_fields_renderers = {"column_mapping": "json"}
    ui_color = "#e8f4fd"

    def __init__(
        self,
        *,
        campaign_id: str | int,
        type_campaign: str,
        records: Any = None,
        path: str | os.PathLike[str] | None = None,
        file_format: str | None = None,
        column_mapping: Mapping[str, str | None] | None = None,
        on_invalid: str = "fail",
        chunk_size: int = 10_000,
        max_in_flight: int = 2,
        resume: bool = True,
        campaign_status: str | None = None,
        wolkvox_conn_id: str = DEFAULT_CONN_ID,
        **kwargs: Any,
    ) -> None:
        # The upload holds up to max_in_flight requests at once, so by default it takes that many
        # slots: a `wolkvox` pool of 2 slots then really caps the token at 2 requests in flight.
        # An explicit pool_slots (argument or default_args) wins; a bad max_in_flight is refused
        # in execute(), with the other arguments.
        if (
            "pool_slots" not in kwargs
            and "pool_slots" not in (kwargs.get("default_args") or {})
            and max_in_flight in (1, 2)
            and not isinstance(max_in_flight, bool)
        ):
            kwargs["pool_slots"] = max_in_flight
        super().__init__(wolkvox_conn_id=wolkvox_conn_id, **kwargs)
        self.campaign_id = campaign_id
        self.type_campaign = type_campaign
        self.records = records
        self.path = path
        self.file_format = file_format
        self.column_mapping = column_mapping
        self.on_invalid = on_invalid
        self.chunk_size = chunk_size
        self.max_in_flight = max_in_flight
        self.resume = resume
        self.campaign_status = campaign_status
        self._upload: _Upload | None = None
        if _is_xcom_arg(records):
            # Airflow sets dependencies (and resolves values) only for templated fields, and
            # records is not one: the dependency is set here, the value is pulled in execute().
            for producer, _ in records.iter_references():
                self.set_upstream(producer)

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_provider_wolkvox.client.models import CampaignType, parse_id, parse_text
        from airflow_provider_wolkvox.client.records import RecordValidator

        with fail_fast_on_permanent_errors():
            # Validated here, after rendering, because templated values only exist now.
            kind = CampaignType.parse(self.type_campaign)
            campaign_id = parse_id(self.campaign_id, "campaign_id")
            if self.campaign_status is not None:
                parse_text(self.campaign_status, "campaign_status", required=True)
            on_invalid = self._check_choices()
            validator = RecordValidator(kind, self.column_mapping)
            rows = self._source(validator, context)

        pool_slots = getattr(self, "pool_slots", None)
        if isinstance(pool_slots, int) and pool_slots < self.max_in_flight:
            self.log.warning(
                "max_in_flight=%d but pool_slots=%d: the pool counts fewer requests than this task "
                "sends at once",
                self.max_in_flight,
                pool_slots,
            )
        store = task_state_store(context)
        self._upload = upload = _Upload(
            self,
            campaign_id=campaign_id,
            type_campaign=kind.value,
            rows=rows,
            skip_invalid=on_invalid == "skip",
            state=_ProgressState.load(store, campaign_id, kind.value, resume=self._resume, log=self.log),
        )
        if not upload.skip_invalid:
            upload.validate_all()
        return upload.run(lambda: self.hook.get_conn())

    def on_kill(self) -> None:
        """Stop sending: requests in flight finish and are remembered, no further chunk is sent."""
        if self._upload is not None:
            self._upload.stop()

    def _check_choices(self) -> str:
        from airflow_provider_wolkvox.client.errors import WolkvoxValidationError
        from airflow_provider_wolkvox.client.models import parse_bool, parse_choice
        from airflow_provider_wolkvox.client.records import MAX_RECORDS_PER_REQUEST

        on_invalid = parse_choice(self.on_invalid, "on_invalid", ("fail", "skip"))
        size = self.chunk_size
        if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_RECORDS_PER_REQUEST:
            raise WolkvoxValidationError(
                "chunk_size",
                f"{size!r} is not accepted; give 1 to {MAX_RECORDS_PER_REQUEST:,} (the limit per request)",
            )
        if self.max_in_flight not in (1, 2) or isinstance(self.max_in_flight, bool):
            raise WolkvoxValidationError(
                "max_in_flight", f"{self.max_in_flight!r} is not accepted; Wolkvox allows 1 or 2 per token"
            )
        # The same flag spellings as every other flag: the text "no" means False, not truthy.
        self._resume = parse_bool(self.resume, "resume")
        return on_invalid

    def _source(self, validator: RecordValidator, context: Context) -> Rows:
        """How to read the cleaned input: a callable, so it can be read twice."""
        from airflow_provider_wolkvox.client.errors import WolkvoxValidationError
        from airflow_provider_wolkvox.client.records import file_format_of

        records = self.records
        if _is_xcom_arg(records):
            records = records.resolve(context)
        if (records is None) == (self.path is None):
            raise WolkvoxValidationError("records", "give either records (a list of dicts) or path, not both")
        if self.path is not None:
            if not isinstance(self.path, (str, os.PathLike)) or "://" in os.fspath(self.path):
                raise WolkvoxValidationError(
                    "path", f"{self.path!r} is not accepted; give a local file path (URLs are not read)"
                )
            path = os.path.abspath(os.fspath(self.path))
            fmt = file_format_of(path, self.file_format)
            try:
                os.stat(path)
            except OSError as exc:
                raise WolkvoxValidationError("path", f"cannot read {path!r}: {exc.strerror}") from None
            if not os.path.isfile(path):
                raise WolkvoxValidationError("path", f"{path!r} is not a file")
            return lambda check_only=False: validator.read_records(path, fmt, check_only=check_only)
        if isinstance(records, str):
            raise WolkvoxValidationError(
                "records",
                "expected a list of record dicts, got str. records is not templated (contact data is never "
                "rendered): pass an upstream task's output (records=task.output) instead of a Jinja string",
            )
        if isinstance(records, (bytes, Mapping)) or not isinstance(records, Sequence):
            raise WolkvoxValidationError(
                "records", f"expected a list of record dicts, got {type(records).__name__}"
            )
        return lambda check_only=False: validator.clean_rows(enumerate(records, start=1))


def _is_xcom_arg(value: Any) -> bool:
    """Whether ``value`` is an upstream task's output (an XComArg), without importing Airflow's class."""
    return callable(getattr(value, "resolve", None)) and callable(getattr(value, "iter_references", None))


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _chain(prefix: str, digest: str) -> str:
    """The hash of a run of chunks, extended by one more chunk's hash."""
    return _digest(f"{prefix}:{digest}".encode())


def _chunks_text(first: int, last: int, first_row: int, last_row: int) -> str:
    """``chunk 2 (rows 11-20)`` or ``chunks 1-3 (rows 2-30001)``; indexes are 0-based."""
    which = f"chunk {first + 1}" if first == last else f"chunks {first + 1}-{last + 1}"
    return f"{which} (rows {first_row}-{last_row})"


class _ProgressState:
    """Which chunks Wolkvox holds, and their content, kept in the task state store after every change.

    Chunks ``0..acked-1`` are stored: ``prefix`` chains their content hashes and ``prefix_rows``
    are their first and last row numbers. ``extra`` are stored chunks past that prefix (with two
    requests in flight a later chunk can finish first); ``unsure`` were sent without a clear
    answer, or were in flight when the worker died, and must be checked before being sent again.
    ``chunks`` holds ``[content hash, first row, last row]`` of each extra or unsure chunk.
    """

    def __init__(
        self, store: Any, campaign_id: str, type_campaign: str, saved: Mapping[str, Any] | None = None
    ) -> None:
        saved = saved or {}
        self.store = store
        self.campaign_id = campaign_id
        self.type_campaign = type_campaign
        self.acked: int = int(saved.get("acked", 0))
        self.prefix: str = str(saved.get("prefix", ""))
        self.prefix_rows: list[int] = [int(n) for n in saved.get("prefix_rows", [0, 0])]
        self.extra: set[int] = set(saved.get("extra", []))
        self.unsure: set[int] = set(saved.get("unsure", []))
        self.chunks: dict[int, tuple[str, int, int]] = {
            int(index): (str(digest), int(first), int(last))
            for index, (digest, first, last) in saved.get("chunks", {}).items()
        }
        self.totals: dict[str, int] = {
            key: int(saved.get(key, 0)) for key in ("sent", "accepted", "rejected")
        }

    @classmethod
    def load(
        cls, store: Any, campaign_id: str, type_campaign: str, *, resume: bool, log: Any
    ) -> _ProgressState:
        fresh = cls(store, campaign_id, type_campaign)
        saved = store.get(STATE_KEY) if store is not None else None
        if not isinstance(saved, Mapping):
            return fresh
        stored = int(saved.get("acked", 0)) + len(saved.get("extra", [])) + len(saved.get("unsure", []))
        if not resume:
            if stored:
                log.warning(
                    "resume=False: ignoring the %d chunk(s) an earlier try stored (or may have stored) in "
                    "campaign %s; every chunk is sent again, so their records may now be in it twice",
                    stored,
                    saved.get("campaign_id", "?"),
                )
            fresh.save()  # the earlier progress no longer describes this upload
            return fresh
        if (saved.get("campaign_id"), saved.get("type_campaign")) != (campaign_id, type_campaign):
            if stored and saved.get("version") == STATE_VERSION:
                log.warning(
                    "An earlier try uploaded to %s campaign %s, not to %s campaign %s; starting from the "
                    "first chunk",
                    saved.get("type_campaign"),
                    saved.get("campaign_id"),
                    type_campaign,
                    campaign_id,
                )
                return fresh
            if stored:  # progress of an older provider version, which did not record content
                raise AirflowFailException(
                    f"An earlier try stored {stored} chunk(s) of this upload, but its saved progress does "
                    "not say what they contained, so this try cannot tell which records Wolkvox holds. "
                    "Set resume=False to send everything again (stored records are then in the campaign "
                    "twice), or upload into a new campaign."
                )
            return fresh
        state = cls(store, campaign_id, type_campaign, saved)
        if stored:
            log.info(
                "Resuming the upload: %d chunk(s) stored by an earlier try, %d to check first; each is "
                "skipped only if its content is unchanged",
                state.stored_chunks(),
                len(state.unsure),
            )
        return state

    def is_stored(self, index: int) -> bool:
        return index < self.acked or index in self.extra

    def stored_chunks(self) -> int:
        return self.acked + len(self.extra)

    def last_known(self) -> int:
        """The highest chunk index an earlier try stored or may have stored; -1 for none."""
        return max([self.acked - 1, *self.extra, *self.unsure])

    def describe(self) -> str:
        """Which chunks earlier tries stored, with their row numbers, for an error message."""
        parts = []
        if self.acked:
            parts.append(_chunks_text(0, self.acked - 1, *self.prefix_rows))
        for index in sorted(self.extra):
            parts.append(_chunks_text(index, index, *self.chunks[index][1:]))
        for index in sorted(self.unsure):
            parts.append(
                _chunks_text(index, index, *self.chunks[index][1:]) + " may be (its answer was lost)"
            )
        return ", ".join(parts) or "none"

    def mark_in_flight(self, index: int, digest: str, first_row: int, last_row: int) -> None:
        self.unsure.add(index)
        self.chunks[index] = (digest, first_row, last_row)
        self.save()

    def mark_stored(self, index: int, result: UploadResult | None = None) -> None:
        self.unsure.discard(index)
        self.extra.add(index)
        while self.acked in self.extra:  # fold the chunks that now continue the prefix into it
            self.extra.remove(self.acked)
            digest, first_row, last_row = self.chunks.pop(self.acked)
            self.prefix = _chain(self.prefix, digest)
            self.prefix_rows = [self.prefix_rows[0] if self.acked else first_row, last_row]
            self.acked += 1
        if result is not None:
            self.totals["sent"] += result.sent
            self.totals["accepted"] += result.accepted
            self.totals["rejected"] += result.rejected
        self.save()

    def mark_not_stored(self, index: int) -> None:
        self.unsure.discard(index)
        self.chunks.pop(index, None)
        self.save()

    def save(self) -> None:
        if self.store is None:
            return
        self.store.set(
            STATE_KEY,
            {
                "version": STATE_VERSION,
                "campaign_id": self.campaign_id,
                "type_campaign": self.type_campaign,
                "acked": self.acked,
                "prefix": self.prefix,
                "prefix_rows": self.prefix_rows,
                "extra": sorted(self.extra),
                "unsure": sorted(self.unsure),
                "chunks": {str(index): list(info) for index, info in sorted(self.chunks.items())},
                **self.totals,
            },
        )


class _Chunk:
    __slots__ = ("body", "count", "digest", "first_row", "index", "last_row", "records")

    def __init__(self, index: int, records: list[dict[str, str]], first_row: int, last_row: int) -> None:
        self.index = index
        self.records = records
        self.count = len(records)
        self.first_row = first_row
        self.last_row = last_row
        self.body = b""
        self.digest = ""

    def describe(self) -> str:
        return f"chunk {self.index + 1} (rows {self.first_row}-{self.last_row}, {self.count} records)"


class _StopSending(Exception):
    """A request failed, or the task is being killed: send nothing more in this try."""


class _Upload:
    """One try of an upload: validate, chunk, send, remember progress, report."""

    def __init__(
        self,
        operator: UploadCampaignRecordsOperator,
        *,
        campaign_id: str,
        type_campaign: str,
        rows: Rows,
        skip_invalid: bool,
        state: _ProgressState,
    ) -> None:
        self.op = operator
        self.log = operator.log
        self.campaign_id = campaign_id
        self.type_campaign = type_campaign
        self.rows = rows
        self.skip_invalid = skip_invalid
        self.state = state
        self.chunk_size: int = operator.chunk_size
        self.max_in_flight: int = operator.max_in_flight
        self.total: int | None = None
        self.requests = 0
        self.resumed = 0
        self.verified = 0
        self.skipped = 0
        self.invalid_rows: list[int] = []
        self.failure: tuple[_Chunk, BaseException] | None = None
        self.this_try: dict[str, int] = {"sent": 0, "accepted": 0, "rejected": 0, "chunks": 0}
        # Resuming: the chained hash of the chunks read so far that an earlier try stored, and the
        # chunks held back until every chunk an earlier try stored was compared (see _next_chunk).
        self.prefix = ""
        self.last_known = state.last_known()
        self.held: list[_Chunk] = []
        self.stopping = threading.Event()
        self.client: WolkvoxClient | None = None
        self._get_client: Callable[[], WolkvoxClient] | None = None
        self.executor: ThreadPoolExecutor | None = None
        self.pending: dict[Future[UploadResult], _Chunk] = {}
        self.started = time.monotonic()
        self.last_log = self.started

    # ------------------------------------------------------------------ passes

    def validate_all(self) -> None:
        """First pass for on_invalid="fail": read everything, send nothing, report every bad row."""
        from airflow_provider_wolkvox.client.records import InvalidRecordError

        bad: list[InvalidRecordError] = []
        count = invalid = 0
        with fail_fast_on_permanent_errors():
            for _, record in self.rows(check_only=True):
                if isinstance(record, InvalidRecordError):
                    invalid += 1
                    if len(bad) < QUOTED_INVALID_ROWS:
                        bad.append(record)
                else:
                    count += 1
        if invalid:
            quoted = "; ".join(f"row {exc.row} {exc.field}: {exc.reason}" for exc in bad)
            more = f" (and {invalid - len(bad)} more)" if invalid > len(bad) else ""
            raise AirflowFailException(
                f"{invalid} of {count + invalid} records are invalid, so nothing was sent: {quoted}{more}. "
                "Fix them, or set on_invalid='skip' to upload the valid records only."
            )
        self.total = count

    def run(self, get_client: Callable[[], WolkvoxClient]) -> dict[str, Any]:
        """Second pass: chunk the valid records and send the chunks no earlier try stored."""
        from concurrent.futures import ThreadPoolExecutor

        self._get_client = get_client
        if self.max_in_flight > 1:
            self.executor = ThreadPoolExecutor(self.max_in_flight, "wolkvox-upload")
        chunks = 0
        interrupted = False
        try:
            try:
                with fail_fast_on_permanent_errors():
                    chunks = self._send_all()
            except _StopSending:
                interrupted = True
            finally:
                while self.pending:  # let requests in flight finish so their outcome is remembered
                    self._collect()
        finally:
            if self.executor is not None:
                self.executor.shutdown(wait=True)
        if self.failure is not None:
            self._raise_failure(*self.failure)
        if interrupted:  # stopped by on_kill
            self._raise_stopped()
        return self._finish(chunks)

    def stop(self) -> None:
        """Send no further chunk (on_kill); the requests in flight finish and are remembered."""
        self.stopping.set()
        self.log.warning(
            "Stopping the upload: no further chunk is sent; the %d request(s) in flight finish first",
            len(self.pending),
        )

    def _send_all(self) -> int:
        from airflow_provider_wolkvox.client.records import InvalidRecordError

        index = 0
        buffer: list[dict[str, str]] = []
        first_row = last_row = 0
        for row_number, record in self.rows():
            if isinstance(record, InvalidRecordError):
                if not self.skip_invalid:  # the file changed since the validation pass
                    raise AirflowFailException(f"{record}; the input changed during the upload") from record
                self._note_invalid(record)
                continue
            assert record is not None
            if not buffer:
                first_row = row_number
            buffer.append(record)
            last_row = row_number
            if len(buffer) == self.chunk_size:
                self._next_chunk(_Chunk(index, buffer, first_row, last_row))
                index += 1
                buffer = []
        if buffer:
            self._next_chunk(_Chunk(index, buffer, first_row, last_row))
            index += 1
        if index <= self.last_known:
            self._changed(
                f"the input now has {index} chunk(s), but an earlier try stored (or may have stored) "
                f"chunk {self.last_known + 1}"
            )
        self._send_held()
        return index

    # ------------------------------------------------------------------ chunks

    def _client(self) -> WolkvoxClient:
        if self.client is None:
            assert self._get_client is not None
            self.client = self._get_client()
        return self.client

    def _next_chunk(self, chunk: _Chunk) -> None:
        """Skip ``chunk`` if an earlier try stored this very content, else send it (or hold it).

        A chunk an earlier try stored is skipped only if its content hash is unchanged; a change
        fails the task. Until every chunk an earlier try stored (or may have stored) has been
        compared, the chunks in between are held back, so a changed input is refused before this
        try sends anything. With two requests in flight that is at most a chunk or two.
        """
        from airflow_provider_wolkvox.client.records import encode_chunk

        if self.stopping.is_set():
            raise _StopSending
        body = encode_chunk(chunk.records)
        chunk.digest = _digest(body)
        state = self.state
        if chunk.index < state.acked:
            self.prefix = _chain(self.prefix, chunk.digest)
            if chunk.index == state.acked - 1 and self.prefix != state.prefix:
                held = "holds" if state.acked == 1 else "hold"
                self._changed(
                    f"{_chunks_text(0, state.acked - 1, *state.prefix_rows)} now {held} different records"
                )
            self.resumed += 1
            return
        known = state.chunks.get(chunk.index)
        if known is not None and known[0] != chunk.digest:
            self._changed(f"{_chunks_text(chunk.index, chunk.index, *known[1:])} now holds different records")
        if state.is_stored(chunk.index):
            self.resumed += 1
            return
        chunk.body = body
        chunk.records = chunk.records[:1] + chunk.records[-1:]  # keep only what an error report needs
        if chunk.index < self.last_known:
            self.held.append(chunk)
            return
        self._send_held()
        self._dispatch(chunk)

    def _send_held(self) -> None:
        held, self.held = self.held, []
        for chunk in held:
            self._dispatch(chunk)

    def _changed(self, what: str) -> None:
        raise AirflowFailException(
            f"The input is not what earlier tries of this task uploaded to campaign {self.campaign_id}: "
            f"{what}. Stored by earlier tries: {self.state.describe()}. Nothing was sent in this try. If "
            "the file, the records, column_mapping or chunk_size changed on purpose, upload into a new "
            "campaign, clear this campaign's records first, or set resume=False to send every chunk again "
            "(the records already stored are then in the campaign twice)."
        )

    def _dispatch(self, chunk: _Chunk) -> None:
        if chunk.index in self.state.unsure and self._verify(chunk):
            self.resumed += 1
            return
        body, chunk.body = chunk.body, b""
        while len(self.pending) >= self.max_in_flight:
            self._collect()
        if self.failure is not None or self.stopping.is_set():
            raise _StopSending
        self.state.mark_in_flight(chunk.index, chunk.digest, chunk.first_row, chunk.last_row)
        self.requests += 1
        client = self._client()

        def send() -> UploadResult:
            return client.add_records(
                self.type_campaign, self.campaign_id, body, campaign_status=self.op.campaign_status
            )

        if self.executor is None:
            from concurrent.futures import Future

            future: Future[UploadResult] = Future()
            try:
                future.set_result(send())
            except Exception as exc:
                future.set_exception(exc)
            self.pending[future] = chunk
            self._collect()
        else:
            self.pending[self.executor.submit(send)] = chunk
        if self.failure is not None:
            raise _StopSending

    def _collect(self) -> None:
        """Wait for at least one request in flight to finish and record its outcome."""
        from concurrent.futures import FIRST_COMPLETED, wait

        from airflow_provider_wolkvox.client.errors import WolkvoxAmbiguousResultError, WolkvoxError

        done, _ = wait(list(self.pending), return_when=FIRST_COMPLETED)
        for future in sorted(done, key=lambda f: self.pending[f].index):
            chunk = self.pending.pop(future)
            try:
                result = future.result()
            except BaseException as exc:
                ambiguous = isinstance(exc, WolkvoxAmbiguousResultError) or not isinstance(exc, WolkvoxError)
                if not ambiguous:
                    self.state.mark_not_stored(chunk.index)  # the server provably stored nothing
                if self.failure is None:
                    self.failure = (chunk, exc)
                continue
            self.state.mark_stored(chunk.index, result)
            self.this_try["sent"] += result.sent
            self.this_try["accepted"] += result.accepted
            self.this_try["rejected"] += result.rejected
            self.this_try["chunks"] += 1
            if result.rejected:
                self.log.warning(
                    "Wolkvox rejected %d of %d records of %s: %s",
                    result.rejected,
                    result.sent,
                    chunk.describe(),
                    result.message,
                )
            self._progress()

    def _verify(self, chunk: _Chunk) -> bool:
        """Whether an unsure chunk from an earlier try is in the campaign (True) or not (False)."""
        from airflow_provider_wolkvox.client.records import PHONE_FIELDS

        probes = chunk.records[:1] + chunk.records[-1:] if len(chunk.records) > 1 else chunk.records
        found = []
        with fail_fast_on_permanent_errors():
            for record in probes:
                if record.get("customer_id"):
                    rows = self._client().find_record(self.campaign_id, customer_id=record["customer_id"])
                else:
                    phone = next(record[key] for key in PHONE_FIELDS if record.get(key, "").strip())
                    rows = self._client().find_record(self.campaign_id, customer_phone=phone)
                found.append(bool(rows))
        if all(found):
            from airflow_provider_wolkvox.client import UploadResult

            self.log.info("%s from an earlier try is in the campaign; not sending it again", chunk.describe())
            # Its answer was lost, so its counts are what was sent: found records count as accepted.
            self.state.mark_stored(
                chunk.index, UploadResult(chunk.count, chunk.count, 0, "found by find_record")
            )
            self.verified += 1
            return True
        if not any(found):
            self.log.info("%s from an earlier try is not in the campaign; sending it", chunk.describe())
            self.state.mark_not_stored(chunk.index)
            return False
        raise AirflowFailException(
            f"{chunk.describe()} was sent by an earlier try without a clear answer, and find_record finds "
            "only part of it in campaign "
            f"{self.campaign_id}; it was not sent again. Check the campaign, then clear the task state "
            "(or the campaign) before retrying."
        )

    # ------------------------------------------------------------------ reporting

    def _note_invalid(self, exc: Any) -> None:
        self.skipped += 1
        if len(self.invalid_rows) < RETURNED_INVALID_ROWS:
            self.invalid_rows.append(exc.row)
        if self.skipped <= LOGGED_INVALID_ROWS:
            self.log.warning("Skipping invalid record: %s", exc)
        elif self.skipped == LOGGED_INVALID_ROWS + 1:
            self.log.warning("More invalid records are skipped; only their count is reported from here")

    def _progress(self) -> None:
        now = time.monotonic()
        if now - self.last_log < PROGRESS_EVERY:
            return
        self.last_log = now
        elapsed = now - self.started
        self.log.info(
            "Uploaded %d%s records to campaign %s in %d requests (%.0f records/s)",
            self.this_try["sent"],
            f" of {self.total}" if self.total is not None else "",
            self.campaign_id,
            self.requests,
            self.this_try["sent"] / elapsed if elapsed > 0 else 0.0,
        )

    def _raise_failure(self, chunk: _Chunk, exc: BaseException) -> None:
        from airflow_provider_wolkvox.client.errors import WolkvoxAmbiguousResultError, WolkvoxError

        stored = self.state.stored_chunks()
        have_store = self.state.store is not None
        if isinstance(exc, WolkvoxAmbiguousResultError) or not isinstance(exc, WolkvoxError):
            next_try = (
                "the next try checks with find_record whether it arrived before sending it"
                if have_store
                else "without a task state store (Airflow 3.3+) a retry would send every chunk again, so "
                "the task is not retried; check the campaign's records"
            )
            message = (
                f"Uploading {chunk.describe()} to campaign {self.campaign_id} failed without a clear answer: "
                f"Wolkvox may have stored it. It was not sent again in this try; {next_try}. "
                f"{stored} chunk(s) are confirmed stored. Cause: {exc}"
            )
            if have_store:
                raise AirflowException(message) from exc
            raise AirflowFailException(message) from exc
        summary = f"Uploading {chunk.describe()} failed; {stored} chunk(s) are confirmed stored. Cause: {exc}"
        if exc.permanent:
            raise AirflowFailException(summary) from exc
        if not have_store and stored:
            raise AirflowFailException(
                f"{summary}. Without a task state store (Airflow 3.3+) a retry would send the stored "
                "chunks again, so the task is not retried."
            ) from exc
        raise AirflowException(f"{summary}. A retry sends only the chunks not yet stored.") from exc

    def _raise_stopped(self) -> None:
        stored = self.state.stored_chunks()
        message = (
            f"The upload to campaign {self.campaign_id} was stopped (the task was killed) after this try "
            f"sent {self.this_try['chunks']} chunk(s); {stored} chunk(s) are stored."
        )
        if self.state.store is None and stored:
            raise AirflowFailException(
                f"{message} Without a task state store (Airflow 3.3+) a retry would send the stored chunks "
                "again, so the task is not retried."
            )
        raise AirflowException(f"{message} A retry sends only the chunks not yet stored.")

    def _finish(self, chunks: int) -> dict[str, Any]:
        elapsed = time.monotonic() - self.started
        totals = self.state.totals
        this_try = self.this_try
        counts = {
            "sent": totals["sent"],
            "accepted": totals["accepted"],
            "rejected": totals["rejected"],
            "sent_this_try": this_try["sent"],
            "accepted_this_try": this_try["accepted"],
            "rejected_this_try": this_try["rejected"],
            "requests": self.requests,
            "chunks": chunks,
            "chunks_sent_this_try": this_try["chunks"],
            "chunks_already_stored": self.resumed,
            "skipped_invalid": self.skipped,
            "invalid_rows": self.invalid_rows,
        }
        self.log.info(
            "Uploaded %d records to %s campaign %s in %d requests, %.1f s (%.0f records/s): "
            "accepted %d, rejected %d, invalid skipped %d; chunks stored by earlier tries %d of %d; "
            "whole upload: %d sent, %d accepted",
            this_try["sent"],
            self.type_campaign,
            self.campaign_id,
            self.requests,
            elapsed,
            this_try["sent"] / elapsed if elapsed > 0 else 0.0,
            this_try["accepted"],
            this_try["rejected"],
            self.skipped,
            self.resumed,
            chunks,
            totals["sent"],
            totals["accepted"],
        )
        if not chunks:
            self.log.warning("There were no records to upload")
        return counts
