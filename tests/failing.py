"""``fails_at_once``: assert that an operator's error fails its task without using its retries.

Before Airflow 3.3 the operators raise ``AirflowFailException`` for that. On 3.3+ their default
WolkvoxRetryPolicy decides instead and sees the real error, so the error must be one the policy
fails (``decide(...).action == "fail"``); an ``AirflowFailException`` (an unknown-outcome create,
a campaign that already exists) fails at once there too.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from airflow_provider_wolkvox._compat import AirflowFailException
from airflow_provider_wolkvox.retry_policy import FAIL, SUPPORTED, decide


def airflow_fails_at_once(error: BaseException) -> bool:
    """Whether Airflow fails a try that raised ``error`` without retrying it (default policy)."""
    if isinstance(error, AirflowFailException):
        return True
    return SUPPORTED and decide(error).action == FAIL


@contextmanager
def fails_at_once(match: str | None = None) -> Iterator[Any]:
    """Like ``pytest.raises``, for an error that fails the task at once on this Airflow."""
    with pytest.raises(Exception, match=match) as caught:
        yield caught
    assert airflow_fails_at_once(caught.value), f"{type(caught.value).__name__} would be retried"
