"""AsyncWolkvoxClient: the campaign-list read on httpx, for an event loop (the triggerer).

Same contract as :class:`~airflow_provider_wolkvox.client.client.WolkvoxClient`: the token goes
only in the ``wolkvox-token`` header and only to the configured host, a redirect is never
followed (a 3xx is WolkvoxRedirectError), and answers are read by the same parser
(:func:`~airflow_provider_wolkvox.client.envelope.parse_answer`). It makes one attempt per call;
retrying is left to the caller (the shared poller retries once for all its waiters).
"""

from __future__ import annotations

import functools
import logging
import ssl
from collections.abc import Mapping

import httpx

from airflow_provider_wolkvox import __version__
from airflow_provider_wolkvox.client.client import MAX_CONNECTIONS, build_url
from airflow_provider_wolkvox.client.envelope import Envelope, parse_answer
from airflow_provider_wolkvox.client.errors import WolkvoxConnectionError, transport_error
from airflow_provider_wolkvox.client.models import Campaign
from airflow_provider_wolkvox.client.settings import ClientSettings

log = logging.getLogger(__name__)

#: httpx failures raised before the request could leave: the server provably did nothing.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


class AsyncWolkvoxClient:
    """One httpx connection pool on one Wolkvox operation with one token.

    :param settings: server, token, timeout (see :class:`ClientSettings`).
    :param transport: an httpx transport to use instead of the network (tests).
    """

    def __init__(
        self, settings: ClientSettings, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.settings = settings
        self.base_url = settings.base_url
        headers = {
            "wolkvox-token": settings.token,
            "User-Agent": f"airflow-provider-wolkvox/{__version__} python-httpx/{httpx.__version__}",
            "Accept": "application/json",
        }
        if settings.server_header:
            headers["wolkvox_server"] = settings.server_header
        self._http = httpx.AsyncClient(
            headers=headers,
            timeout=httpx.Timeout(settings.timeout),
            limits=httpx.Limits(max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_CONNECTIONS),
            # Never follow a redirect: the wolkvox-token header would travel to the new host.
            follow_redirects=False,
            verify=_ssl_context(),
            transport=transport,
        )

    def __repr__(self) -> str:  # never shows the token
        return f"AsyncWolkvoxClient(base_url={self.base_url!r})"

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncWolkvoxClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def list_campaigns(self) -> list[Campaign]:
        """Every campaign of the operation (information.php?api=campaigns). One call, one attempt."""
        answer = await self._get("information.php", "campaigns")
        rows = answer.data if isinstance(answer.data, list) else [answer.data]
        return [Campaign.from_row(row) for row in rows if isinstance(row, Mapping)]

    async def _get(self, module: str, api: str, params: Mapping[str, str] | None = None) -> Envelope:
        url = build_url(self.base_url, module, api, params)
        try:
            response = await self._http.get(url)
        except httpx.TransportError as exc:
            raise _transport_error(api, exc) from exc
        return parse_answer(api, response.status_code, response.headers, response.content, url=url)


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """httpx's default verifying context (certifi, or SSL_CERT_FILE/SSL_CERT_DIR), made once a process.

    Loading the CA bundle takes some 40 ms of CPU; made per client it would stall the triggerer's
    event loop each time a connection's shared poller starts.
    """
    return httpx.create_ssl_context()


def _transport_error(api: str, exc: httpx.TransportError) -> WolkvoxConnectionError:
    return transport_error(
        api, exc, sent=not isinstance(exc, _NOT_SENT), timed_out=isinstance(exc, httpx.TimeoutException)
    )


__all__ = ["AsyncWolkvoxClient"]
