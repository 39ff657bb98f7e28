"""Which failed calls may be sent again, and how long to wait first.

Two kinds of call:

* idempotent calls (reads, start/stop/speed, deletes) may be repeated safely, so they retry on
  every transient failure: connection errors, timeouts, 5xx, 429, the per-token concurrency 403
  and the maintenance 403;
* calls that create things (create_campaign, add_record) retry only when the server provably did
  nothing: the connection was never made, or it answered 429, 503, the concurrency 403 or the
  maintenance 403. Any other failure after the request may have reached the server is turned into
  WolkvoxAmbiguousResultError by the client and never retried here.
"""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass

from airflow_provider_wolkvox.client.errors import (
    WolkvoxConnectionError,
    WolkvoxError,
    WolkvoxServerError,
    WolkvoxThrottledError,
)

#: Statuses after which the server may have applied a call (the answer was lost or it failed midway).
AMBIGUOUS_STATUSES = frozenset({500, 502, 504})


class CallKind(enum.Enum):
    IDEMPOTENT = "idempotent"
    CREATE = "create"


@dataclass(frozen=True)
class RetrySettings:
    """Retry limits, set from the connection extra (``retry_attempts`` ...).

    ``attempts`` counts every try, the first included; 1 disables HTTP retries.
    """

    attempts: int = 5
    min_delay: float = 1.0
    max_delay: float = 60.0
    max_retry_after: float = 300.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("retry_attempts must be at least 1")
        if self.min_delay < 0 or self.max_delay < self.min_delay:
            raise ValueError("retry delays must satisfy 0 <= retry_min_delay <= retry_max_delay")
        if self.max_retry_after < 0:
            raise ValueError("retry_max_retry_after must not be negative")


def is_retryable(error: BaseException, kind: CallKind) -> bool:
    """Whether ``error`` after one try of a call of this kind allows sending it again."""
    if not isinstance(error, WolkvoxError) or error.permanent:
        return False
    if isinstance(error, WolkvoxThrottledError):
        return True
    if isinstance(error, WolkvoxConnectionError):
        return kind is CallKind.IDEMPOTENT or not error.request_sent
    if isinstance(error, WolkvoxServerError):
        return kind is CallKind.IDEMPOTENT or error.status not in AMBIGUOUS_STATUSES
    return False


def backoff_seconds(
    retry_number: int, error: BaseException | None, settings: RetrySettings, rng: random.Random
) -> float:
    """Seconds to wait before retry ``retry_number`` (1 for the first retry).

    A Retry-After sent by the server wins (capped at ``max_retry_after``); otherwise exponential
    backoff from ``min_delay``, capped at ``max_delay``, with jitter so that parallel tasks sharing
    a token do not come back in lockstep.
    """
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:
        return min(float(retry_after), settings.max_retry_after)
    ceiling = min(settings.max_delay, settings.min_delay * 2 ** (retry_number - 1))
    return rng.uniform(max(settings.min_delay, ceiling / 2), ceiling)
