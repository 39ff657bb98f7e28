"""WolkvoxClient: one typed method per Wolkvox v2 endpoint, with no Airflow import.

Usable from any script::

    client = WolkvoxClient("0042", token)
    campaign = client.create_campaign(CampaignSpec.build(type_campaign="preview", ...))
"""

from __future__ import annotations

import ipaddress
import json
import logging
import random
import re
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from tenacity import Retrying, retry_if_exception

from airflow_provider_wolkvox import __version__
from airflow_provider_wolkvox.client.envelope import Envelope, parse_answer
from airflow_provider_wolkvox.client.errors import (
    WolkvoxAmbiguousResultError,
    WolkvoxConnectionError,
    WolkvoxError,
    WolkvoxInvalidResponseError,
    WolkvoxNotFoundError,
    WolkvoxServerError,
    WolkvoxValidationError,
    describe,
    transport_error,
)
from airflow_provider_wolkvox.client.models import (
    DNC_LIST_TYPES,
    DNC_OUTBOUND_COLLECTION_SPELLING,
    DNC_TYPES,
    MAX_DNC_NUMBERS_PER_REQUEST,
    MAX_DOWNLOAD_ROWS,
    RECORD_RESULTS,  # re-exported: the result values clear_campaign accepts
    Campaign,
    CampaignSpec,
    CampaignType,
    TokenInfo,
    parse_dnc_type,
    parse_id,
    parse_phone_numbers,
    parse_record_result,
    parse_speed,
    parse_text,
    read_count,
)
from airflow_provider_wolkvox.client.retry import (
    AMBIGUOUS_STATUSES,
    AttemptBudget,
    CallKind,
    RetrySettings,
    backoff_seconds,
    is_retryable,
)

log = logging.getLogger(__name__)

#: Wolkvox stops a call after 60 s; wait a little longer so its own answer arrives first.
DEFAULT_TIMEOUT = 75.0
#: Wolkvox refuses a third request in flight on one token, so two pooled connections suffice.
MAX_CONNECTIONS = 2

_SERVER_CODE = re.compile(r"(?:https://)?(?:wv)?([0-9]{1,8})(?:\.wolkvox\.com)?/?", re.IGNORECASE)
_URL_PATH = re.compile(r"(/[A-Za-z0-9._~-]+)*/?")
_LOOPBACK_NAMES = frozenset({"localhost"})


@dataclass(frozen=True)
class Endpoint:
    """Where a base URL points, and which server code goes in the ``wolkvox_server`` header."""

    base_url: str
    server_code: str | None


