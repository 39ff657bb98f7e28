"""Shared test set-up: an isolated AIRFLOW_HOME and a `wolkvox_default` connection helper.

The environment is set before any test module imports Airflow, so no test touches a real
Airflow installation's config or database. Hook and operator tests need no database at all:
connections come from AIRFLOW_CONN_* environment variables.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from typing import Any

import pytest

_HOME = tempfile.mkdtemp(prefix="wolkvox-airflow-home-")
os.environ["AIRFLOW_HOME"] = _HOME
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")

pytest_plugins = ["airflow_provider_wolkvox.emulator.pytest_plugin"]

#: A token distinctive enough that tests can search logs and errors for it.
SECRET_TOKEN = "tok-SECRET-0123456789"


@pytest.fixture
def set_connection(monkeypatch: pytest.MonkeyPatch) -> Callable[..., dict[str, Any]]:
    """Define a `wolkvox` connection through its AIRFLOW_CONN_<ID> environment variable."""

    def define(
        host: str = "0042",
        password: str | None = SECRET_TOKEN,
        extra: dict[str, Any] | None = None,
        conn_id: str = "wolkvox_default",
        login: str | None = None,
    ) -> dict[str, Any]:
        conn = {"conn_type": "wolkvox", "host": host, "password": password, "extra": extra or {}}
        if login is not None:
            conn["login"] = login  # the "Server id" field
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(conn))
        return conn

    return define
