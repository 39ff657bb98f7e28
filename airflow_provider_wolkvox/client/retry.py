"""Which failed calls may be sent again, and how long to wait first.

Two kinds of call:

* idempotent calls (reads, start/stop/speed, deletes) may be repeated safely, so they retry on
  every transient failure: connection errors, timeouts, 5xx, 429, the per-token concurrency 403
  and the maintenance 403;
* calls that create things (create_campaign, add_record) retry only when the server provably did
  nothing: the connection was never made, or it answered 429, 503, the concurrency 403 or the
  maintenance 403. Any other failure after the request may have reached the server is turned into
  WolkvoxAmbiguousResultError by the client and never retried here.

The per-token concurrency 403 ("EXCEEDS THE LIMIT OF SIMULTANEOUS REQUESTS PER TOKEN") is refused
before the server does anything, and clears as soon as another request on the token finishes, so
it has a budget of its own (``concurrency_attempts``) that does not use up ``attempts``.
"""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass

from airflow_provider_wolkvox.client.errors import (
    WolkvoxConcurrencyLimitError,
    WolkvoxConnectionError,
    WolkvoxError,
    WolkvoxServerError,
    WolkvoxThrottledError,
)

#: Tries of a call refused with the concurrency 403 when retry_concurrency_attempts is not set
#: (unless retry_attempts is higher).
DEFAULT_CONCURRENCY_ATTEMPTS = 10

#: Statuses after which the server may have applied a call (the answer was lost or it failed midway).
AMBIGUOUS_STATUSES = frozenset({500, 502, 504})


class CallKind(enum.Enum):
    IDEMPOTENT = "idempotent"
    CREATE = "create"


@dataclass(frozen=True)
class RetrySettings:
    """Retry limits, set from the connection extra (``retry_attempts`` ...).

    ``attempts`` counts the tries that fail in any way but the concurrency 403, the first included;
    1 disables those retries. ``concurrency_attempts`` counts the tries refused with the concurrency
    403 (``retry_concurrency_attempts``; 1 disables them): that refusal is provably harmless to
    resend, so it gets a larger budget of its own, by default ``attempts`` or 10, whichever is more
    (:attr:`concurrency_limit`).
    """

    attempts: int = 5
    min_delay: float = 1.0
    max_delay: float = 60.0
    max_retry_after: float = 300.0
    concurrency_attempts: int | None = None

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("retry_attempts must be at least 1")
        if self.concurrency_attempts is not None and self.concurrency_attempts < 1:
            raise ValueError("retry_concurrency_attempts must be at least 1")
        if self.min_delay < 0 or self.max_delay < self.min_delay:
            raise ValueError("retry delays must satisfy 0 <= retry_min_delay <= retry_max_delay")
        if self.max_retry_after < 0:
            raise ValueError("retry_max_retry_after must not be negative")

    @property
    def concurrency_limit(self) -> int:
        """Tries a call refused with the concurrency 403 gets: ``concurrency_attempts`` if set,
        else ``attempts`` or :data:`DEFAULT_CONCURRENCY_ATTEMPTS`, whichever is more."""
        if self.concurrency_attempts is not None:
            return self.concurrency_attempts
        return max(self.attempts, DEFAULT_CONCURRENCY_ATTEMPTS)


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


class AttemptBudget:
    """Counts one call's failed tries against the two budgets of :class:`RetrySettings`."""

    def __init__(self, settings: RetrySettings) -> None:
        self.settings = settings
        self.refused = 0  # tries refused with the concurrency 403
        self.failed = 0  # tries that failed in any other way
        self.last_refused = False

    def note(self, error: BaseException) -> None:
        """Count a failed try."""
        self.last_refused = isinstance(error, WolkvoxConcurrencyLimitError)
        if self.last_refused:
            self.refused += 1
        else:
            self.failed += 1

    def exhausted(self) -> bool:
        """Whether the budget of the last failure's kind is used up (no further try)."""
        if self.last_refused:
            return self.refused >= self.settings.concurrency_limit
        return self.failed >= self.settings.attempts

    def limit(self) -> int:
        """The budget the last failure counts against, for log lines."""
        return self.settings.concurrency_limit if self.last_refused else self.settings.attempts


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