def resolve_server(server: Any, *, allow_insecure_http: bool = False) -> Endpoint:
    """Build the base URL from a connection's server value, refusing anything unsafe.

    ``0042``, ``wv0042``, ``wv0042.wolkvox.com`` and ``https://wv0042.wolkvox.com`` all give
    ``https://wv0042.wolkvox.com``. A value with an explicit ``http://`` or ``https://`` scheme that
    is not a Wolkvox host (the local emulator, a proxy) is used as given, after checks that it
    holds no credentials, query, fragment or path tricks. Plain http is only accepted to a
    loopback address unless ``allow_insecure_http`` is set, since the token travels in a header.
    """
    accepted = (
        "use the server code ('0042', 'wv0042', 'wv0042.wolkvox.com', 'https://wv0042.wolkvox.com') "
        "or an explicit URL such as 'http://127.0.0.1:8765'"
    )
    if not isinstance(server, str) or not server:
        raise WolkvoxValidationError("host", f"the Wolkvox server is required; {accepted}")
    if any(ch.isspace() for ch in server) or re.search(r"[\x00-\x1f\x7f]", server):
        raise WolkvoxValidationError(
            "host", f"{server!r} contains whitespace or control characters; {accepted}"
        )
    match = _SERVER_CODE.fullmatch(server)
    if match:
        code = match.group(1)
        return Endpoint(f"https://wv{code}.wolkvox.com", code)
    if "://" not in server:
        raise WolkvoxValidationError("host", f"{server!r} is not a Wolkvox server; {accepted}")
    parsed = urllib.parse.urlsplit(server)
    scheme = parsed.scheme.lower()
    if scheme not in ("http", "https"):
        raise WolkvoxValidationError(
            "host", f"scheme {parsed.scheme!r} is not accepted; use http:// or https://"
        )
    if "@" in parsed.netloc or parsed.query or parsed.fragment or "?" in server or "#" in server:
        raise WolkvoxValidationError(
            "host", f"{server!r} must not contain credentials, a query or a fragment; {accepted}"
        )
    try:
        hostname, port = parsed.hostname, parsed.port
    except ValueError as exc:
        raise WolkvoxValidationError("host", f"{server!r} has an invalid port; {accepted}") from exc
    if not hostname or not re.fullmatch(r"[A-Za-z0-9.:\[\]-]+", parsed.netloc):
        raise WolkvoxValidationError("host", f"{server!r} has no valid host name; {accepted}")
    if not _URL_PATH.fullmatch(parsed.path) or any(part in (".", "..") for part in parsed.path.split("/")):
        raise WolkvoxValidationError("host", f"{server!r} has a path that is not accepted; {accepted}")
    if scheme == "http" and not allow_insecure_http and not _is_loopback(hostname):
        raise WolkvoxValidationError(
            "host",
            f"plain http to {hostname!r} would send the token unencrypted; use https://, a loopback "
            "address, or set allow_insecure_http in the connection extra",
        )
    netloc = parsed.netloc.lower() if port is None else f"{hostname}:{port}"
    if ":" in hostname and not netloc.startswith("["):  # IPv6 literal
        netloc = f"[{hostname}]" + (f":{port}" if port else "")
    base = f"{scheme}://{netloc}{parsed.path.rstrip('/')}"
    wolkvox = re.fullmatch(r"wv([0-9]{1,8})\.wolkvox\.com", hostname, re.IGNORECASE)
    return Endpoint(base, wolkvox.group(1) if wolkvox else None)


def _is_loopback(hostname: str) -> bool:
    if hostname.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(hostname.strip("[]")).is_loopback
    except ValueError:
        return False


def build_url(base_url: str, module: str, api: str, params: Mapping[str, str] | None = None) -> str:
    """The one place URLs are built (both clients): base URL, /api/v2/<module>?api=<api>&<params>."""
    query = urllib.parse.urlencode({"api": api, **(params or {})})
    return f"{base_url}/api/v2/{module}?{query}"


def pick_campaign(campaigns: Iterable[Campaign], campaign_id: str | int) -> Campaign:
    """The campaign with this id from a campaign list; WolkvoxNotFoundError when it is not there."""
    wanted = parse_id(campaign_id, "campaign_id")
    for campaign in campaigns:
        if campaign.campaign_id == wanted:
            return campaign
    raise WolkvoxNotFoundError(
        f"Wolkvox campaign {wanted} was not found in the campaign list", api="campaigns"
    )


def check_session_args(token: Any, server_id: str | None, timeout: Any) -> None:
    """Refuse a token, server id or timeout Wolkvox cannot take (shared by both clients)."""
    if not isinstance(token, str) or not token or any(ch.isspace() for ch in token):
        raise WolkvoxValidationError("password", "the API token is required and must not contain whitespace")
    if server_id is not None and not re.fullmatch(r"[0-9A-Za-z]{1,16}", server_id):
        raise WolkvoxValidationError(
            "server_id", f"{server_id!r} is not accepted; use the server code, e.g. 0042"
        )
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or not 0 < timeout <= 3600:
        raise WolkvoxValidationError(
            "timeout", f"{timeout!r} is not accepted; give seconds between 0 and 3600"
        )


@dataclass(frozen=True)
class UploadResult:
    """What Wolkvox said about one add_record request."""

    sent: int
    accepted: int
    rejected: int
    message: str


