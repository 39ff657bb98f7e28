"""Every error the Wolkvox client raises, and how an HTTP answer is turned into one.

Each error carries what a caller needs to branch on data, not on message text: the HTTP status,
the API's own ``code`` and ``msg``, the ``api`` operation, and ``permanent`` (True when retrying
the same call cannot help: bad input, a bad or missing token, an exhausted daily quota).
No error message ever contains a request header, so the token can never leak through one.
"""

from __future__ import annotations

import email.utils
import time
from typing import Any

#: How much of a body that is not JSON is quoted in an error message.
EXCERPT_CHARS = 200


class WolkvoxError(Exception):
    """Base class of every error raised by this package."""

    permanent = False

    def __init__(
        self,
        message: str,
        *,
        api: str | None = None,
        status: int | None = None,
        api_code: int | str | None = None,
        api_message: str | None = None,
    ) -> None:
        super().__init__(message)
        self.api = api
        self.status = status
        self.api_code = api_code
        self.api_message = api_message


class WolkvoxValidationError(WolkvoxError, ValueError):
    """A value given to the client, hook or an operator is not one Wolkvox accepts.

    Raised before any request is sent. ``field`` names the argument or connection field.
    """

    permanent = True

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"Invalid {field}: {message}")
        self.field = field


class WolkvoxAPIError(WolkvoxError):
    """Wolkvox answered with an error status.

    ``retry_after`` is the wait in seconds the server asked for (a Retry-After header), if any.
    """

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class WolkvoxBadRequestError(WolkvoxAPIError):
    """400: the API does not exist or a parameter is missing or wrong."""

    permanent = True


class WolkvoxNotFoundError(WolkvoxAPIError):
    """404: the campaign (or record) does not exist."""

    permanent = True


class WolkvoxAuthError(WolkvoxAPIError):
    """The token is missing (401) or not valid for this operation (403 PLEASE VALIDATE TOKEN)."""

    permanent = True


class WolkvoxQuotaExceededError(WolkvoxAPIError):
    """403 TOKEN LIMIT EXCEEDED: the daily quota (licenses x 1,000 calls) is used up."""

    permanent = True


class WolkvoxThrottledError(WolkvoxAPIError):
    """The server refused the call before doing anything and asks to come back later."""


class WolkvoxConcurrencyLimitError(WolkvoxThrottledError):
    """403: more than 2 requests in flight on one token."""


class WolkvoxRateLimitError(WolkvoxThrottledError):
    """429 Too Many Requests (not documented by Wolkvox, but proxies send it)."""


class WolkvoxMaintenanceError(WolkvoxThrottledError):
    """Any other 403: the vendor disables the API during maintenance windows."""


class WolkvoxServerError(WolkvoxAPIError):
    """5xx: the server failed. For calls that create things, see WolkvoxAmbiguousResultError."""


class WolkvoxInvalidResponseError(WolkvoxAPIError):
    """The answer is not the documented envelope (not JSON, or a success without the expected data)."""


