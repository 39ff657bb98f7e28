"""The Airflow 3 connection form's Extra Fields default to what the hook uses without them.

The form saves every field it shows, an empty one as null (``{"timeout": null}``), so each field
has a default; it must be the hook's own, or saving the form would change the connection.
"""

from __future__ import annotations

from airflow_provider_wolkvox.client.client import DEFAULT_TIMEOUT
from airflow_provider_wolkvox.client.retry import RetrySettings
from airflow_provider_wolkvox.get_provider_info import CONN_FIELDS, get_provider_info


def test_every_extra_field_has_a_default():
    (conn_type,) = get_provider_info()["connection-types"]
    assert conn_type["conn-fields"] is CONN_FIELDS
    missing = [name for name, field in CONN_FIELDS.items() if field["schema"].get("default") is None]
    assert missing == []


def test_the_defaults_are_the_hooks():
    assert CONN_FIELDS["timeout"]["schema"]["default"] == DEFAULT_TIMEOUT
    assert CONN_FIELDS["retry_attempts"]["schema"]["default"] == RetrySettings().attempts
