"""The record upload engine: chunk, send two at a time, remember progress, reconcile, verify.

Plain Python with no Airflow import. :class:`RecordUpload` takes the cleaned row stream (see
:mod:`airflow_provider_wolkvox.client.records`), reads it once, and uploads the valid records with
add_record in chunks of up to 10,000, at most two requests in flight. Progress goes to a store
with ``get(key)`` / ``set(key, value)`` (Airflow 3.3's task state store, or anything shaped like
it) after every change, so a later try sends only what Wolkvox does not hold yet::

    from airflow_provider_wolkvox.client import WolkvoxClient
    from airflow_provider_wolkvox.client.records import RecordValidator
    from airflow_provider_wolkvox.client.upload import RecordUpload

    validator = RecordValidator("predictive")
    upload = RecordUpload(
        client_factory=lambda: WolkvoxClient("0042", token),
        campaign_id="1234",
        type_campaign="predictive",
        rows=validator.read_records("contacts.csv"),
    )
    summary = upload.run()  # raises UploadError (with .permanent) when the upload fails

**Reading once.** With ``on_invalid="fail"`` every row is checked before anything is sent, yet
the input is read only once: the valid records are encoded chunk by chunk into a temporary file
(on local disk past 4 MiB; about the size of the JSON sent) while the rest is checked, and the
chunks are sent from that file only if no row was invalid. ``on_invalid="skip"`` sends while it
reads. Either way memory holds at most ``max_in_flight`` encoded chunks plus two records per
chunk (the ones ``find_record`` looks up), whatever the size of the input.

**Resuming.** Chunks are identified by a hash of their content (the records as sent). A later
try skips a chunk an earlier try stored only if its content is unchanged, and fails before
sending anything if it changed (``resume=False`` sends everything again). A chunk whose answer
was lost is looked up with ``find_record`` (its first and last record) before it is sent again.
Without a store a retry would send stored chunks again, so once a chunk is stored any failure is
reported as permanent.

**Verifying.** With ``verify`` "warn" (default) or "fail", the campaign's ``records`` count
(information.php?api=campaigns) is read before the first chunk and after the last one; it must
grow by exactly the records Wolkvox accepted over the whole upload. The count read before the
first chunk is kept in the store, so a retry compares with the first try's baseline. Wolkvox
(and the emulator) count the records not yet called, so dialing, another upload or a clear of
the same campaign during the upload shows as a mismatch: verify a campaign that is stopped.

**The summary** :meth:`RecordUpload.run` returns: ``sent``, ``accepted``, ``rejected`` (records
of the whole upload as Wolkvox reported them, earlier tries included); ``sent_this_try``,
``accepted_this_try``, ``rejected_this_try``, ``requests`` (add_record calls) and
``chunks_sent_this_try`` for this try; ``chunks`` (in the input), ``chunks_already_stored`` (not
sent because an earlier try stored them), ``valid_records`` (records in the input after hygiene);
``skipped_invalid`` and ``invalid_rows`` (the first 100 row numbers left out by
``on_invalid="skip"``); ``rejected_by_reason`` (rows left out per reason code: the invalid rows'
``code``, ``invalid`` by default, and hygiene's ``duplicate``/``do_not_call``); ``hygiene``
(:attr:`Hygiene.counts`, or ``{}``); ``reject_file`` (where rejected rows were written, None when
none was); ``verified`` (True, False, or None when not checked), ``records_before`` and
``records_after`` (the campaign's counts it compared); ``dry_run``; and ``api_calls``, the HTTP
requests this try sent (add_record, find_record, the campaign list, get_dnc), counted by the
client: every request the client retried after a transport error or a throttle answer counts
again, since each one can cost a unit of the daily quota.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import IO, TYPE_CHECKING, Any, Protocol

from airflow_provider_wolkvox.client.errors import (
    UploadError,
    WolkvoxAmbiguousResultError,
    WolkvoxError,
    WolkvoxValidationError,
)
from airflow_provider_wolkvox.client.records import (
    MAX_RECORDS_PER_REQUEST,
    PHONE_FIELDS,
    InvalidRecordError,
    encode_chunk,
)

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

    from airflow_provider_wolkvox.client.client import UploadResult, WolkvoxClient

#: Key under which the upload's progress is kept in the store.
STATE_KEY = "wolkvox_upload_records"
#: Version of the progress record; 2 identifies chunks by a hash of their content.
STATE_VERSION = 2
#: Seconds between two progress lines in the log.
PROGRESS_EVERY = 5.0
#: How many invalid rows are logged one by one, and how many row numbers the summary lists.
LOGGED_INVALID_ROWS = 20
RETURNED_INVALID_ROWS = 100
#: How many invalid rows the error of on_invalid="fail" quotes.
QUOTED_INVALID_ROWS = 5
#: Encoded chunks up to this many bytes stay in memory; past it the spool is a file on disk.
SPOOL_IN_MEMORY = 4 * 1024 * 1024
#: Accepted values of ``on_invalid`` and ``verify``.
ON_INVALID = ("fail", "skip")
VERIFY = ("warn", "fail", "off")

Row = tuple[int, Any]


class Store(Protocol):
    """Where progress survives between tries: Airflow 3.3's task state store has this shape."""

    def get(self, key: str) -> Any: ...

    def set(self, key: str, value: Any) -> Any: ...


