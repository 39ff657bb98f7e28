"""The one module that knows where Airflow keeps things.

Every other module imports Airflow names from here, so supporting another Airflow line (2.10+,
whose classes live outside ``airflow.sdk``) means changing this file only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

try:  # Airflow 3.x: the Task SDK
    from airflow.sdk import BaseHook, BaseOperator, BaseSensorOperator
    from airflow.sdk.exceptions import AirflowException, AirflowFailException

    AIRFLOW_V_3 = True
except ImportError:  # pragma: no cover - Airflow 2.10 / 2.11
    from airflow.exceptions import AirflowException, AirflowFailException  # type: ignore[no-redef,attr-defined]
    from airflow.hooks.base import BaseHook  # type: ignore[no-redef,attr-defined]
    from airflow.models import BaseOperator  # type: ignore[no-redef,attr-defined]
    from airflow.sensors.base import BaseSensorOperator  # type: ignore[no-redef,attr-defined]

    AIRFLOW_V_3 = False

if TYPE_CHECKING:
    from airflow.sdk import Context
else:
    Context = dict

__all__ = [
    "AIRFLOW_V_3",
    "AirflowException",
    "AirflowFailException",
    "BaseHook",
    "BaseOperator",
    "BaseSensorOperator",
    "Context",
    "task_state_store",
]


def task_state_store(context: Any) -> Any | None:
    """Return the per-task-instance store that survives retries (Airflow 3.3+), or None elsewhere."""
    try:
        return context["task_state_store"]
    except (KeyError, TypeError):
        return None
