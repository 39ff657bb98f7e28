from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path

import airflow
import jsonschema
import pytest

from airflow_provider_wolkvox import __version__
from airflow_provider_wolkvox._compat import AIRFLOW_V_3
from airflow_provider_wolkvox.get_provider_info import get_provider_info

AIRFLOW_DIR = Path(airflow.__file__).parent


def test_provider_info_is_valid_against_airflows_runtime_schema():
    schema = json.loads((AIRFLOW_DIR / "provider_info.schema.json").read_text())
    jsonschema.validate(get_provider_info(), schema)


def test_connection_form_is_valid_against_the_provider_yaml_schema():
    path = AIRFLOW_DIR / "provider.yaml.schema.json"
    if not path.exists():
        pytest.skip("this Airflow does not ship provider.yaml.schema.json")
    schema = json.loads(path.read_text())
    known = schema["properties"]["connection-types"]["items"]["properties"]
    if "conn-fields" not in known:
        pytest.skip("this Airflow's schema predates declarative connection forms (Airflow < 3.2)")
    for conn_type in get_provider_info()["connection-types"]:
        for key in ("ui-field-behaviour", "conn-fields"):
            jsonschema.validate(conn_type[key], known[key])


def test_provider_info_names_the_distribution_and_version():
    info = get_provider_info()
    assert info["package-name"] == "airflow-provider-wolkvox"
    assert info["versions"] == [__version__]
    assert metadata.version("airflow-provider-wolkvox") == __version__


def test_entry_point_is_registered_for_airflow_discovery():
    points = metadata.entry_points(group="apache_airflow_provider")
    ours = [ep for ep in points if ep.value.startswith("airflow_provider_wolkvox")]
    assert len(ours) == 1
    assert ours[0].load()() == get_provider_info()


def test_connection_type_points_at_the_hook():
    conn_type = get_provider_info()["connection-types"][0]
    assert conn_type["connection-type"] == "wolkvox"
    module, _, name = conn_type["hook-class-name"].rpartition(".")
    hook = getattr(__import__(module, fromlist=[name]), name)
    assert hook.conn_type == "wolkvox"
    assert hook.hook_name == conn_type["hook-name"]
    assert conn_type["ui-field-behaviour"]["relabeling"] == {
        "host": "Server (code or URL)",
        "login": "Server id",
        "password": "API token",
    }
    assert conn_type["ui-field-behaviour"]["placeholders"]["host"].startswith("0042, or a URL")
    assert set(conn_type["ui-field-behaviour"]["hidden-fields"]) == {"schema", "port"}


@pytest.mark.skipif(AIRFLOW_V_3, reason="Airflow 2 builds the connection form from the hook's methods")
def test_airflow2_registers_the_legacy_form_widgets_and_behaviour():
    from airflow.providers_manager import ProvidersManager

    manager = ProvidersManager()
    widgets = manager.connection_form_widgets
    for field in ("timeout", "retry_attempts"):
        assert f"extra__wolkvox__{field}" in widgets
    assert "extra__wolkvox__server_id" not in widgets  # the server id is the Login field now
    behaviour = manager.field_behaviours["wolkvox"]
    assert behaviour["relabeling"] == {
        "host": "Server (code or URL)",
        "login": "Server id",
        "password": "API token",
    }
    assert set(behaviour["hidden_fields"]) == {"schema", "port"}


def test_every_module_listed_in_provider_info_imports():
    info = get_provider_info()
    modules = [
        m
        for kind in ("hooks", "operators", "sensors", "triggers")
        for item in info[kind]
        for m in item["python-modules"]
    ]
    for module in modules:
        __import__(module)
    assert "airflow_provider_wolkvox.operators.records" in modules