class RowFilter(Protocol):
    """The hygiene step (client/hygiene.py's Hygiene): cleans and drops rows on the way through."""

    counts: dict[str, int]

    def block(self, numbers: Iterable[str]) -> int: ...

    def apply(self, rows: Iterator[Row]) -> Iterator[Row]: ...


class RejectSink(Protocol):
    """Where rejected rows are written (client/rejects.py's RejectReport): row, field, reason."""

    rows: int

    def add(self, row: int, field: str, reason: str) -> None: ...

    def close(self) -> None: ...


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _chain(prefix: str, digest: str) -> str:
    """The hash of a run of chunks, extended by one more chunk's hash."""
    return _digest(f"{prefix}:{digest}".encode())


def _chunks_text(first: int, last: int, first_row: int, last_row: int) -> str:
    """``chunk 2 (rows 11-20)`` or ``chunks 1-3 (rows 2-30001)``; indexes are 0-based."""
    which = f"chunk {first + 1}" if first == last else f"chunks {first + 1}-{last + 1}"
    return f"{which} (rows {first_row}-{last_row})"


def check_settings(chunk_size: Any, max_in_flight: Any, on_invalid: Any, verify: Any) -> None:
    """Refuse settings RecordUpload does not accept (WolkvoxValidationError naming the argument)."""
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int):
        chunk_size = repr(chunk_size)
    if isinstance(chunk_size, str) or not 1 <= chunk_size <= MAX_RECORDS_PER_REQUEST:
        raise WolkvoxValidationError(
            "chunk_size",
            f"{chunk_size} is not accepted; give 1 to {MAX_RECORDS_PER_REQUEST:,} (the limit per request)",
        )
    if max_in_flight not in (1, 2) or isinstance(max_in_flight, bool):
        raise WolkvoxValidationError(
            "max_in_flight", f"{max_in_flight!r} is not accepted; Wolkvox allows 1 or 2 per token"
        )
    if on_invalid not in ON_INVALID:
        raise WolkvoxValidationError("on_invalid", f"{on_invalid!r} is not accepted; use 'fail' or 'skip'")
    if verify not in VERIFY:
        raise WolkvoxValidationError("verify", f"{verify!r} is not accepted; use 'warn', 'fail' or 'off'")


