"""What WolkvoxRetryPolicy decides per error: checked with decide() on every Airflow version.

The errors are built by the client's own classifier from the texts Wolkvox sends, so a change in
either the classifier or the policy shows up here.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from airflow_provider_wolkvox._compat import AirflowException
from airflow_provider_wolkvox.client.errors import (
    UploadError,
    WolkvoxAmbiguousResultError,
    WolkvoxConnectionError,
    WolkvoxRedirectError,
    WolkvoxValidationError,
    classify,
)
from airflow_provider_wolkvox.retry_policy import (
    DEFAULT,
    DEFAULT_CONCURRENCY_DELAY,
    DEFAULT_MAINTENANCE_DELAY,
    FAIL,
    RETRY,
    decide,
)

CONCURRENCY = "EXCEEDS THE LIMIT OF SIMULTANEOUS REQUESTS PER TOKEN (2)"
MAINTENANCE = "API CONSUMPTION DISABLED DUE TO MAINTENANCE"


def answered(status: int, msg: str, retry_after: float | None = None) -> Exception:
    return classify("start", status, status, msg, retry_after=retry_after)


def caused_by(outer: BaseException, cause: BaseException) -> BaseException:
    outer.__cause__ = cause
    return outer


FAILS_AT_ONCE = {
    "bad input": WolkvoxValidationError("campaign_id", "'' is not accepted"),
    "401 no token": answered(401, "PLEASE ENTER THE WOLKVOX-TOKEN"),
    "403 bad token": answered(403, "PLEASE VALIDATE TOKEN"),
    "403 quota": answered(403, "TOKEN LIMIT EXCEEDED"),
    "400": answered(400, "SOME PARAMETERS ARE REQUIRED"),
    "404": answered(404, "CAMPAIGN NOT FOUND"),
    "400 unknown api": answered(400, "THE API YOU WANT TO CONSULT DOES NOT EXIST"),
    "redirect": WolkvoxRedirectError("HTTP 301 redirect", api="start", status=301, location_host="x.example"),
    "ambiguous create": WolkvoxAmbiguousResultError("the campaign may have been created"),
    "permanent upload error": UploadError("chunk found only in part", permanent=True),
    "upload error that cannot resume, after a throttle": caused_by(
        UploadError("no store to resume from", permanent=True), answered(403, CONCURRENCY)
    ),
}


@pytest.mark.parametrize("error", FAILS_AT_ONCE.values(), ids=FAILS_AT_ONCE.keys())
def test_errors_a_retry_cannot_fix_fail_at_once(error):
    verdict = decide(error)
    assert verdict.action == FAIL
    assert verdict.delay is None
    assert type(error).__name__ in verdict.reason


def test_the_concurrency_403_retries_after_the_short_delay():
    verdict = decide(answered(403, CONCURRENCY))
    assert (verdict.action, verdict.delay) == (RETRY, DEFAULT_CONCURRENCY_DELAY)
    assert timedelta(minutes=1) == DEFAULT_CONCURRENCY_DELAY


def test_maintenance_retries_after_the_long_delay():
    verdict = decide(answered(403, MAINTENANCE))
    assert (verdict.action, verdict.delay) == (RETRY, DEFAULT_MAINTENANCE_DELAY)
    assert timedelta(minutes=30) == DEFAULT_MAINTENANCE_DELAY


def test_a_longer_retry_after_from_the_server_wins_and_a_shorter_one_does_not():
    assert decide(answered(403, MAINTENANCE, retry_after=7200)).delay == timedelta(hours=2)
    assert decide(answered(403, MAINTENANCE, retry_after=5)).delay == DEFAULT_MAINTENANCE_DELAY
    assert decide(answered(403, CONCURRENCY, retry_after=120)).delay == timedelta(minutes=2)


def test_the_delays_are_settable():
    short, long = timedelta(seconds=5), timedelta(hours=1)
    assert decide(answered(403, CONCURRENCY), concurrency_delay=short).delay == short
    assert decide(answered(403, MAINTENANCE), maintenance_delay=long).delay == long


KEEPS_THE_TASK_SETTINGS = {
    "503": answered(503, "busy"),
    "500": answered(500, "oops"),
    "429": answered(429, "slow down"),
    "connection refused": WolkvoxConnectionError("could not connect", request_sent=False),
    "not a Wolkvox error": ValueError("something else"),
    "AirflowException": AirflowException("a sensor trigger error"),
    "transient upload error without a cause": UploadError("stopped", permanent=False),
    "transient upload error after a 503": caused_by(
        UploadError("a retry sends the rest", permanent=False), answered(503, "busy")
    ),
    # With a task state store the next try checks the lost chunk with find_record, so the upload
    # calls it transient: its verdict wins over the ambiguous cause.
    "resumable upload after an unknown-outcome chunk": caused_by(
        UploadError("the next try checks with find_record", permanent=False),
        WolkvoxAmbiguousResultError("the records may have been created"),
    ),
}


@pytest.mark.parametrize("error", KEEPS_THE_TASK_SETTINGS.values(), ids=KEEPS_THE_TASK_SETTINGS.keys())
def test_everything_else_keeps_the_task_settings(error):
    assert decide(error) == (DEFAULT, None, None)


def test_the_wolkvox_error_behind_a_wrapped_failure_decides():
    # What the upload operator raises for a transient failure: AirflowException from UploadError
    # from the call that failed.
    upload = caused_by(UploadError("a retry sends the rest", permanent=False), answered(403, MAINTENANCE))
    wrapped = caused_by(AirflowException(str(upload)), upload)
    verdict = decide(wrapped)
    assert (verdict.action, verdict.delay) == (RETRY, DEFAULT_MAINTENANCE_DELAY)


def test_an_implicit_context_is_not_followed():
    # An error raised while handling a Wolkvox error (no "from") is not that error.
    try:
        try:
            raise answered(403, "TOKEN LIMIT EXCEEDED")
        except Exception:
            raise KeyError("bug in a handler")  # noqa: B904
    except KeyError as exc:
        assert decide(exc).action == DEFAULT
