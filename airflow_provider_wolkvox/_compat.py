"""The one module that knows where Airflow keeps things.

Every other module imports Airflow names from here, so supporting another Airflow line (2.10+,
whose classes live outside ``airflow.sdk``) means changing this file only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

try:  # Airflow 3.x: the Task SDK
    from airflow.sdk import BaseHook, BaseOperator, BaseSensorOperator, PokeReturnValue, conf
    from airflow.sdk.exceptions import (
        AirflowException,
        AirflowFailException,
        AirflowSensorTimeout,
        AirflowSkipException,
    )

    AIRFLOW_V_3 = True
except ImportError:  # pragma: no cover - Airflow 2.10 / 2.11
    from airflow.configuration import conf  # type: ignore[no-redef,attr-defined,assignment]
    from airflow.exceptions import (  # type: ignore[no-redef,attr-defined]
        AirflowException,
        AirflowFailException,
        AirflowSensorTimeout,
        AirflowSkipException,
    )
    from airflow.hooks.base import BaseHook  # type: ignore[no-redef,attr-defined]
    from airflow.models import BaseOperator  # type: ignore[no-redef,attr-defined]
    from airflow.sensors.base import BaseSensorOperator, PokeReturnValue  # type: ignore[no-redef,attr-defined]

    AIRFLOW_V_3 = False

if TYPE_CHECKING:
    from airflow.sdk import Context
    from airflow.triggers.base import BaseTrigger, TriggerEvent
else:
    Context = dict

__all__ = [
    "AIRFLOW_V_3",
    "AirflowException",
    "AirflowFailException",
    "AirflowSensorTimeout",
    "AirflowSkipException",
    "BaseHook",
    "BaseOperator",
    "BaseSensorOperator",
    "BaseTrigger",
    "Context",
    "PokeReturnValue",
    "TriggerEvent",
    "conf",
    "task_state_store",
]


def task_state_store(context: Any) -> Any | None:
    """Return the per-task-instance store that survives retries (Airflow 3.3+), or None elsewhere."""
    try:
        return context["task_state_store"]
    except (KeyError, TypeError):
        return None


def __getattr__(name: str) -> Any:
    # Triggers are not in the Task SDK yet (on 3.3 they live in core, as on 2.x). They are loaded
    # on first use because airflow.triggers.base costs ~8 ms, which every DAG file importing an
    # operator would otherwise pay.
    if name in ("BaseTrigger", "TriggerEvent"):
        from airflow.triggers import base

        return getattr(base, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