class WolkvoxClient:
    """A session on one Wolkvox operation with one token.

    :param server: the operation's server code or an explicit URL (see :func:`resolve_server`).
    :param token: the API token, sent in the ``wolkvox-token`` header and nowhere else.
    :param server_id: value of the ``wolkvox_server`` header; derived from ``server`` when omitted.
    :param timeout: seconds to wait for an answer.
    :param retry: HTTP retry limits.
    :param allow_insecure_http: allow plain http to a host that is not loopback.
    :param sleep: how to wait between retries (tests pass a fake).

    :attr:`requests_sent` counts every HTTP request this client has sent (or tried to send), HTTP
    retries included, since each one can cost a unit of the daily quota.
    """

    def __init__(
        self,
        server: str,
        token: str,
        *,
        server_id: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        retry: RetrySettings | None = None,
        allow_insecure_http: bool = False,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        endpoint = resolve_server(server, allow_insecure_http=allow_insecure_http)
        check_session_args(token, server_id, timeout)
        self.base_url = endpoint.base_url
        self.timeout = float(timeout)
        self.retry = retry or RetrySettings()
        self._sleep = sleep
        self._rng = random.Random()
        self._sent = 0
        self._sent_lock = threading.Lock()  # the upload sends from two threads
        self._session = session or requests.Session()
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=MAX_CONNECTIONS)
        self._session.mount("https://", adapter)
        self._session.mount("http://", adapter)
        headers = {
            "wolkvox-token": token,
            "User-Agent": f"airflow-provider-wolkvox/{__version__} python-requests/{requests.__version__}",
            "Accept": "application/json",
        }
        server_header = server_id or endpoint.server_code
        if server_header:
            headers["wolkvox_server"] = server_header
        self._session.headers.update(headers)

    @property
    def requests_sent(self) -> int:
        """HTTP requests sent (or tried) so far by this client, retries included."""
        return self._sent

    def __repr__(self) -> str:  # never shows the token
        return f"WolkvoxClient(base_url={self.base_url!r})"

    def close(self) -> None:
        # urllib3 2 no longer closes a session's connection pools when the session is closed, only
        # when they are garbage-collected; a response still referenced (by the traceback of an
        # error a task raised, which Airflow 3.3 keeps for its retry policy) would keep its socket
        # open. So the pools are closed here.
        for adapter in self._session.adapters.values():
            pools = getattr(getattr(adapter, "poolmanager", None), "pools", None)
            if pools is None:
                continue
            for key in list(pools.keys()):
                pool = pools.get(key)
                if pool is not None:
                    pool.close()
        self._session.close()

    def __enter__(self) -> WolkvoxClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ campaign.php

    def create_campaign(self, spec: CampaignSpec) -> Campaign:
        """Create a preview or predictive campaign and return it with its new id.

        Not idempotent: retried only when the server provably did nothing; after an ambiguous
        failure raises WolkvoxAmbiguousResultError ("the campaign may have been created").
        """
        answer = self._call(
            "POST",
            "campaign.php",
            "create_campaign",
            params={"type_campaign": spec.type_campaign.value},
            body=spec.to_body(),
            kind=CallKind.CREATE,
        )
        row = _first_row(answer.data)
        # Wolkvox's old page spells the keys "id_campaing"/"name_campaing"; current answers do not.
        campaign_id = row.get("id_campaign") or row.get("id_campaing")
        if campaign_id in (None, ""):
            raise WolkvoxInvalidResponseError(
                "Wolkvox create_campaign answered success without a campaign id; the campaign may have "
                f"been created. API message: {answer.msg!r}",
                api="create_campaign",
                status=answer.status,
                api_code=answer.code,
                api_message=answer.msg,
            )
        name = row.get("name_campaign") or row.get("name_campaing") or spec.campaign_name
        return Campaign(
            campaign_id=str(campaign_id),
            campaign_name=str(name),
            type_campaign=spec.type_campaign.value,
            status="Stopped",
            raw=row,
        )

    def add_records(
        self,
        type_campaign: CampaignType | str,
        campaign_id: str | int,
        records: Iterable[Mapping[str, Any]] | bytes,
        *,
        campaign_status: str | None = None,
    ) -> UploadResult:
        """Insert records into a campaign (add_record). At most 10,000 records per call.

        ``records`` may be a list of dicts or an already encoded JSON array (bytes).
        Not idempotent: see :meth:`create_campaign`.
        """
        kind = CampaignType.parse(type_campaign)
        params = {"type_campaign": kind.value, "campaign_id": parse_id(campaign_id, "campaign_id")}
        if campaign_status is not None:
            params["campaign_status"] = parse_text(campaign_status, "campaign_status", required=True)
        if isinstance(records, bytes):
            body: bytes = records
            count = None
        else:
            items = list(records)
            count = len(items)
            body = json.dumps(items, separators=(",", ":"), ensure_ascii=False).encode()
        answer = self._call(
            "POST", "campaign.php", "add_record", params=params, body=body, kind=CallKind.CREATE
        )
        row = _first_row(answer.data)

        def number(key: str, default: int | None) -> int | None:
            count = read_count(row.get(key))
            return default if count is None else count

        sent = number("total_sent", count)
        accepted = number("total_added", sent)
        rejected = number("total_rejected", None)
        if rejected is None and sent is not None and accepted is not None:
            rejected = sent - accepted
        return UploadResult(sent or 0, accepted or 0, rejected or 0, answer.msg)

    def start_campaign(self, type_campaign: CampaignType | str | None, campaign_id: str | int) -> str:
        """Start (resume) dialing. Returns the API message.

        Sends only ``campaign_id``, as the vendor's collection does; ``type_campaign`` is checked
        when given (operators pass it) but not sent. The same holds for stop and speed.
        """
        return self._campaign_action("PUT", "start", type_campaign, campaign_id, send_type=False)

    def stop_campaign(self, type_campaign: CampaignType | str | None, campaign_id: str | int) -> str:
        """Stop (pause) dialing. Returns the API message."""
        return self._campaign_action("PUT", "stop", type_campaign, campaign_id, send_type=False)

    def set_speed(
        self, type_campaign: CampaignType | str | None, campaign_id: str | int, speed: int | str
    ) -> str:
        """Set the dialing speed, 0-100."""
        value = parse_speed(speed)
        return self._campaign_action(
            "PUT", "speed", type_campaign, campaign_id, body={"speed": str(value)}, send_type=False
        )

    def clear_campaign(
        self, type_campaign: CampaignType | str, campaign_id: str | int, *, result: str | None = None
    ) -> str:
        """Delete every record of a campaign, or only those whose result equals ``result``."""
        extra = {}
        result = parse_record_result(result)
        if result is not None:
            extra["result"] = result
        return self._campaign_action("DELETE", "clear_campaign", type_campaign, campaign_id, extra=extra)

    def remove_record(
        self, type_campaign: CampaignType | str, campaign_id: str | int, customer_id: str | Sequence[str]
    ) -> str:
        """Delete the records of one customer id, or of several (irreversible; rewrites report history).

        Wolkvox reads ``customer_id`` as a comma-separated list, so one id containing a comma is
        refused: it would delete other customers' records.
        """
        given = [customer_id] if isinstance(customer_id, str) else list(customer_id)
        ids = [parse_text(item, "customer_id", required=True) for item in given]
        if not ids or any("," in item for item in ids):
            raise WolkvoxValidationError(
                "customer_id",
                f"{customer_id!r} is not accepted; give one id or a list of ids, none containing a comma "
                "(Wolkvox splits customer_id at commas)",
            )
        return self._campaign_action(
            "DELETE", "remove_record", type_campaign, campaign_id, body={"customer_id": ",".join(ids)}
        )

    def delete_campaign(self, type_campaign: CampaignType | str, campaign_id: str | int) -> str:
        """Delete a campaign (irreversible)."""
        return self._campaign_action("DELETE", "delete_campaign", type_campaign, campaign_id)

    def find_record(
        self, campaign_id: str | int, *, customer_phone: str | None = None, customer_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Records of a campaign matching a phone and/or a customer id."""
        if not customer_phone and not customer_id:
            raise WolkvoxValidationError("customer_phone", "give customer_phone, customer_id or both")
        params = {"campaign_id": parse_id(campaign_id, "campaign_id")}
        if customer_phone:
            params["customer_phone"] = parse_text(customer_phone, "customer_phone", required=True)
        if customer_id:
            params["customer_id"] = parse_text(customer_id, "customer_id", required=True)
        return _rows(self._call("GET", "campaign.php", "find_record", params=params).data)

    # --------------------------------------------------------------- information.php

    def list_campaigns(self) -> list[Campaign]:
        """Every campaign of the operation (information.php?api=campaigns). Costs one call."""
        answer = self._call("GET", "information.php", "campaigns")
        return [Campaign.from_row(row) for row in _rows(answer.data)]

    def get_campaign(self, campaign_id: str | int) -> Campaign:
        """One campaign by id, from the campaign list; WolkvoxNotFoundError when absent."""
        wanted = parse_id(campaign_id, "campaign_id")  # before the call: a bad id costs no quota
        return pick_campaign(self.list_campaigns(), wanted)

    def find_campaigns(
        self, campaign_name: str, type_campaign: CampaignType | str | None = None
    ) -> list[Campaign]:
        """Campaigns whose name is exactly ``campaign_name`` (names are not unique in Wolkvox)."""
        kind = CampaignType.parse(type_campaign).value if type_campaign is not None else None
        return [
            campaign
            for campaign in self.list_campaigns()
            if campaign.campaign_name == campaign_name and (kind is None or campaign.type_campaign == kind)
        ]

    def token_info(self) -> TokenInfo:
        """Usage and remaining quota of the token (information.php?api=token_info). Costs one call."""
        return TokenInfo.from_row(_first_row(self._call("GET", "information.php", "token_info").data))

    # ------------------------------------------------------------------ do-not-call list

    def get_dnc(self, type_call: str = "outbound") -> list[str]:
        """The operation's do-not-call numbers for one call direction (information.php?api=get_dnc).

        ``type_call`` is ``outbound`` (default: the numbers the dialer must not call), ``inbound``
        or ``all``, any case, sent as the ``type`` parameter; Wolkvox lists a number blocked both
        ways under inbound and under outbound too. One call, costing one unit of the daily quota.

        Returns each number once, in Wolkvox's order, as the text Wolkvox holds (rows without a
        ``phone_number`` are left out). Wolkvox answers at most 60,000 rows per call and documents
        no paging, so a list that long may have been cut short; that is logged as a warning.
        """
        kind = parse_dnc_type(type_call, "type_call", DNC_LIST_TYPES)
        rows = _rows(self._call("GET", "information.php", "get_dnc", params={"type": kind}).data)
        numbers: dict[str, None] = {}
        for row in rows:
            value = row.get("phone_number")
            if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
                numbers[str(value).strip()] = None
        if len(rows) >= MAX_DOWNLOAD_ROWS:
            log.warning(
                "Wolkvox get_dnc answered %d rows, its documented maximum per call: the %s do-not-call "
                "list may be longer than what was read",
                len(rows),
                kind,
            )
        return list(numbers)

    def add_dnc(self, numbers: Iterable[str | int], type_call: str = "all") -> int:
        """Block numbers for the whole operation (configuration.php?api=add_dnc).

        Sends ``{"type_call", "telephones"}``. ``type_call`` is ``all`` (default), ``outbound``,
        ``inbound`` or ``inbound/outbound``, any case. ``numbers`` are checked before anything is
        sent (:func:`~airflow_provider_wolkvox.client.models.phone_number`: 6-20 digits once
        spaces, dashes, dots, slashes, parentheses and a leading ``+`` are removed); a bad one
        is named by its position ("item 3"), never by its value. Duplicates are sent once; at
        most 10,000 distinct numbers per call (the collection's limit per upload).

        Returns how many numbers Wolkvox says it added: ``data[0].total_added`` when present,
        else the number in ``msg`` ("x telephones were added"), else (a warning is logged) how
        many were sent. Adding is idempotent, so failed calls are retried like reads.
        """
        kind = parse_dnc_type(type_call, "type_call")
        telephones = _dnc_numbers(numbers)
        answer = self._call(
            "POST", "configuration.php", "add_dnc", body={"type_call": kind, "telephones": telephones}
        )
        return _dnc_count("add_dnc", answer, "total_added", len(telephones))

    def remove_dnc(self, numbers: Iterable[str | int], type_call: str = "all") -> int:
        """Unblock numbers (configuration.php?api=remove_dnc, DELETE ``{"telephones", "type"}``).

        ``type_call`` (sent as ``type``) is ``all`` (default), ``outbound``, ``inbound`` or
        ``inbound/outbound``, any case. The collection spells outbound ``outboud``; the vendor's
        reference page, add_dnc and get_dnc spell it ``outbound``, which is what is sent. Give
        ``"outboud"`` to send the collection's spelling as it is, should an operation need it.
        ``numbers`` are checked as for :meth:`add_dnc`. Wolkvox's ``"telephones": "all"`` (every
        number) is refused here: it would let the dialer call everyone who opted out; list the
        numbers with :meth:`get_dnc` and remove those.

        Returns how many numbers Wolkvox says it deleted (the number in ``msg``, "x telephones
        were deleted"; how many were sent, with a warning, when it gives none). Idempotent.
        """
        kind = parse_dnc_type(type_call, "type_call", (*DNC_TYPES, DNC_OUTBOUND_COLLECTION_SPELLING))
        if isinstance(numbers, str) and numbers.strip().lower() == "all":
            raise WolkvoxValidationError(
                "numbers",
                "removing every do-not-call number at once is not offered (the dialer could then call "
                "everyone who opted out); list them with get_dnc and remove those you mean to",
            )
        telephones = _dnc_numbers(numbers)
        answer = self._call(
            "DELETE", "configuration.php", "remove_dnc", body={"telephones": telephones, "type": kind}
        )
        return _dnc_count("remove_dnc", answer, None, len(telephones))

    # ---------------------------------------------------------------------- plumbing

    def _campaign_action(
        self,
        method: str,
        api: str,
        type_campaign: CampaignType | str | None,
        campaign_id: str | int,
        *,
        body: Any = None,
        extra: Mapping[str, str] | None = None,
        send_type: bool = True,
    ) -> str:
        """One campaign.php call on one campaign, with the query the vendor's collection shows.

        ``send_type=False`` for the calls the collection sends with ``campaign_id`` only (start,
        stop, speed); a given type is still validated so that a typo fails before any request.
        """
        kind = None if type_campaign is None and not send_type else CampaignType.parse(type_campaign)
        params = {"type_campaign": kind.value} if kind is not None and send_type else {}
        params["campaign_id"] = parse_id(campaign_id, "campaign_id")
        params.update(extra or {})
        return self._call(method, "campaign.php", api, params=params, body=body).msg

    def url_for(self, module: str, api: str, params: Mapping[str, str] | None = None) -> str:
        """This client's URL for a call (see :func:`build_url`)."""
        return build_url(self.base_url, module, api, params)

    def _call(
        self,
        method: str,
        module: str,
        api: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        kind: CallKind = CallKind.IDEMPOTENT,
    ) -> Envelope:
        url = self.url_for(module, api, params)
        payload: bytes | None
        if body is None or isinstance(body, bytes):
            payload = body
        else:
            payload = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json"} if payload is not None else None

        budget = AttemptBudget(self.retry)
        try:
            return self._send_once(method, url, api, payload, headers, kind)
        except WolkvoxError as exc:
            budget.note(exc)
            if not is_retryable(exc, kind) or budget.exhausted():
                raise
            failures = [exc]

        # Most calls succeed at once, so the retry machinery is only set up after a failure.
        # Its first attempt replays that failure (nothing is sent, nothing counted again) so that
        # tenacity's attempt numbers, waits and log lines count the try that already happened.
        def attempt() -> Envelope:
            if failures:
                raise failures.pop()
            try:
                return self._send_once(method, url, api, payload, headers, kind)
            except WolkvoxError as exc:
                budget.note(exc)
                raise

        def wait(state: Any) -> float:
            error = state.outcome.exception() if state.outcome else None
            tries = budget.refused if budget.last_refused else budget.failed
            return backoff_seconds(tries, error, self.retry, self._rng)

        retrying = Retrying(
            stop=lambda state: budget.exhausted(),
            wait=wait,
            retry=retry_if_exception(lambda exc: is_retryable(exc, kind)),
            before_sleep=lambda state: log.warning(
                "Wolkvox %s attempt %d of %d failed (%s); retrying in %.1f s",
                api,
                budget.refused if budget.last_refused else budget.failed,
                budget.limit(),
                state.outcome.exception() if state.outcome else "unknown error",
                state.next_action.sleep if state.next_action else 0.0,
            ),
            sleep=self._sleep,
            reraise=True,
        )
        return retrying(attempt)

    def _send_once(
        self,
        method: str,
        url: str,
        api: str,
        payload: bytes | None,
        headers: dict[str, str] | None,
        kind: CallKind,
    ) -> Envelope:
        with self._sent_lock:
            self._sent += 1
        try:
            # Never follow a redirect: requests would carry the wolkvox-token header to the new host.
            response = self._session.request(
                method, url, data=payload, headers=headers, timeout=self.timeout, allow_redirects=False
            )
        except requests.RequestException as exc:
            error = _transport_error(api, exc)
            if kind is CallKind.CREATE and error.request_sent:
                raise _ambiguous(api, str(error)) from exc
            raise error from exc
        try:
            return self._parse(api, response)
        except WolkvoxServerError as exc:
            if kind is CallKind.CREATE and exc.status in AMBIGUOUS_STATUSES:
                raise _ambiguous(api, str(exc), status=exc.status) from exc
            raise
        except WolkvoxInvalidResponseError as exc:
            # A success status with an unreadable body: the server ran the request.
            if kind is CallKind.CREATE:
                raise _ambiguous(api, str(exc), status=exc.status) from exc
            raise

    @staticmethod
    def _parse(api: str, response: requests.Response) -> Envelope:
        """Read the envelope ``{code, error, msg, data}``; raise the matching error on failure."""
        return parse_answer(api, response.status_code, response.headers, response.content, url=response.url)


def _dnc_numbers(numbers: Iterable[str | int]) -> list[str]:
    """Checked, distinct do-not-call numbers for one add_dnc/remove_dnc call."""
    telephones = list(dict.fromkeys(parse_phone_numbers(numbers, "numbers")))
    if not telephones:
        raise WolkvoxValidationError("numbers", "give at least one phone number")
    if len(telephones) > MAX_DNC_NUMBERS_PER_REQUEST:
        raise WolkvoxValidationError(
            "numbers",
            f"{len(telephones):,} distinct numbers given; at most {MAX_DNC_NUMBERS_PER_REQUEST:,} per "
            "request (Wolkvox's limit per upload): send them in chunks, as the do-not-call operators do",
        )
    return telephones


_LEADING_COUNT = re.compile(r"\s*([0-9]{1,18})(?![0-9])")


def _dnc_count(api: str, answer: Envelope, key: str | None, sent: int) -> int:
    """The count a DNC answer gives in ``data[0][key]`` or at the start of ``msg``, else ``sent``."""
    count = read_count(_first_row(answer.data).get(key)) if key else None
    if count is None:
        match = _LEADING_COUNT.match(answer.msg)
        count = int(match.group(1)) if match else None
    if count is None:
        # The message itself is not logged: an unexpected one might quote a phone number.
        log.warning("Wolkvox %s answered without a readable count; counting the %d numbers sent", api, sent)
        count = sent
    return count


def _first_row(value: Any) -> dict[str, Any]:
    rows = _rows(value)
    return rows[0] if rows else {}


def _rows(value: Any) -> list[dict[str, Any]]:
    """``data`` as a list of objects: Wolkvox sends a list, a single object, or null."""
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [row for row in value if isinstance(row, dict)]
    return []


def _transport_error(api: str, exc: requests.RequestException) -> WolkvoxConnectionError:
    return transport_error(api, exc, sent=_request_was_sent(exc), timed_out=isinstance(exc, requests.Timeout))


def _request_was_sent(exc: BaseException) -> bool:
    """False only when the failure provably happened before the request left (no connection)."""
    if isinstance(exc, requests.ConnectTimeout):
        return False
    seen: set[int] = set()
    stack: list[Any] = [exc]
    while stack:
        item = stack.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        name = type(item).__name__
        if name in ("NewConnectionError", "ConnectTimeoutError", "NameResolutionError"):
            return False
        if isinstance(item, BaseException):
            stack.extend(item.args)
            stack.extend([item.__cause__, item.__context__, getattr(item, "reason", None)])
    return True


def _ambiguous(api: str, cause: str, *, status: int | None = None) -> WolkvoxAmbiguousResultError:
    thing = "campaign" if api == "create_campaign" else "records"
    return WolkvoxAmbiguousResultError(
        f"{cause}. The request may have reached Wolkvox, so the {thing} may have been created; "
        "it was not sent again to avoid a duplicate. Check the campaign list before retrying.",
        api=api,
        status=status,
    )


__all__ = [
    "DEFAULT_TIMEOUT",
    "RECORD_RESULTS",
    "Endpoint",
    "UploadResult",
    "WolkvoxClient",
    "WolkvoxError",
    "describe",
    "resolve_server",
]