class WolkvoxConnectionError(WolkvoxError):
    """The request did not complete at the transport level.

    ``request_sent`` is False only when the connection was never established (refused, DNS,
    connect timeout), i.e. when the server provably did nothing.
    """

    def __init__(self, message: str, *, request_sent: bool, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.request_sent = request_sent


class WolkvoxTimeoutError(WolkvoxConnectionError):
    """No answer within the timeout."""


class WolkvoxRedirectError(WolkvoxAPIError):
    """3xx: the server (or a proxy in front of it) answered with a redirect, which is never followed.

    Following it would send the ``wolkvox-token`` header to the Location's host (requests strips
    only ``Authorization`` when the host changes) and turn a POST into a GET there. A redirect
    means the connection's server is wrong or a proxy rewrites it, so retrying cannot help.
    ``location_host`` is the host the redirect pointed to (None without a Location); the rest of
    the Location is never kept, since a hostile server could echo the token in it.
    """

    permanent = True

    def __init__(self, message: str, *, location_host: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.location_host = location_host


class WolkvoxAmbiguousResultError(WolkvoxError):
    """A call that creates something failed in a way that leaves its outcome unknown.

    The server may or may not have applied it (read timeout, dropped connection, 502/504).
    Retrying blindly could create a duplicate, so the client stops and says so.
    """


_REASONS = {
    400: "bad request",
    401: "unauthorized",
    403: "forbidden",
    404: "not found",
    429: "too many requests",
}


def transport_error(api: str, exc: BaseException, *, sent: bool, timed_out: bool) -> WolkvoxConnectionError:
    """A failed connection, named by the exception's kind only (its message may quote the URL or a
    header); ``sent`` says whether the request may have reached the server."""
    reason = type(exc).__name__
    if timed_out:
        what = "no answer within the timeout" if sent else "could not connect within the timeout"
        return WolkvoxTimeoutError(f"Wolkvox {api} failed: {what} ({reason})", request_sent=sent, api=api)
    what = "the connection was dropped before an answer" if sent else "could not connect"
    return WolkvoxConnectionError(f"Wolkvox {api} failed: {what} ({reason})", request_sent=sent, api=api)


def describe(api: str, status: int, api_code: Any, api_message: str | None) -> str:
    """Build the one-line message shared by every API error: operation, status, code, API text."""
    parts = [f"Wolkvox {api} failed: HTTP {status}"]
    reason = _REASONS.get(status) or ("server error" if status >= 500 else None)
    if reason:
        parts[0] += f" ({reason})"
    if api_code is not None and str(api_code) != str(status):
        parts.append(f"API code {api_code}")
    if api_message:
        parts.append(str(api_message))
    return ", ".join(parts)


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Read a Retry-After header (seconds or an HTTP date) as seconds to wait, or None."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # "²".isdigit() is True, but float("²") fails
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def classify(
    api: str,
    status: int,
    api_code: Any,
    api_message: str | None,
    *,
    retry_after: float | None = None,
) -> WolkvoxAPIError:
    """Turn an error answer into the error class a caller can act on."""
    message = describe(api, status, api_code, api_message)
    kwargs: dict[str, Any] = {
        "api": api,
        "status": status,
        "api_code": api_code,
        "api_message": api_message,
        "retry_after": retry_after,
    }
    text = (api_message or "").upper()
    if status == 401:
        return WolkvoxAuthError(message, **kwargs)
    if status == 403:
        if "VALIDATE TOKEN" in text or "INVALID TOKEN" in text:
            return WolkvoxAuthError(message, **kwargs)
        if "TOKEN LIMIT" in text:
            return WolkvoxQuotaExceededError(message, **kwargs)
        if "SIMULTANEOUS" in text:
            return WolkvoxConcurrencyLimitError(message, **kwargs)
        return WolkvoxMaintenanceError(message, **kwargs)
    if status == 404:
        return WolkvoxNotFoundError(message, **kwargs)
    if status == 429:
        return WolkvoxRateLimitError(message, **kwargs)
    if status >= 500:
        return WolkvoxServerError(message, **kwargs)
    if status >= 400:
        return WolkvoxBadRequestError(message, **kwargs)
    return WolkvoxInvalidResponseError(message, **kwargs)


def excerpt(text: str) -> str:
    """A short, single-line quote of a body for an error message."""
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT_CHARS else flat[:EXCERPT_CHARS] + "..."


class WolkvoxResumableError(WolkvoxError):
    """A try stopped after recording what it did in the task state store, so the next try settles
    it safely (e.g. a creation whose answer was lost is looked for before anything is sent again).

    Never permanent: whatever caused it (even an unknown outcome), retrying is the way forward.
    """


class UploadError(WolkvoxError):
    """A record upload failed (client/upload.py). ``permanent`` says whether a later try could help.

    Set per instance: a transient failure (a chunk provably not stored, a lost answer with a
    store to resume from, a stop) leaves the progress in the store so that the next try sends
    only what Wolkvox does not hold yet; a permanent one needs a person (invalid rows, a changed
    input, a chunk found only in part, a verification mismatch with ``verify="fail"``, or a
    failure after chunks were stored when there is no store to resume from).
    """

    def __init__(self, message: str, *, permanent: bool, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.permanent = permanent
