"""ClientSettings: everything needed to talk to one Wolkvox operation, checked, with no I/O.

The async client and the shared campaign-list poller are built from it; its ``key`` tells two
connections that reach the same operation with the same token apart from the rest without
keeping or showing the token anywhere.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field

from airflow_provider_wolkvox.client.client import DEFAULT_TIMEOUT, check_session_args, resolve_server
from airflow_provider_wolkvox.client.retry import RetrySettings

_PROCESS_KEY = os.urandom(16)


@dataclass(frozen=True)
class ClientSettings:
    """A server, token and the limits of the calls made with them.

    :param server: the operation's server code or an explicit URL (see ``resolve_server``).
    :param token: the API token; never shown by ``repr``.
    :param server_id: value of the ``wolkvox_server`` header; derived from ``server`` when omitted.
    :param timeout: seconds to wait for an answer.
    :param retry: HTTP retry limits.
    :param allow_insecure_http: allow plain http to a host that is not loopback.
    """

    server: str
    token: str = field(repr=False)
    server_id: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    retry: RetrySettings = field(default_factory=RetrySettings)
    allow_insecure_http: bool = False
    base_url: str = field(init=False)
    server_header: str | None = field(init=False)

    def __post_init__(self) -> None:
        endpoint = resolve_server(self.server, allow_insecure_http=self.allow_insecure_http)
        check_session_args(self.token, self.server_id, self.timeout)
        object.__setattr__(self, "timeout", float(self.timeout))
        object.__setattr__(self, "base_url", endpoint.base_url)
        object.__setattr__(self, "server_header", self.server_id or endpoint.server_code)

    @property
    def key(self) -> str:
        """Same, in this process, for the same base URL, server header and token.

        A keyed hash with a key drawn at random per process: a key that shows up in a log cannot be
        tested against guessed tokens elsewhere.
        """
        material = "\0".join((self.base_url, self.server_header or "", self.token))
        return hashlib.blake2b(material.encode(), key=_PROCESS_KEY, digest_size=8).hexdigest()
