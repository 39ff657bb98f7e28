"""WolkvoxHook: turns an Airflow ``wolkvox`` connection into a WolkvoxClient."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow_provider_wolkvox._compat import BaseHook, get_async_connection, get_async_extra_dejson
from airflow_provider_wolkvox.client import (
    DEFAULT_TIMEOUT,
    Campaign,
    CampaignSpec,
    RetrySettings,
    WolkvoxClient,
    WolkvoxError,
    WolkvoxValidationError,
)
from airflow_provider_wolkvox.client.models import parse_bool, parse_int, parse_number
from airflow_provider_wolkvox.client.settings import ClientSettings

if TYPE_CHECKING:
    from airflow.sdk import Connection

    from airflow_provider_wolkvox.client.quota import Quota

#: Connection extra keys this hook reads; anything else is ignored.
EXTRA_KEYS = (
    "server_id",
    "timeout",
    "retry_attempts",
    "retry_min_delay",
    "retry_max_delay",
    "retry_max_retry_after",
    "retry_concurrency_attempts",
    "allow_insecure_http",
)


class WolkvoxHook(BaseHook):
    """Talk to the Wolkvox v2 API with the server and token of an Airflow connection.

    The connection's Host is the operation's server (``0042``, or a URL such as
    ``http://127.0.0.1:8765`` for the local emulator); its Password is the API token; its Login,
    labelled "Server id", is the ``wolkvox_server`` header when Host is a URL (for a server code
    it is derived from Host). Extras: ``timeout``, ``retry_attempts``, ``retry_min_delay``,
    ``retry_max_delay``, ``retry_max_retry_after``, ``retry_concurrency_attempts`` (tries refused
    with the per-token concurrency 403; ``retry_attempts`` or 10 by default, whichever is more),
    ``allow_insecure_http``, and ``server_id``
    (the older place of the server id, still read when Login is empty).

    :param wolkvox_conn_id: the connection id; ``wolkvox_default`` by default.
    """

    conn_name_attr = "wolkvox_conn_id"
    default_conn_name = "wolkvox_default"
    conn_type = "wolkvox"
    hook_name = "Wolkvox"

    def __init__(self, wolkvox_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.wolkvox_conn_id = wolkvox_conn_id
        self._closed_clients_calls = 0  # requests sent by clients this hook built and closed

    @cached_property
    def connection(self) -> Connection:
        """The Airflow connection, read on first use (never in ``__init__``, so DAG parsing stays offline)."""
        return self.get_connection(self.wolkvox_conn_id)

    @cached_property
    def connection_extra(self) -> dict[str, Any]:
        """The connection's Extra as a dict (its secrets registered for masking), read on first use."""
        return self.connection.extra_dejson or {}

    @cached_property
    def client_settings(self) -> ClientSettings:
        """Server, token, timeout and retry limits from the connection, checked; errors name the field."""
        conn = self.connection
        extra = _extra(self.connection_extra)
        token = conn.password
        if not token:
            raise WolkvoxValidationError(
                "password", f"connection {self.wolkvox_conn_id!r} has no API token in its Password field"
            )
        server_id, source = self._server_id(conn, extra)
        try:
            return ClientSettings(
                conn.host or "",
                token,
                server_id=server_id,
                timeout=_number(extra, "timeout", DEFAULT_TIMEOUT),
                retry=_retry_settings(extra),
                allow_insecure_http=_flag(extra, "allow_insecure_http"),
            )
        except WolkvoxValidationError as exc:
            if exc.field == "server_id" and source == "login":
                raise WolkvoxValidationError(
                    "login", f"Server id {server_id!r} is not accepted; use the server code, e.g. 0042"
                ) from None
            raise

    @cached_property
    def client(self) -> WolkvoxClient:
        """A WolkvoxClient built from the connection; errors name the connection field at fault."""
        settings = self.client_settings
        client = WolkvoxClient(
            settings.server,
            settings.token,
            server_id=settings.server_id,
            timeout=settings.timeout,
            retry=settings.retry,
            allow_insecure_http=settings.allow_insecure_http,
        )
        self.log.info(
            "Wolkvox connection %r: %s, server id %s",
            self.wolkvox_conn_id,
            client.base_url,
            settings.server_header or "(none)",
        )
        return client

    @staticmethod
    def _server_id(conn: Connection, extra: dict[str, Any]) -> tuple[str | None, str]:
        """The ``wolkvox_server`` header value and where it came from.

        The Login field ("Server id" in the form) first; then the older ``server_id`` extra, so
        existing connections keep working. Not an extra any more because Airflow 3 registers
        every extra value as a secret to mask and warns "Skipping masking for a secret as it's too
        short" at the top of every task log for a 4-digit one. None for a Wolkvox host: the
        client derives it from ``0042`` or ``wv0042.wolkvox.com``.
        """
        login = conn.login or ""
        if login:
            return login, "login"
        return _text_or_none(extra.get("server_id")), "extra"

    def get_conn(self) -> WolkvoxClient:
        """Return the WolkvoxClient for this connection (Airflow's usual hook entry point)."""
        return self.client

    def close(self) -> None:
        """Close the client's HTTP connections, if a client was built; a later call builds a new one.

        Operators, the sensor and the trigger call this when they are done, so that a process
        running several tasks (``airflow dags test``) keeps no socket open per finished task.
        """
        client = self.__dict__.pop("client", None)
        if client is not None:
            self._closed_clients_calls += client.requests_sent
            client.close()

    @property
    def api_calls(self) -> int:
        """HTTP requests sent to Wolkvox through this hook so far, HTTP retries included.

        Counts the requests of every client the hook built, closed ones too; each can cost a unit
        of the daily quota.
        """
        client = self.__dict__.get("client")
        return self._closed_clients_calls + (client.requests_sent if client is not None else 0)

    def __enter__(self) -> WolkvoxHook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def aget_client(self) -> WolkvoxClient:
        """The client, with the connection read the async-safe way (for triggers).

        Nothing here may call the task supervisor synchronously from the triggerer's event loop:
        before Airflow 3.3.2 ``aget_connection`` does (to mask the secrets) and on every Airflow 3
        ``extra_dejson`` does, and either can raise ``DeadlockImminentError``. common-compat's
        ``get_async_connection`` and ``get_async_extra_dejson`` (or their fallbacks in ``_compat``)
        read both safely and fill the same cache slots ``client`` reads, so building the client
        itself does no I/O.
        """
        if "client" not in self.__dict__:
            await self._aread_connection()
        return self.client

    async def aget_client_settings(self) -> ClientSettings:
        """Server, token and limits of the connection, read the async-safe way (see :meth:`aget_client`).

        The trigger builds its httpx client (or joins a shared poller) from these; no blocking
        client is made.
        """
        if "client_settings" not in self.__dict__:
            await self._aread_connection()
        return self.client_settings

    async def _aread_connection(self) -> None:
        if "connection" not in self.__dict__:
            self.__dict__["connection"] = await get_async_connection(self.wolkvox_conn_id, self)
        if "connection_extra" not in self.__dict__:
            extra = await get_async_extra_dejson(self.connection)
            self.__dict__["connection_extra"] = extra or {}

    def create_campaign(self, spec: CampaignSpec) -> Campaign:
        """Create a campaign; see :meth:`WolkvoxClient.create_campaign`."""
        return self.client.create_campaign(spec)

    def quota(self) -> Quota:
        """The token's use of its daily call quota today (one token_info call, which counts itself).

        Returns a :class:`~airflow_provider_wolkvox.client.quota.Quota`: ``limit``, ``used``,
        ``remaining`` and ``operation_used`` (every token of the operation), each None when
        Wolkvox did not give it. ``quota().as_dict()`` is JSON-safe, for XCom.
        """
        from airflow_provider_wolkvox.client.quota import Quota

        quota = Quota.from_token_info(self.client.token_info())
        self.log.info(
            "Wolkvox quota of connection %r: %s of %s calls used today, %s left (all tokens: %s)",
            self.wolkvox_conn_id,
            _shown(quota.used),
            _shown(quota.limit),
            _shown(quota.remaining),
            _shown(quota.operation_used),
        )
        return quota

    def test_connection(self) -> tuple[bool, str]:
        """Check host, token and IP allow-list with one read-only call (token_info costs 1 unit)."""
        try:
            info = self.client.token_info()
        except WolkvoxError as exc:
            return False, str(exc)
        except Exception as exc:  # the UI shows the message; never let the test itself crash
            return False, f"{type(exc).__name__}: {exc}"
        if info.available is not None:
            return True, f"Connected to {self.client.base_url}; {info.available} API calls left today"
        return True, f"Connected to {self.client.base_url}"

    # Airflow 2.x reads the connection form from these methods; Airflow 3.2+ reads the same data
    # from get_provider_info() and skips them.
    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        from airflow_provider_wolkvox.get_provider_info import HIDDEN_FIELDS, PLACEHOLDERS, RELABELING

        return {"hidden_fields": HIDDEN_FIELDS, "relabeling": RELABELING, "placeholders": PLACEHOLDERS}

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
        from flask_babel import lazy_gettext
        from wtforms import IntegerField
        from wtforms.validators import NumberRange, Optional

        from airflow_provider_wolkvox.get_provider_info import CONN_FIELDS

        return {
            "timeout": IntegerField(
                lazy_gettext(CONN_FIELDS["timeout"]["label"]),
                validators=[Optional(), NumberRange(min=1, max=3600)],
                widget=BS3TextFieldWidget(),
            ),
            "retry_attempts": IntegerField(
                lazy_gettext(CONN_FIELDS["retry_attempts"]["label"]),
                validators=[Optional(), NumberRange(min=1, max=20)],
                widget=BS3TextFieldWidget(),
            ),
        }


def _extra(raw: dict[str, Any]) -> dict[str, Any]:
    """The connection extra, reading the Airflow 2 form's ``extra__wolkvox__<key>`` spelling too."""
    merged: dict[str, Any] = {}
    for key in EXTRA_KEYS:
        value = raw.get(key)
        if value in (None, ""):
            value = raw.get(f"extra__wolkvox__{key}")
        if value not in (None, ""):
            merged[key] = value
    return merged


def _shown(count: int | None) -> str:
    return "unknown" if count is None else str(count)


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _number(extra: dict[str, Any], key: str, default: float) -> float:
    return parse_number(extra.get(key, default), key)


def _flag(extra: dict[str, Any], key: str) -> bool:
    return parse_bool(extra.get(key, False), key)


def _retry_settings(extra: dict[str, Any]) -> RetrySettings:
    defaults = RetrySettings()
    attempts = parse_int(
        extra.get("retry_attempts", defaults.attempts),
        "retry_attempts",
        minimum=1,
        maximum=20,
        accepted="give a whole number 1-20",
    )
    concurrency_attempts = None  # RetrySettings' default: retry_attempts or 10, whichever is more
    if "retry_concurrency_attempts" in extra:
        concurrency_attempts = parse_int(
            extra["retry_concurrency_attempts"],
            "retry_concurrency_attempts",
            minimum=1,
            maximum=50,
            accepted="give a whole number 1-50",
        )
    try:
        return RetrySettings(
            attempts=attempts,
            concurrency_attempts=concurrency_attempts,
            min_delay=_number(extra, "retry_min_delay", defaults.min_delay),
            max_delay=_number(extra, "retry_max_delay", defaults.max_delay),
            max_retry_after=_number(extra, "retry_max_retry_after", defaults.max_retry_after),
        )
    except ValueError as exc:
        raise WolkvoxValidationError("retry_min_delay", str(exc)) from None
