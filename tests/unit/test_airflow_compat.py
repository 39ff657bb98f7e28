"""_compat: each Airflow name comes from the newest place the installed Airflow keeps it.

`make test` runs this on every Airflow minor the README claims. Airflow 3.0 and 3.1 have a task
SDK that lacks some names (3.0 has no ``airflow.sdk.BaseHook``, ``conf`` or SDK exceptions): the
other names must still come from the SDK, not from the Airflow 2 paths.
"""

from __future__ import annotations

import importlib

import airflow
import pytest

from airflow_provider_wolkvox import _compat

# Newest first, as Airflow moved them: the task SDK (3.x), then core (2.x; still the home of
# BaseHook and the exceptions on 3.0).
WHERE = {
    "BaseHook": ("airflow.sdk", "airflow.hooks.base"),
    "BaseOperator": ("airflow.sdk", "airflow.models.baseoperator"),
    "BaseSensorOperator": ("airflow.sdk", "airflow.sensors.base"),
    "PokeReturnValue": ("airflow.sdk", "airflow.sensors.base"),
    "conf": ("airflow.sdk.configuration", "airflow.configuration"),
    "AirflowException": ("airflow.sdk.exceptions", "airflow.exceptions"),
    "AirflowFailException": ("airflow.sdk.exceptions", "airflow.exceptions"),
    "AirflowSensorTimeout": ("airflow.sdk.exceptions", "airflow.exceptions"),
    "AirflowSkipException": ("airflow.sdk.exceptions", "airflow.exceptions"),
    "ObjectStoragePath": ("airflow.sdk", "airflow.io.path"),  # loaded on first use
}


def newest(name: str) -> object:
    for module in WHERE[name]:
        try:
            return getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):
            continue
    raise AssertionError(f"{name} is nowhere in Airflow {airflow.__version__}")


def test_airflow_v_3_is_true_on_every_airflow_3():
    assert _compat.AIRFLOW_V_3 is (int(airflow.__version__.split(".")[0]) >= 3)


@pytest.mark.parametrize("name", sorted(WHERE))
def test_each_name_comes_from_the_newest_place_this_airflow_has(name):
    assert getattr(_compat, name) is newest(name), f"{name} on Airflow {airflow.__version__}"


def test_operators_and_sensors_are_built_on_the_task_sdk_on_airflow_3():
    from airflow_provider_wolkvox.operators.campaign import CreateCampaignOperator
    from airflow_provider_wolkvox.sensors.campaign import WolkvoxCampaignSensor

    if not _compat.AIRFLOW_V_3:
        pytest.skip("Airflow 2 has no task SDK")
    from airflow.sdk import BaseOperator, BaseSensorOperator

    assert issubclass(WolkvoxCampaignSensor, BaseSensorOperator)
    assert issubclass(CreateCampaignOperator, BaseOperator)
    # Not through the core's legacy airflow.models.BaseOperator subclass (as on 3.0 before).
    assert not any(cls.__module__ == "airflow.models.baseoperator" for cls in CreateCampaignOperator.__mro__)


def test_the_async_connection_helpers_are_common_compats_where_it_has_them():
    try:
        from airflow.providers.common.compat.connection import get_async_extra_dejson
    except ImportError:
        pytest.skip("this common-compat release has no get_async_extra_dejson: _compat's fallback is used")
    from airflow.providers.common.compat.connection import get_async_connection

    assert _compat.get_async_connection is get_async_connection
    assert _compat.get_async_extra_dejson is get_async_extra_dejson
