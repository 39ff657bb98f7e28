"""WolkvoxRetryPolicy: how a failed Wolkvox task is retried on Airflow 3.3+ (AIP-105).

Airflow 3.3 lets a task carry a ``retry_policy`` whose ``evaluate()`` sees the exception a failed
try raised and decides: fail now, retry (with a delay of its own), or let ``retries`` and
``retry_delay`` decide. Every Wolkvox operator and the sensor use :class:`WolkvoxRetryPolicy`
there unless the task is given a ``retry_policy`` (``None`` included) directly or through
``default_args``. What it decides, by the error the try raised:

* bad input, a bad or missing token, a 400/404, a redirect, an exhausted daily quota, and a
  creation whose outcome is unknown: fail at once, whatever ``retries`` says;
* the per-token concurrency 403: retry after a short delay (``concurrency_delay``, 1 minute);
* the maintenance 403: retry after a long delay (``maintenance_delay``, 30 minutes);
* anything else: the task's own ``retries`` and ``retry_delay``.

A retry still needs ``retries`` left: Airflow lets a policy fail a task earlier, never retry it
more often. The decision itself (:func:`decide`) is plain Python, so it is the same on every
Airflow; on Airflow before 3.3, which has no retry policies, the operators keep failing the task
with ``AirflowFailException`` on the errors listed first (see
:func:`~airflow_provider_wolkvox.operators.base.fail_fast_on_permanent_errors`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from airflow_provider_wolkvox import _compat

if TYPE_CHECKING:
    from airflow.sdk import RetryDecision
    from airflow.sdk import RetryPolicy as _PolicyBase
else:
    _PolicyBase = _compat.RetryPolicy or object

#: Whether this Airflow has retry policies (3.3+).
SUPPORTED = _compat.RetryPolicy is not None

DEFAULT_CONCURRENCY_DELAY = timedelta(minutes=1)
DEFAULT_MAINTENANCE_DELAY = timedelta(minutes=30)

#: How many ``raise ... from`` links are followed to find the Wolkvox error behind a failure.
_MAX_CAUSES = 8

FAIL = "fail"
RETRY = "retry"
DEFAULT = "default"


class Verdict(NamedTuple):
    """What :func:`decide` says about one failure: ``action`` is ``fail``, ``retry`` or ``default``."""

    action: str
    delay: timedelta | None = None
    reason: str | None = None


def decide(
    exception: BaseException,
    *,
    concurrency_delay: timedelta = DEFAULT_CONCURRENCY_DELAY,
    maintenance_delay: timedelta = DEFAULT_MAINTENANCE_DELAY,
) -> Verdict:
    """Decide about a failed try from the exception it raised.

    Follows ``raise ... from`` causes (an operator may wrap the client's error, and an upload
    error that a retry can fix wraps the call that failed) to the first Wolkvox error that settles
    it. A Retry-After the server sent lengthens a throttle delay, never shortens it.
    """
    from airflow_provider_wolkvox.client.errors import (
        UploadError,
        WolkvoxAmbiguousResultError,
        WolkvoxConcurrencyLimitError,
        WolkvoxError,
        WolkvoxMaintenanceError,
        WolkvoxResumableError,
    )

    error: BaseException | None = exception
    resumable = False  # passed an upload error that says a retry can resume: it may not be failed
    for _ in range(_MAX_CAUSES):
        if error is None:
            break
        name = type(error).__name__
        if isinstance(error, WolkvoxAmbiguousResultError) and not resumable:
            return Verdict(FAIL, None, f"{name}: the outcome is unknown and a retry could create a duplicate")
        if isinstance(error, WolkvoxError) and error.permanent and not resumable:
            return Verdict(FAIL, None, f"{name}: retrying cannot fix this")
        if isinstance(error, WolkvoxConcurrencyLimitError):
            delay = _at_least(concurrency_delay, error.retry_after)
            return Verdict(RETRY, delay, f"{name}: another request held the token; retrying in {delay}")
        if isinstance(error, WolkvoxMaintenanceError):
            delay = _at_least(maintenance_delay, error.retry_after)
            return Verdict(RETRY, delay, f"{name}: Wolkvox is in maintenance; retrying in {delay}")
        if isinstance(error, (UploadError, WolkvoxResumableError)):
            # Its ``permanent`` is the operation's own verdict, made knowing whether a task state
            # store lets the next try resume (a lost chunk's answer is then checked with
            # find_record, a lost creation looked for in the campaign list), so a cause that alone
            # would fail the task (the unknown outcome) no longer does; only a throttle behind it
            # still sets the delay.
            resumable = True
        elif isinstance(error, WolkvoxError):
            break  # a transient Wolkvox error with no rule of its own: the task's settings
        error = error.__cause__
    return Verdict(DEFAULT)


def _at_least(delay: timedelta, retry_after: float | None) -> timedelta:
    if retry_after is None:
        return delay
    return max(delay, timedelta(seconds=float(retry_after)))


class WolkvoxRetryPolicy(_PolicyBase):  # type: ignore[misc,valid-type]
    """Fail at once on errors a retry cannot fix; wait out throttling; leave the rest to ``retries``.

    Airflow 3.3+ only (``airflow.sdk.RetryPolicy``); see the module docstring for what it decides.
    Every Wolkvox operator and the sensor use one by default there; pass ``retry_policy=...`` to
    use another (your own policy then sees the Wolkvox errors unwrapped), or ``retry_policy=None``
    for none (permanent errors then fail through ``AirflowFailException``, as before 3.3).

    :param concurrency_delay: wait before retrying after the per-token concurrency 403 (which the
        client has already retried over HTTP, see ``retry_concurrency_attempts``); 1 minute.
    :param maintenance_delay: wait before retrying after the maintenance 403; 30 minutes.
    """

    def __init__(
        self,
        *,
        concurrency_delay: timedelta = DEFAULT_CONCURRENCY_DELAY,
        maintenance_delay: timedelta = DEFAULT_MAINTENANCE_DELAY,
    ) -> None:
        if not SUPPORTED:
            raise RuntimeError("WolkvoxRetryPolicy needs Airflow 3.3 or later (airflow.sdk.RetryPolicy)")
        for name, value in (
            ("concurrency_delay", concurrency_delay),
            ("maintenance_delay", maintenance_delay),
        ):
            if not isinstance(value, timedelta) or value < timedelta(0):
                raise ValueError(f"{name} must be a timedelta of zero or more, not {value!r}")
        self.concurrency_delay = concurrency_delay
        self.maintenance_delay = maintenance_delay

    def evaluate(
        self,
        exception: BaseException,
        try_number: int,
        max_tries: int,
        context: Any = None,
    ) -> RetryDecision:
        verdict = decide(
            exception, concurrency_delay=self.concurrency_delay, maintenance_delay=self.maintenance_delay
        )
        decision = _compat.RetryDecision
        if verdict.action == FAIL:
            return decision.fail(verdict.reason)
        if verdict.action == RETRY:
            return decision.retry(delay=verdict.delay, reason=verdict.reason)
        return decision.default()

    def serialize(self) -> dict[str, Any]:
        return {
            "__type": "WolkvoxRetryPolicy",
            "concurrency_delay": self.concurrency_delay.total_seconds(),
            "maintenance_delay": self.maintenance_delay.total_seconds(),
        }

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> WolkvoxRetryPolicy:
        return cls(
            concurrency_delay=timedelta(seconds=data["concurrency_delay"]),
            maintenance_delay=timedelta(seconds=data["maintenance_delay"]),
        )

    def __repr__(self) -> str:
        return (
            f"WolkvoxRetryPolicy(concurrency_delay={self.concurrency_delay!r}, "
            f"maintenance_delay={self.maintenance_delay!r})"
        )


def with_default_retry_policy(kwargs: dict[str, Any]) -> dict[str, Any]:
    """``kwargs`` for BaseOperator with a WolkvoxRetryPolicy added, on Airflow 3.3+, unless the
    task was given a ``retry_policy`` (``None`` included) directly or through ``default_args``."""
    if not SUPPORTED or "retry_policy" in kwargs or "retry_policy" in (kwargs.get("default_args") or {}):
        return kwargs
    return {**kwargs, "retry_policy": WolkvoxRetryPolicy()}


def policy_decides(task: Any) -> bool:
    """Whether a failure of ``task`` is decided by a retry policy (Airflow 3.3+, one is set)."""
    return SUPPORTED and getattr(task, "retry_policy", None) is not None


__all__ = [
    "DEFAULT_CONCURRENCY_DELAY",
    "DEFAULT_MAINTENANCE_DELAY",
    "SUPPORTED",
    "Verdict",
    "WolkvoxRetryPolicy",
    "decide",
    "policy_decides",
    "with_default_retry_policy",
]
