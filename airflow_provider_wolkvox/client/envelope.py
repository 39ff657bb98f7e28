"""Reading a Wolkvox answer: the ``{code, error, msg, data}`` envelope, or the error it means.

A pure function of what came back (API name, HTTP status, headers, body bytes), shared by the
blocking client (requests) and the async one (httpx), so both read answers the same way.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from airflow_provider_wolkvox.client.errors import (
    WolkvoxInvalidResponseError,
    WolkvoxRedirectError,
    classify,
    excerpt,
    parse_retry_after,
)


@dataclass(frozen=True)
class Envelope:
    """A successful answer: HTTP status and the documented ``code``, ``msg`` and ``data``."""

    status: int
    code: Any
    msg: str
    data: Any


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header's value whatever the case of its name (plain dicts in tests are not case-blind)."""
    value = headers.get(name)
    if value is not None:
        return value
    wanted = name.lower()
    return next((v for k, v in headers.items() if k.lower() == wanted), None)


def parse_answer(
    api: str, status: int, headers: Mapping[str, str], body: bytes, *, url: str = ""
) -> Envelope:
    """Read the envelope of one answer; raise the matching WolkvoxError when it is an error.

    ``url`` is the request's URL, only used to resolve a relative redirect Location to a host.
    """
    if 300 <= status < 400:
        raise redirect_error(api, status, header(headers, "Location"), url)
    try:
        data = json.loads(body) if body else None
    except ValueError:
        data = None
    retry_after = parse_retry_after(header(headers, "Retry-After"))
    if not isinstance(data, dict):
        text = excerpt(body.decode("utf-8", errors="replace"))
        if status >= 400:
            raise classify(api, status, None, f"body is not JSON: {text!r}", retry_after=retry_after)
        raise WolkvoxInvalidResponseError(
            f"Wolkvox {api} answered HTTP {status} with a body that is not the JSON envelope: {text!r}",
            api=api,
            status=status,
        )
    code = data.get("code")
    try:
        body_status = int(code) if code is not None else None
    except (TypeError, ValueError):
        body_status = None
    message = data.get("msg")
    message = None if message is None else str(message)
    # HTTP status is primary; an error code in the body of a 2xx answer still counts as an error.
    effective = status if status >= 400 or not body_status or body_status < 400 else body_status
    if effective >= 400:
        raise classify(api, effective, code, message, retry_after=retry_after)
    return Envelope(status, code, message or "", data.get("data"))


def redirect_error(api: str, status: int, location: str | None, url: str) -> WolkvoxRedirectError:
    """A 3xx answer as an error naming the status and the Location's host, and nothing else of it."""
    host = None
    if location:
        try:
            # A relative Location points at the server that answered.
            host = urllib.parse.urlsplit(urllib.parse.urljoin(url or "", location)).hostname
        except ValueError:
            host = None
    if host and re.fullmatch(r"[A-Za-z0-9._:\[\]-]{1,253}", host):
        where = f"to host {host!r}"
    else:
        host = None
        where = "with an unreadable Location" if location else "without a Location"
    return WolkvoxRedirectError(
        f"Wolkvox {api} failed: HTTP {status} redirect {where}. Redirects are never followed, since the "
        "token would travel with them; check the connection's server (e.g. https:// instead of "
        "http://, or the server code Wolkvox gave you)",
        api=api,
        status=status,
        location_host=host,
    )