class _ProgressState:
    """Which chunks Wolkvox holds, and their content, kept in the store after every change.

    Chunks ``0..acked-1`` are stored: ``prefix`` chains their content hashes and ``prefix_rows``
    are their first and last row numbers. ``extra`` are stored chunks past that prefix (with two
    requests in flight a later chunk can finish first); ``unsure`` were sent without a clear
    answer, or were in flight when the worker died, and must be checked before being sent again.
    ``chunks`` holds ``[content hash, first row, last row]`` of each extra or unsure chunk.
    ``records_before`` is the campaign's record count read before the upload's first chunk.
    """

    def __init__(
        self,
        store: Store | None,
        campaign_id: str,
        type_campaign: str,
        saved: Mapping[str, Any] | None = None,
        *,
        read_only: bool = False,
    ) -> None:
        saved = saved or {}
        self.store = store
        self.read_only = read_only
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
        before = saved.get("records_before")
        self.records_before: int | None = None if before is None else int(before)

    @classmethod
    def load(
        cls,
        store: Store | None,
        campaign_id: str,
        type_campaign: str,
        *,
        resume: bool,
        log: logging.Logger,
        read_only: bool = False,
    ) -> _ProgressState:
        fresh = cls(store, campaign_id, type_campaign, read_only=read_only)
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
                raise UploadError(
                    f"An earlier try stored {stored} chunk(s) of this upload, but its saved progress does "
                    "not say what they contained, so this try cannot tell which records Wolkvox holds. "
                    "Set resume=False to send everything again (stored records are then in the campaign "
                    "twice), or upload into a new campaign.",
                    permanent=True,
                )
            return fresh
        state = cls(store, campaign_id, type_campaign, saved, read_only=read_only)
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

    def started(self) -> bool:
        """Whether an earlier try stored, or may have stored, any chunk."""
        return bool(self.acked or self.extra or self.unsure)

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
        if self.store is None or self.read_only:
            return
        state: dict[str, Any] = {
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
        }
        if self.records_before is not None:
            state["records_before"] = self.records_before
        self.store.set(STATE_KEY, state)


class _Chunk:
    """One add_record request: where its body is, its content hash, and what an error report needs.

    ``probes`` are its first and last record (what ``find_record`` looks up after a lost answer);
    ``body`` is the encoded JSON array while it is held in memory, else it is read from the spool
    at ``offset`` (``size`` bytes) when it is sent.
    """

    __slots__ = ("body", "count", "digest", "first_row", "index", "last_row", "offset", "probes", "size")

    def __init__(
        self, index: int, records: list[dict[str, str]], first_row: int, last_row: int, body: bytes
    ) -> None:
        self.index = index
        self.count = len(records)
        self.first_row = first_row
        self.last_row = last_row
        self.probes = records[:1] + records[-1:] if len(records) > 1 else list(records)
        self.body = body
        self.digest = _digest(body)
        self.offset = -1
        self.size = len(body)

    def describe(self) -> str:
        return f"chunk {self.index + 1} (rows {self.first_row}-{self.last_row}, {self.count} records)"


class _StopSending(Exception):
    """A request failed, or the upload is being stopped: send nothing more in this try."""


