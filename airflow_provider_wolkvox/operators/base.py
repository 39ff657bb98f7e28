"""What every Wolkvox operator shares: the connection id, the hook, and how errors fail a task."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow_provider_wolkvox._compat import AirflowFailException, BaseOperator
from airflow_provider_wolkvox.retry_policy import policy_decides, with_default_retry_policy

if TYPE_CHECKING:
    from airflow_provider_wolkvox.hooks.wolkvox import WolkvoxHook

DEFAULT_CONN_ID = "wolkvox_default"


class WolkvoxBaseOperator(BaseOperator):
    """Base of the Wolkvox operators.

    Every subclass's ``execute`` closes the hook's HTTP session when it returns or raises, so a
    process running several tasks keeps no connection open per finished task, and then logs how
    many Wolkvox API calls (HTTP requests, retries included) the try made.

    On Airflow 3.3+ a :class:`~airflow_provider_wolkvox.retry_policy.WolkvoxRetryPolicy` decides
    how a failed try is retried, unless ``retry_policy`` is given (``None`` included).

    :param wolkvox_conn_id: the Wolkvox connection to use (templated).
    """

    def __init__(self, *, wolkvox_conn_id: str = DEFAULT_CONN_ID, **kwargs: Any) -> None:
        super().__init__(**with_default_retry_policy(kwargs))
        self.wolkvox_conn_id = wolkvox_conn_id

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Wrapping here, rather than asking each execute() to close, keeps subclasses (ours and
        # users') from forgetting it; Airflow's own execute wrapper stays inside this one.
        execute = cls.__dict__.get("execute")
        if execute is not None:
            cls.execute = closing_hook(execute)  # type: ignore[method-assign]

    def api_calls(self) -> int:
        """Wolkvox API calls (HTTP requests, retries included) made through this operator's hook."""
        hook = self.__dict__.get("hook")
        return hook.api_calls if hook is not None else 0

    def close_hook(self) -> None:
        """Close the hook's HTTP session if one was opened (a later call opens a new one)."""
        hook = self.__dict__.get("hook")
        if hook is not None:
            hook.close()

    def depend_on_output(self, value: Any) -> None:
        """Draw the edges from the tasks whose output ``value`` is (an XComArg), if it is one.

        Airflow does this, and pulls the value, only for templated fields; contact data (records,
        phone numbers) is deliberately not templated, so its operators call this in ``__init__``
        and :func:`pulled` in ``execute()``.
        """
        if is_output(value):
            for producer, _ in value.iter_references():
                self.set_upstream(producer)

    @cached_property
    def hook(self) -> WolkvoxHook:
        # Imported here, not at module level, so that parsing a DAG file does not pay for
        # requests and tenacity (design decision 7).
        from airflow_provider_wolkvox.hooks.wolkvox import WolkvoxHook

        return WolkvoxHook(wolkvox_conn_id=self.wolkvox_conn_id)


def closing_hook(execute: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap an ``execute`` so that the operator's hook is closed when it returns or raises, and the
    API calls it cost are logged (also when it raises)."""

    @functools.wraps(execute)
    def run_then_close(self: Any, *args: Any, **kwargs: Any) -> Any:
        # A subclass's execute calling super().execute() runs this wrapper twice; only the
        # outermost one logs, so a try has one line with all its calls.
        outermost = not self.__dict__.get("_wolkvox_in_execute", False)
        self.__dict__["_wolkvox_in_execute"] = True
        before = self.api_calls()
        try:
            return execute(self, *args, **kwargs)
        finally:
            self.close_hook()
            if outermost:
                self.__dict__["_wolkvox_in_execute"] = False
                self.log.info("Wolkvox API calls in this try: %s", self.api_calls() - before)

    return run_then_close


@contextmanager
def fail_fast_on_permanent_errors(task: Any = None) -> Iterator[None]:
    """Turn errors that a task retry cannot fix into AirflowFailException, unless a policy decides.

    Bad input, a bad or missing token, an exhausted daily quota and 400/404 answers fail the task
    at once instead of burning its retries; so does a creation whose outcome is unknown, because
    blindly trying again could create a duplicate. Transient errors pass through unchanged so that
    Airflow's task retries apply.

    When ``task`` has a retry policy (Airflow 3.3+: WolkvoxRetryPolicy by default, or the user's),
    the policy must see the real error to decide, and Airflow never shows it an
    AirflowFailException; so then only the unknown-outcome creation is turned into one (never
    retried, whatever a policy says) and every other error passes through unchanged.
    """
    from airflow_provider_wolkvox.client.errors import WolkvoxAmbiguousResultError, WolkvoxError

    try:
        yield
    except WolkvoxAmbiguousResultError as exc:
        raise AirflowFailException(str(exc)) from exc
    except WolkvoxError as exc:
        if exc.permanent and not policy_decides(task):
            raise AirflowFailException(str(exc)) from exc
        raise


def is_output(value: Any) -> bool:
    """Whether ``value`` is an upstream task's output (an XComArg), without importing Airflow's class."""
    return callable(getattr(value, "resolve", None)) and callable(getattr(value, "iter_references", None))


def pulled(value: Any, context: Any) -> Any:
    """``value``, or what it stands for in XCom when it is an upstream task's output."""
    return value.resolve(context) if is_output(value) else value
