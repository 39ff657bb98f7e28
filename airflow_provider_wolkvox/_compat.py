"""The one module that knows where Airflow keeps things.

Every other module imports Airflow names from here. Each name is resolved on its own, through
``apache-airflow-providers-common-compat`` (``airflow.providers.common.compat.sdk`` tries the
newest Airflow path first, then the older ones), so Airflow 3.0 and 3.1, whose task SDKs lack some
names, get the SDK classes they do have and the core ones only for the rest. What a given
common-compat release does not provide (1.9.0, the last release for Airflow 2.10, has neither the
exceptions nor ``conf``; only 1.23.0+ has ``get_async_extra_dejson``) falls back per name, below.
"""

from __future__ import annotations

import asyncio
import importlib
from typing import TYPE_CHECKING, Any

import airflow
from airflow.providers.common.compat import sdk as _compat_sdk

#: True on Airflow 3.x (3.0 included), False on 2.x.
AIRFLOW_V_3 = int(airflow.__version__.split(".", 1)[0]) >= 3

# Where each name lives, newest Airflow first; used only when common-compat does not provide it.
_FALLBACKS: dict[str, tuple[str, ...]] = {
    "BaseHook": ("airflow.sdk", "airflow.hooks.base"),
    "BaseOperator": ("airflow.sdk", "airflow.models.baseoperator"),
    "BaseSensorOperator": ("airflow.sdk", "airflow.sensors.base"),
    "PokeReturnValue": ("airflow.sdk", "airflow.sensors.base"),
    "conf": ("airflow.sdk.configuration", "airflow.configuration"),
    "AirflowException": ("airflow.sdk.exceptions", "airflow.exceptions"),
    "AirflowFailException": ("airflow.sdk.exceptions", "airflow.exceptions"),
    "AirflowNotFoundException": ("airflow.sdk.exceptions", "airflow.exceptions"),
    "AirflowSensorTimeout": ("airflow.sdk.exceptions", "airflow.exceptions"),
    "AirflowSkipException": ("airflow.sdk.exceptions", "airflow.exceptions"),
    # Loaded on first use (see __getattr__): fsspec and universal-pathlib come with it.
    "ObjectStoragePath": ("airflow.sdk", "airflow.io.path"),
}


def _resolve(name: str) -> Any:
    """``name`` from common-compat's sdk map, else from the first module of ``_FALLBACKS`` that has it."""
    try:
        return getattr(_compat_sdk, name)
    except (AttributeError, ImportError):  # not in this common-compat release's map
        pass
    for module in _FALLBACKS[name]:
        try:
            return getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):
            continue
    raise ImportError(f"{name} is in none of {', '.join(_FALLBACKS[name])} (Airflow {airflow.__version__})")


if TYPE_CHECKING:
    from airflow.sdk import (
        BaseHook,
        BaseOperator,
        BaseSensorOperator,
        Connection,
        Context,
        ObjectStoragePath,
        PokeReturnValue,
        RetryDecision,
        RetryPolicy,
        conf,
    )
    from airflow.sdk.exceptions import (
        AirflowException,
        AirflowFailException,
        AirflowNotFoundException,
        AirflowSensorTimeout,
        AirflowSkipException,
    )
    from airflow.triggers.base import BaseTrigger, TriggerEvent
else:
    BaseHook = _resolve("BaseHook")
    BaseOperator = _resolve("BaseOperator")
    BaseSensorOperator = _resolve("BaseSensorOperator")
    PokeReturnValue = _resolve("PokeReturnValue")
    conf = _resolve("conf")
    AirflowException = _resolve("AirflowException")
    AirflowFailException = _resolve("AirflowFailException")
    AirflowNotFoundException = _resolve("AirflowNotFoundException")
    AirflowSensorTimeout = _resolve("AirflowSensorTimeout")
    AirflowSkipException = _resolve("AirflowSkipException")
    Context = dict

try:  # common-compat 1.23.0+: safe on every Airflow, including 3.1 - 3.3.1 (see below)
    from airflow.providers.common.compat.connection import get_async_connection, get_async_extra_dejson
except ImportError:  # older common-compat (the only one for Airflow 2.10 or Python 3.10)
    # Their get_async_connection awaits BaseHook.aget_connection where it exists, which before
    # Airflow 3.3.2 masks secrets with a synchronous supervisor call and can raise
    # DeadlockImminentError on a busy event loop; and they lack get_async_extra_dejson. Reading
    # in a worker thread, where blocking is safe, works on every Airflow.

    async def get_async_connection(conn_id: str, hook: BaseHook | type[BaseHook] | None = None) -> Connection:
        """The connection ``conn_id``, read with ``hook``'s sync ``get_connection`` in a thread."""
        return await asyncio.to_thread((hook or BaseHook).get_connection, conn_id)

    async def get_async_extra_dejson(conn: Connection) -> dict[str, Any]:
        """``conn.extra_dejson``, read in a worker thread."""
        return await asyncio.to_thread(lambda: conn.extra_dejson)


__all__ = [
    "AIRFLOW_V_3",
    "AirflowException",
    "AirflowFailException",
    "AirflowNotFoundException",
    "AirflowSensorTimeout",
    "AirflowSkipException",
    "BaseHook",
    "BaseOperator",
    "BaseSensorOperator",
    "BaseTrigger",
    "Context",
    "ObjectStoragePath",
    "PokeReturnValue",
    "RetryDecision",
    "RetryPolicy",
    "TriggerEvent",
    "conf",
    "get_async_connection",
    "get_async_extra_dejson",
    "task_state_store",
]


def task_state_store(context: Any) -> Any | None:
    """Return the per-task-instance store that survives retries (Airflow 3.3+), or None elsewhere."""
    try:
        return context["task_state_store"]
    except (KeyError, TypeError):
        return None


def __getattr__(name: str) -> Any:
    # Triggers are not in the Task SDK yet (on 3.3 they live in core, as on 2.x), and common-compat
    # has no entry for them. They are loaded on first use because airflow.triggers.base costs
    # ~8 ms, which every DAG file importing an operator would otherwise pay.
    if name in ("BaseTrigger", "TriggerEvent"):
        from airflow.triggers import base

        return getattr(base, name)
    # Object storage (airflow.sdk.ObjectStoragePath on 3.x, airflow.io.path's on 2.x) imports
    # fsspec and universal-pathlib: only the sources that read or write a URL pay for it.
    if name == "ObjectStoragePath":
        return _resolve(name)
    # AIP-105 retry policies exist from Airflow 3.3 (task SDK 1.3) only: None on older versions.
    if name in ("RetryPolicy", "RetryDecision"):
        try:
            return getattr(importlib.import_module("airflow.sdk"), name)
        except (ImportError, AttributeError):
            return None
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