class RecordUpload:
    """One try of an upload: read once, chunk, send, remember progress, verify, report.

    :param client_factory: returns the WolkvoxClient to use; called once, when the first call is due
        (a dry run without ``wolkvox_dnc`` may never call it).
    :param campaign_id: the campaign's id, as parsed (digits).
    :param type_campaign: ``preview`` or ``predictive``.
    :param rows: ``(row number, record dict or InvalidRecordError)`` pairs, read once.
    :param chunk_size: records per add_record request, 1-10,000.
    :param max_in_flight: requests in flight at once, 1 or 2.
    :param campaign_status: optional ``campaign_status`` query value of add_record.
    :param on_invalid: ``fail``: send nothing if any row is invalid; ``skip``: leave invalid rows out.
    :param store: an object with ``get(key)`` / ``set(key, value)`` that survives between tries,
        or None (then any failure after a stored chunk is permanent).
    :param resume: skip the chunks an earlier try stored (default True).
    :param hygiene: optional row filter (client/hygiene.py's Hygiene): rows go through its
        ``apply``; what it drops is counted and written to ``rejects``, never invalid.
    :param wolkvox_dnc: fetch Wolkvox's outbound do-not-call list once (get_dnc) and block its
        numbers in ``hygiene`` (a default Hygiene is made when None is given).
    :param rejects: where invalid and dropped rows go (row, field, reason), or None.
    :param reject_file: where ``rejects`` writes, for the summary and the log.
    :param verify: ``warn`` (default), ``fail`` or ``off``; see the module docstring.
    :param dry_run: do everything but add_record: no record is sent, the store is not written and
        the campaign is not read for verification.
    :param log: the logger to report to (a ``logging.Logger`` or one shaped like it); default
        this module's.
    """

    def __init__(
        self,
        *,
        client_factory: Callable[[], WolkvoxClient],
        campaign_id: str,
        type_campaign: str,
        rows: Iterable[Row],
        chunk_size: int = MAX_RECORDS_PER_REQUEST,
        max_in_flight: int = 2,
        campaign_status: str | None = None,
        on_invalid: str = "fail",
        store: Store | None = None,
        resume: bool = True,
        hygiene: RowFilter | None = None,
        wolkvox_dnc: bool = False,
        rejects: RejectSink | None = None,
        reject_file: str | None = None,
        verify: str = "warn",
        dry_run: bool = False,
        log: Any = None,
    ) -> None:
        check_settings(chunk_size, max_in_flight, on_invalid, verify)
        self.log = log or logging.getLogger(__name__)
        self.client_factory = client_factory
        self.campaign_id = campaign_id
        self.type_campaign = type_campaign
        self.rows = rows
        self.chunk_size = chunk_size
        self.max_in_flight = max_in_flight
        self.campaign_status = campaign_status
        self.skip_invalid = on_invalid == "skip"
        self.store = store
        self.resume = resume
        self.hygiene = hygiene
        self.wolkvox_dnc = wolkvox_dnc
        self.rejects = rejects
        self.reject_file = reject_file
        self.verify = verify
        self.dry_run = dry_run
        self.state = _ProgressState(None, campaign_id, type_campaign)  # loaded in run()
        self.total: int | None = None
        self.valid = 0
        self.requests = 0
        self.calls_before = 0  # requests the client had sent before this upload's first
        self.resumed = 0
        self.skipped = 0
        self.invalid_rows: list[int] = []
        self.quoted: list[str] = []  # the first invalid rows, for the error of on_invalid="fail"
        self.reasons: Counter[str] = Counter()
        self.records_after: int | None = None
        self.verified: bool | None = None
        self.baseline_tried = False  # whether this try read (or tried to read) the campaign's count
        self.failure: tuple[_Chunk, BaseException] | None = None
        self.this_try: dict[str, int] = {"sent": 0, "accepted": 0, "rejected": 0, "chunks": 0}
        self.would_send = {"records": 0, "chunks": 0}
        # Resuming: the chained hash of the chunks read so far that an earlier try stored, and the
        # chunks held back until every chunk an earlier try stored was compared (see _next_chunk).
        self.prefix = ""
        self.last_known = -1
        self.held: list[_Chunk] = []
        self.spool: IO[bytes] | None = None
        self.stopping = threading.Event()
        self.client: WolkvoxClient | None = None
        self.executor: ThreadPoolExecutor | None = None
        self.pending: dict[Future[UploadResult], _Chunk] = {}
        self.started = time.monotonic()
        self.last_log = self.started

    # ------------------------------------------------------------------ public

    def run(self) -> dict[str, Any]:
        """Upload the records; returns the summary (the operator's XCom).

        Raises UploadError when the upload fails (``permanent`` says whether a retry can help),
        a WolkvoxError from a call outside the chunks (get_dnc, find_record, the campaign count),
        or the WolkvoxValidationError a source raises for input it cannot read.
        """
        from concurrent.futures import ThreadPoolExecutor

        try:
            self.state = _ProgressState.load(
                self.store,
                self.campaign_id,
                self.type_campaign,
                resume=self.resume,
                log=self.log,
                read_only=self.dry_run,
            )
            self.last_known = self.state.last_known()
            rows: Iterator[Row] = iter(self.rows)
            if self.wolkvox_dnc:
                self._block_wolkvox_dnc()
            if self.hygiene is not None:
                rows = self.hygiene.apply(rows)
            if self.max_in_flight > 1 and not self.dry_run:
                self.executor = ThreadPoolExecutor(self.max_in_flight, "wolkvox-upload")
            chunks = 0
            interrupted = False
            try:
                try:
                    chunks = self._send_all(rows)
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
            if interrupted:  # stopped (on_kill)
                self._raise_stopped()
            self._verify_count(chunks)
            return self._finish(chunks)
        finally:
            if self.spool is not None:
                self.spool.close()
            if self.rejects is not None:
                self.rejects.close()

    def stop(self) -> None:
        """Send no further chunk (on_kill); the requests in flight finish and are remembered."""
        self.stopping.set()
        self.log.warning(
            "Stopping the upload: no further chunk is sent; the %d request(s) in flight finish first",
            len(self.pending),
        )

    # ------------------------------------------------------------------ reading

    def _block_wolkvox_dnc(self) -> None:
        """Fetch Wolkvox's outbound do-not-call list (one call per try) and block its numbers."""
        if self.hygiene is None:
            from airflow_provider_wolkvox.client.hygiene import Hygiene

            self.hygiene = Hygiene()
        numbers = self._client().get_dnc("outbound")
        added = self.hygiene.block(numbers)
        self.log.info(
            "Wolkvox's outbound do-not-call list holds %d number(s); %d added to the blocked numbers",
            len(numbers),
            added,
        )

    def _valid_records(self, rows: Iterator[Row]) -> Iterator[tuple[int, dict[str, str]]]:
        """The valid records; invalid rows are counted, reported and (on_invalid="skip") left out."""
        for row_number, record in rows:
            if self.stopping.is_set():
                raise _StopSending
            if isinstance(record, dict):
                self.valid += 1
                yield row_number, record
            elif isinstance(record, InvalidRecordError):
                self._note_invalid(row_number, record)
            else:  # a Dropped: hygiene left a valid record out (a duplicate, a do-not-call number)
                self.reasons[str(record.code)] += 1
                if self.rejects is not None:
                    row = record.row if record.row is not None else row_number
                    self.rejects.add(row, record.field, record.reason)

    def _chunked(self, rows: Iterator[Row]) -> Iterator[_Chunk]:
        """Group the valid records into encoded chunks, in order."""
        index = 0
        buffer: list[dict[str, str]] = []
        first_row = last_row = 0
        for row_number, record in self._valid_records(rows):
            if not buffer:
                first_row = row_number
            buffer.append(record)
            last_row = row_number
            if len(buffer) == self.chunk_size:
                yield _Chunk(index, buffer, first_row, last_row, encode_chunk(buffer))
                index += 1
                buffer = []
        if buffer:
            yield _Chunk(index, buffer, first_row, last_row, encode_chunk(buffer))

    def _spooled(self, rows: Iterator[Row]) -> list[_Chunk]:
        """on_invalid="fail": read everything, spool the encoded chunks, send nothing if a row is bad."""
        chunks: list[_Chunk] = []
        self.spool = spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
        for chunk in self._chunked(rows):
            if self.skipped:  # nothing will be sent: stop encoding, only count the rest
                continue
            chunk.offset = spool.tell()
            spool.write(chunk.body)
            chunk.body = b""
            chunks.append(chunk)
        if self.skipped:
            raise UploadError(self._invalid_message(), permanent=True)
        self.total = self.valid
        return chunks

    def _send_all(self, rows: Iterator[Row]) -> int:
        """Read the rows once and send the chunks no earlier try stored; returns the chunk count."""
        chunks: Iterable[_Chunk] = self._chunked(rows) if self.skip_invalid else self._spooled(rows)
        count = 0
        for chunk in chunks:
            self._next_chunk(chunk)
            count += 1
        if count <= self.last_known:
            self._changed(
                f"the input now has {count} chunk(s), but an earlier try stored (or may have stored) "
                f"chunk {self.last_known + 1}"
            )
        self._send_held()
        return count

    # ------------------------------------------------------------------ chunks

    def _client(self) -> WolkvoxClient:
        if self.client is None:
            self.client = self.client_factory()
            self.calls_before = self.client.requests_sent
        return self.client

    @property
    def api_calls(self) -> int:
        """HTTP requests this try sent so far (the client's count, HTTP retries included)."""
        return 0 if self.client is None else self.client.requests_sent - self.calls_before

    def _next_chunk(self, chunk: _Chunk) -> None:
        """Skip ``chunk`` if an earlier try stored this very content, else send it (or hold it).

        A chunk an earlier try stored is skipped only if its content hash is unchanged; a change
        fails the upload. Until every chunk an earlier try stored (or may have stored) has been
        compared, the chunks in between are held back, so a changed input is refused before this
        try sends anything. With two requests in flight that is at most a chunk or two (and a
        spooled chunk is held without its body).
        """
        if self.stopping.is_set():
            raise _StopSending
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
        raise UploadError(
            f"The input is not what earlier tries of this task uploaded to campaign {self.campaign_id}: "
            f"{what}. Stored by earlier tries: {self.state.describe()}. Nothing was sent in this try. If "
            "the file, the records, column_mapping or chunk_size changed on purpose, upload into a new "
            "campaign, clear this campaign's records first, or set resume=False to send every chunk again "
            "(the records already stored are then in the campaign twice).",
            permanent=True,
        )

    def _body(self, chunk: _Chunk) -> bytes:
        if chunk.offset < 0:
            body, chunk.body = chunk.body, b""
            return body
        assert self.spool is not None
        self.spool.seek(chunk.offset)
        return self.spool.read(chunk.size)

    def _dispatch(self, chunk: _Chunk) -> None:
        if chunk.index in self.state.unsure and self._find(chunk):
            self.resumed += 1
            return
        if self.dry_run:
            chunk.body = b""
            self.would_send["records"] += chunk.count
            self.would_send["chunks"] += 1
            return
        if not self.state.started():  # the upload's first chunk: no earlier try stored any
            self._count_before()
        body = self._body(chunk)
        while len(self.pending) >= self.max_in_flight:
            self._collect()
        if self.failure is not None or self.stopping.is_set():
            raise _StopSending
        self.state.mark_in_flight(chunk.index, chunk.digest, chunk.first_row, chunk.last_row)
        self.requests += 1
        client = self._client()
        campaign_status = self.campaign_status

        def send() -> UploadResult:
            return client.add_records(
                self.type_campaign, self.campaign_id, body, campaign_status=campaign_status
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

    def _find(self, chunk: _Chunk) -> bool:
        """Whether an unsure chunk from an earlier try is in the campaign (True) or not (False)."""
        found = []
        for record in chunk.probes:
            if record.get("customer_id"):
                rows = self._client().find_record(self.campaign_id, customer_id=record["customer_id"])
            else:
                phone = next(record[key] for key in PHONE_FIELDS if record.get(key, "").strip())
                rows = self._client().find_record(self.campaign_id, customer_phone=phone)
            found.append(bool(rows))
        if all(found):
            from airflow_provider_wolkvox.client.client import UploadResult

            self.log.info("%s from an earlier try is in the campaign; not sending it again", chunk.describe())
            # Its answer was lost, so its counts are what was sent: found records count as accepted.
            self.state.mark_stored(
                chunk.index, UploadResult(chunk.count, chunk.count, 0, "found by find_record")
            )
            return True
        if not any(found):
            self.log.info("%s from an earlier try is not in the campaign; sending it", chunk.describe())
            self.state.mark_not_stored(chunk.index)
            return False
        raise UploadError(
            f"{chunk.describe()} was sent by an earlier try without a clear answer, and find_record finds "
            "only part of it in campaign "
            f"{self.campaign_id}; it was not sent again. Check the campaign, then clear the task state "
            "(or the campaign) before retrying.",
            permanent=True,
        )

    # ------------------------------------------------------------------ verification

    def _campaign_records(self) -> int | None:
        """The campaign's ``records`` count, or None when it cannot be read and verify="warn"."""
        self.baseline_tried = True
        try:
            campaign = self._client().get_campaign(self.campaign_id)
        except WolkvoxError as exc:
            if self.verify == "fail":
                raise
            self.log.warning(
                "Cannot read campaign %s's record count, so the upload is not verified: %s",
                self.campaign_id,
                exc,
            )
            return None
        if campaign.records is None:
            self.log.warning(
                "Wolkvox's campaign list gives no record count for campaign %s; the upload is not verified",
                self.campaign_id,
            )
        return campaign.records

    def _count_before(self) -> None:
        """Read the campaign's record count before the upload's first chunk, and keep it.

        Kept in the store with the progress, so a retry compares with this baseline rather than
        with a count that already includes the chunks an earlier try stored.
        """
        if self.verify == "off":
            return
        self.state.records_before = self._campaign_records()
        self.state.save()

    def _verify_count(self, chunks: int) -> None:
        """After the last chunk: the campaign must hold exactly the accepted records more than before."""
        if self.verify == "off" or self.dry_run:
            return
        before = self.state.records_before
        if before is None:
            if self.resumed and not self.baseline_tried:
                self.log.warning(
                    "The upload is not verified: its first chunk was sent without reading the campaign's "
                    "record count first (verify was off then, or an older provider version sent it)"
                )
            return
        after = self.records_after = self._campaign_records()
        if after is None:
            return
        accepted = self.state.totals["accepted"]
        self.verified = after - before == accepted
        if self.verified:
            self.log.info(
                "Verified: campaign %s holds %d records to call, %d before the upload, so all %d records "
                "Wolkvox accepted are there",
                self.campaign_id,
                after,
                before,
                accepted,
            )
            return
        message = (
            f"Campaign {self.campaign_id}'s record count grew by {after - before} ({before} before the "
            f"upload, {after} now), but Wolkvox accepted {accepted} records. The count is of records not yet "
            "called, so dialing, another upload or a clear of this campaign during the upload also changes "
            "it; otherwise records were lost. Check the campaign's records."
        )
        if self.verify == "fail":
            raise UploadError(message + " (verify='fail')", permanent=True)
        self.log.warning("%s (verify='warn': the task does not fail)", message)

    # ------------------------------------------------------------------ reporting

    def _note_invalid(self, row_number: int, exc: InvalidRecordError) -> None:
        row = exc.row if exc.row is not None else row_number
        self.skipped += 1
        self.reasons[str(getattr(exc, "code", "invalid"))] += 1
        if self.rejects is not None:
            self.rejects.add(row, exc.field, exc.reason)
        if self.skip_invalid:
            if len(self.invalid_rows) < RETURNED_INVALID_ROWS:
                self.invalid_rows.append(row)
            if self.skipped <= LOGGED_INVALID_ROWS:
                self.log.warning("Skipping invalid record: %s", exc)
            elif self.skipped == LOGGED_INVALID_ROWS + 1:
                self.log.warning("More invalid records are skipped; only their count is reported from here")
        elif len(self.quoted) < QUOTED_INVALID_ROWS:
            self.quoted.append(f"row {row} {exc.field}: {exc.reason}")

    def _invalid_message(self) -> str:
        quoted = "; ".join(self.quoted)
        more = f" (and {self.skipped - len(self.quoted)} more)" if self.skipped > len(self.quoted) else ""
        dropped = sum(self.reasons.values()) - self.skipped
        where = f" The reject file {self.reject_file} lists every one." if self.reject_file else ""
        return (
            f"{self.skipped} of {self.valid + self.skipped + dropped} records are invalid, so nothing was "
            f"sent: {quoted}{more}.{where} Fix them, or set on_invalid='skip' to upload the valid records "
            "only."
        )

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
            raise UploadError(message, permanent=not have_store) from exc
        summary = f"Uploading {chunk.describe()} failed; {stored} chunk(s) are confirmed stored. Cause: {exc}"
        if exc.permanent:
            raise UploadError(summary, permanent=True) from exc
        if not have_store and stored:
            raise UploadError(
                f"{summary}. Without a task state store (Airflow 3.3+) a retry would send the stored "
                "chunks again, so the task is not retried.",
                permanent=True,
            ) from exc
        raise UploadError(
            f"{summary}. A retry sends only the chunks not yet stored.", permanent=False
        ) from exc

    def _raise_stopped(self) -> None:
        stored = self.state.stored_chunks()
        message = (
            f"The upload to campaign {self.campaign_id} was stopped (the task was killed) after this try "
            f"sent {self.this_try['chunks']} chunk(s); {stored} chunk(s) are stored."
        )
        if self.state.store is None and stored:
            raise UploadError(
                f"{message} Without a task state store (Airflow 3.3+) a retry would send the stored chunks "
                "again, so the task is not retried.",
                permanent=True,
            )
        raise UploadError(f"{message} A retry sends only the chunks not yet stored.", permanent=False)

    def _finish(self, chunks: int) -> dict[str, Any]:
        elapsed = time.monotonic() - self.started
        totals = self.state.totals
        this_try = self.this_try
        hygiene = dict(self.hygiene.counts) if self.hygiene is not None else {}
        rejected_rows = self.rejects.rows if self.rejects is not None else 0
        reject_file = self.reject_file if rejected_rows else None
        summary = {
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
            "valid_records": self.valid,
            "rejected_by_reason": dict(sorted(self.reasons.items())),
            "hygiene": hygiene,
            "reject_file": reject_file,
            "verified": self.verified,
            "records_before": self.state.records_before if not self.dry_run else None,
            "records_after": self.records_after,
            "dry_run": self.dry_run,
            "api_calls": self.api_calls,
        }
        if self.dry_run:
            self.log.info(
                "Dry run: %d valid records in %d chunks; %d records in %d chunks would be sent to %s "
                "campaign %s (%d chunks stored by earlier tries); nothing was sent",
                self.valid,
                chunks,
                self.would_send["records"],
                self.would_send["chunks"],
                self.type_campaign,
                self.campaign_id,
                self.resumed,
            )
        else:
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
        if self.reasons:
            self.log.info(
                "Rows left out, by reason: %s",
                ", ".join(f"{code} {count}" for code, count in sorted(self.reasons.items())),
            )
        if hygiene:
            self.log.info(
                "Hygiene: %s", ", ".join(f"{name} {count}" for name, count in sorted(hygiene.items()))
            )
        if rejected_rows:
            self.log.info("%d rejected row(s) written to %s", rejected_rows, reject_file or "the reject file")
        elif self.reasons and self.rejects is None:
            self.log.info("No reject file is written (give reject_path, or read from a file)")
        if not chunks:
            self.log.warning("There were no records to upload")
        return summary


__all__ = ["STATE_KEY", "RecordUpload", "UploadError", "check_settings"]
