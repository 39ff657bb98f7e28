"""Push phone numbers onto, or take them off, the Wolkvox operation's do-not-call list."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from airflow_provider_wolkvox.operators.base import (
    DEFAULT_CONN_ID,
    WolkvoxBaseOperator,
    fail_fast_on_permanent_errors,
    pulled,
)

if TYPE_CHECKING:
    from airflow_provider_wolkvox._compat import Context

#: Numbers per request by default: the collection's limit of 10,000 items uploaded per call, which
#: the DNC items repeat (they document no limit of their own). Each call costs one unit of the
#: daily quota, and adding or removing a number again is harmless, so a failed chunk is simply
#: sent again; fewer, larger calls are the better trade.
DEFAULT_CHUNK_SIZE = 10_000


class _DoNotCallOperator(WolkvoxBaseOperator):
    """What adding and removing share: the input, its checks, the chunks and the counts."""

    #: The client method, the verb for the log and the XCom key of the count.
    _method: str
    _verb: str
    _count_key: str
    _type_calls: tuple[str, ...]

    # ``numbers`` is deliberately absent: phone numbers are personal data, never rendered or
    # stored as a rendered field (as the upload's ``records``).
    template_fields: Sequence[str] = ("path", "storage_conn_id", "type_call", "wolkvox_conn_id")
    ui_color = "#fdecea"

    def __init__(
        self,
        *,
        numbers: Any = None,
        path: Any = None,
        storage_conn_id: str | None = None,
        type_call: str = "outbound",
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        wolkvox_conn_id: str = DEFAULT_CONN_ID,
        **kwargs: Any,
    ) -> None:
        super().__init__(wolkvox_conn_id=wolkvox_conn_id, **kwargs)
        self.numbers = numbers
        self.path = path
        self.storage_conn_id = storage_conn_id
        self.type_call = type_call
        self.chunk_size = chunk_size
        self._stopping = False  # a plain flag: operators are deep-copied, an Event is not copyable
        self.depend_on_output(numbers)  # numbers is not templated: pulled in execute()

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_provider_wolkvox.client.models import (
            MAX_DNC_NUMBERS_PER_REQUEST,
            parse_dnc_type,
            parse_int,
        )

        with fail_fast_on_permanent_errors(self):
            # Validated here, after rendering, and every number before the first request.
            type_call = parse_dnc_type(self.type_call, "type_call", self._type_calls)
            chunk_size = parse_int(
                self.chunk_size,
                "chunk_size",
                minimum=1,
                maximum=MAX_DNC_NUMBERS_PER_REQUEST,
                accepted=f"give 1 to {MAX_DNC_NUMBERS_PER_REQUEST:,} numbers per request",
            )
            given = self._numbers(context)
        numbers = list(dict.fromkeys(given))
        chunks = [numbers[start : start + chunk_size] for start in range(0, len(numbers), chunk_size)]
        counted = 0
        if chunks:
            counted = self._send_all(chunks, type_call)
            self.log.info(
                "Wolkvox %s %d of %d distinct numbers (type_call %s) in %d requests; %d repeats left out",
                self._count_key,
                counted,
                len(numbers),
                type_call,
                len(chunks),
                len(given) - len(numbers),
            )
        else:
            self.log.warning("There were no numbers to %s; nothing was sent", self._verb)
        return {
            "numbers": len(numbers),
            "duplicates": len(given) - len(numbers),
            self._count_key: counted,
            "requests": len(chunks),
            "type_call": type_call,
        }

    def _send_all(self, chunks: list[list[str]], type_call: str) -> int:
        """One request per chunk, in order; the sum of the counts Wolkvox answers."""
        with fail_fast_on_permanent_errors(self):
            client = self.hook.get_conn()
        counted = 0
        for index, chunk in enumerate(chunks):
            if self._stopping:
                self._fail(index, len(chunks), counted, None)
            try:
                counted += getattr(client, self._method)(chunk, type_call=type_call)
            except Exception as exc:
                self._fail(index, len(chunks), counted, exc)
            if len(chunks) > 1:
                self.log.info(
                    "Do-not-call request %d of %d answered: %d numbers sent",
                    index + 1,
                    len(chunks),
                    len(chunk),
                )
        return counted

    def on_kill(self) -> None:
        """Send no further chunk; the request in flight finishes."""
        self._stopping = True

    def _numbers(self, context: Context) -> list[str]:
        """The numbers given (resolved from XCom when an upstream task's output) or read, all checked."""
        from airflow_provider_wolkvox.client.errors import WolkvoxValidationError
        from airflow_provider_wolkvox.client.models import parse_phone_numbers

        value = pulled(self.numbers, context)
        if (value is None) == (self.path is None):
            raise WolkvoxValidationError("numbers", "give either numbers (a list) or path (a file), not both")
        if self.path is not None:
            from airflow_provider_wolkvox.operators.sources import read_numbers

            read = read_numbers(self.path, self.storage_conn_id, field="path")
            return parse_phone_numbers(read, "path", unit="entry")
        if isinstance(value, str):
            raise WolkvoxValidationError(
                "numbers",
                "expected a list of phone numbers, got str. numbers is not templated (phone numbers are "
                "personal data and are never rendered): pass a list, or an upstream task's output "
                "(numbers=task.output) instead of a Jinja string",
            )
        if isinstance(value, Iterable) and not isinstance(value, (bytes, Mapping)):
            # Rows of one column, as a SQL task returns them, give their one value.
            value = (_single_value(item) for item in value)
        return parse_phone_numbers(value, "numbers")

    def _fail(self, index: int, total: int, counted: int, exc: BaseException | None) -> NoReturn:
        from airflow_provider_wolkvox._compat import AirflowException, AirflowFailException
        from airflow_provider_wolkvox.client.errors import WolkvoxError
        from airflow_provider_wolkvox.retry_policy import policy_decides

        done = f"{index} of {total} requests had been answered ({counted} numbers {self._count_key})"
        again = (
            "A retry sends every request again, which is harmless: adding or removing a number twice "
            "leaves the list as doing it once"
        )
        if exc is None:
            raise AirflowException(f"Stopped (the task was killed) after {done}. {again}.")
        message = f"Request {index + 1} of {total} to {self._verb} do-not-call numbers failed; {done}"
        if isinstance(exc, WolkvoxError):
            if exc.permanent:
                if policy_decides(self):  # the retry policy fails it, seeing the cause
                    raise AirflowException(f"{message}. Cause: {exc}") from exc
                raise AirflowFailException(f"{message}. Cause: {exc}") from exc
            raise AirflowException(f"{message}. {again}. Cause: {exc}") from exc
        raise exc


class AddDoNotCallOperator(_DoNotCallOperator):
    """Add phone numbers to the operation's do-not-call list (configuration.php?api=add_dnc).

    For opt-outs found downstream (a CRM, an agent's disposition, a national registry): numbers
    on the list are skipped by Wolkvox's dialer, and by the upload's ``wolkvox_dnc`` filter.

    **Phone numbers are data, not a template.** ``numbers`` is not a templated field: give a list,
    or an upstream task's output (``numbers=task.output``, a TaskFlow call), pulled from XCom in
    ``execute()``. A list of one-value rows (``[["573001234567"], ...]``, as a SQL task returns
    them) gives those values. Or give ``path``, a file with one number per line, or a CSV whose
    first column holds them (``,``, ``;`` or tab); lines whose first cell has no digit (a header,
    blank lines) are left out. It may be local or in object storage (``s3://``, ``gs://``,
    ``file://``... or an ``ObjectStoragePath``, read through Airflow's object-storage layer). The
    numbers are held in memory while they are sent (about 100 bytes each). No number is ever
    logged, rendered or quoted in an error: a bad one is named by its position ("item 3" of
    ``numbers``; "entry 3" of ``path``, counting the lines read as numbers).

    Every number is checked before the first request: text or int, 6 to 20 digits once spaces,
    tabs, dashes, dots, slashes, parentheses and one leading ``+`` are removed (``"+57 300
    123-4567"`` is sent as ``573001234567``). Nothing else is changed: Wolkvox matches numbers as
    stored, so give them the way the campaigns' records hold them (e.g. with country code). A
    number given twice is sent once.

    Numbers go in chunks of ``chunk_size`` per request. Adding is idempotent, so a failed request is
    retried by the client like a read, and a task retry sends every chunk again.

    Returns (XCom): ``numbers`` (distinct numbers sent), ``duplicates`` (repeats left out),
    ``added`` (the sum of what Wolkvox says it added, from each answer's ``msg``), ``requests``,
    ``type_call``.

    :param numbers: a list of phone numbers (text or int), or an upstream task's output; not
        templated. Exclusive with ``path``.
    :param path: a local path, a URL or an ``ObjectStoragePath`` of a list of numbers (see above)
        (templated). Exclusive with ``numbers``.
    :param storage_conn_id: the connection for an object-storage URL in ``path`` (default: the
        storage's own default credentials) (templated).
    :param type_call: which calls the numbers are blocked for: ``outbound`` (default: the dialer
        does not call them), ``inbound``, ``inbound/outbound`` or ``all``, any case (templated).
        ``outbound`` is the default, not Wolkvox's ``all``, so that an opt-out does not also block
        the customer's own calls in.
    :param chunk_size: numbers per request, 1-10,000 (default 10,000, the documented limit of items
        uploaded per call; each call costs one unit of the daily quota).
    :param wolkvox_conn_id: the Wolkvox connection, ``wolkvox_default`` by default (templated).
    """

    _method = "add_dnc"
    _verb = "add"
    _count_key = "added"
    _type_calls = ("inbound", "outbound", "inbound/outbound", "all")


class RemoveDoNotCallOperator(_DoNotCallOperator):
    """Remove phone numbers from the operation's do-not-call list (configuration.php?api=remove_dnc).

    Takes ``numbers`` or ``path`` as :class:`AddDoNotCallOperator` does (not templated, checked,
    named by position only, repeats sent once, chunked). Removing every number at once (Wolkvox's
    ``"telephones": "all"``) is not offered: the dialer could then call everyone who opted out.

    ``type_call`` is sent as remove_dnc's ``type``. The vendor's collection spells outbound
    ``outboud`` there; its reference page, add_dnc and get_dnc spell it ``outbound``, which is
    what is sent. ``type_call="outboud"`` sends the collection's spelling as it is, should an
    operation need it.

    Returns (XCom): ``numbers``, ``duplicates``, ``removed`` (the sum of what Wolkvox says it
    deleted), ``requests``, ``type_call``.

    :param numbers: a list of phone numbers (text or int), or an upstream task's output; not
        templated. Exclusive with ``path``.
    :param path: a file of numbers, local or in object storage (templated).
    :param storage_conn_id: the connection for an object-storage URL in ``path`` (templated).
    :param type_call: ``outbound`` (default), ``inbound``, ``inbound/outbound``, ``all`` (every type)
        or ``outboud`` (see above), any case (templated).
    :param chunk_size: numbers per request, 1-10,000 (default 10,000).
    :param wolkvox_conn_id: the Wolkvox connection, ``wolkvox_default`` by default (templated).
    """

    _method = "remove_dnc"
    _verb = "remove"
    _count_key = "removed"
    _type_calls = ("inbound", "outbound", "inbound/outbound", "all", "outboud")


def _single_value(item: Any) -> Any:
    if isinstance(item, (list, tuple)) and len(item) == 1:
        return item[0]
    return item
