"""What every Wolkvox operator shares: the connection id, the hook, and how errors fail a task."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow_provider_wolkvox._compat import AirflowFailException, BaseOperator

if TYPE_CHECKING:
    from airflow_provider_wolkvox.hooks.wolkvox import WolkvoxHook

DEFAULT_CONN_ID = "wolkvox_default"


class WolkvoxBaseOperator(BaseOperator):
    """Base of the Wolkvox operators.

    :param wolkvox_conn_id: the Wolkvox connection to use (templated).
    """

    def __init__(self, *, wolkvox_conn_id: str = DEFAULT_CONN_ID, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.wolkvox_conn_id = wolkvox_conn_id

    @cached_property
    def hook(self) -> WolkvoxHook:
        # Imported here, not at module level, so that parsing a DAG file does not pay for
        # requests and tenacity (design decision 7).
        from airflow_provider_wolkvox.hooks.wolkvox import WolkvoxHook

        return WolkvoxHook(wolkvox_conn_id=self.wolkvox_conn_id)


@contextmanager
def fail_fast_on_permanent_errors() -> Iterator[None]:
    """Turn errors that a task retry cannot fix into AirflowFailException.

    Bad input, a bad or missing token, an exhausted daily quota and 400/404 answers fail the task
    at once instead of burning its retries; so does a creation whose outcome is unknown, because
    blindly trying again could create a duplicate. Transient errors pass through unchanged so that
    Airflow's task retries apply.
    """
    from airflow_provider_wolkvox.client.errors import WolkvoxAmbiguousResultError, WolkvoxError

    try:
        yield
    except WolkvoxError as exc:
        if exc.permanent or isinstance(exc, WolkvoxAmbiguousResultError):
            raise AirflowFailException(str(exc)) from exc
        raise
