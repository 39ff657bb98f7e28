"""The connection as Airflow itself shows and tests it.

* The form: a real `airflow api-server` (Airflow 3 only) on 127.0.0.1 and a free port, in a
  throwaway AIRFLOW_HOME, with the simple auth manager letting everyone in as admin. The React UI
  builds the connection form from `GET /ui/connections/hook_meta`, so that answer is what a user
  sees (docs: airflow-notes e.10).
* The Test: `airflow connections test wolkvox_default` against the emulator, on every Airflow line.
  (The UI's Test button cannot reach the hook on 3.3.2 for a connection without a port; notes e.11.)
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import airflow
import pytest
import requests
from airflow_cli import AIRFLOW, airflow_env, free_port, migrate, stop_group

from airflow_provider_wolkvox.emulator import WolkvoxEmulator
from airflow_provider_wolkvox.emulator.pytest_plugin import TEST_TOKEN
from airflow_provider_wolkvox.get_provider_info import CONN_FIELDS

pytestmark = pytest.mark.integration

AIRFLOW_3 = int(airflow.__version__.split(".")[0]) >= 3
STARTUP_TIMEOUT = 90
#: Distinctive enough that finding it in the CLI output would be a leak.
WRONG_TOKEN = "tok-WRONG-SECRET-4711"


def _env(home: Path, **extra: str) -> dict[str, str]:
    return airflow_env(home, home / "dags", AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS="True", **extra)


@pytest.fixture(scope="module")
def api_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a running `airflow api-server` on 127.0.0.1; always stopped afterwards."""
    if not AIRFLOW_3:
        pytest.skip("`airflow api-server` and the React connection form exist from Airflow 3.0")
    home = tmp_path_factory.mktemp("api-server-home")
    (home / "dags").mkdir()
    env = _env(home)
    migrate(env, wolkvox_pool=False)

    port = free_port()
    log_path = home / "api-server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [AIRFLOW, "api-server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
            env=env,
            cwd=home,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so teardown reaches its workers
        )
    base = f"http://127.0.0.1:{port}"
    try:
        session = requests.Session()
        session.trust_env = False  # never through a proxy: this is 127.0.0.1
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"api-server exited with {process.returncode}:\n{log_path.read_text()[-4000:]}")
            try:
                if session.get(f"{base}/api/v2/monitor/health", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"api-server not up after {STARTUP_TIMEOUT} s:\n{log_path.read_text()[-4000:]}")
            time.sleep(0.25)
        yield base
    finally:
        stop_group(process)


@pytest.fixture(scope="module")
def wolkvox_form(api_server: str) -> dict:
    session = requests.Session()
    session.trust_env = False
    response = session.get(f"{api_server}/ui/connections/hook_meta", timeout=30)
    assert response.status_code == 200, response.text[:2000]
    forms = [item for item in response.json() if item["connection_type"] == "wolkvox"]
    assert len(forms) == 1, [item["connection_type"] for item in response.json()]
    return forms[0]


def test_ui_lists_the_wolkvox_connection_type(wolkvox_form):
    assert wolkvox_form["hook_name"] == "Wolkvox"
    assert wolkvox_form["hook_class_name"] == "airflow_provider_wolkvox.hooks.wolkvox.WolkvoxHook"


def test_ui_relabels_host_and_password_with_placeholders(wolkvox_form):
    fields = wolkvox_form["standard_fields"]
    assert fields["host"] == {
        "hidden": False,
        "title": "Server (code or URL)",
        "placeholder": "0042, or a URL such as http://127.0.0.1:8765",
    }
    assert fields["password"]["hidden"] is False
    assert fields["password"]["title"] == "API token"
    assert "Tokens" in fields["password"]["placeholder"]


def test_ui_hides_schema_and_port(wolkvox_form):
    fields = wolkvox_form["standard_fields"]
    # The UI calls the schema field `url_schema`.
    for name in ("url_schema", "port"):
        assert fields[name]["hidden"] is True, (name, fields[name])


def test_ui_shows_login_as_the_server_id(wolkvox_form):
    login = wolkvox_form["standard_fields"]["login"]
    assert login["hidden"] is False and login["title"] == "Server id"
    assert "URL" in login["placeholder"]


def test_ui_shows_the_extra_fields(wolkvox_form):
    extra = wolkvox_form["extra_fields"]
    assert set(extra) == {"timeout", "retry_attempts"}  # the server id is the Login field
    for name, declared in CONN_FIELDS.items():
        assert extra[name]["schema"]["title"] == declared["label"]
        assert extra[name]["description"] == declared["description"]
    assert extra["timeout"]["schema"]["type"] == ["number", "null"]
    assert extra["retry_attempts"]["schema"]["type"] == ["integer", "null"]
    assert extra["retry_attempts"]["schema"]["maximum"] == 20
    # Pre-filled with the hook's defaults: the form saves every field it shows, an empty one as
    # null, so without a default Extra got {"timeout": null, ...} (tests/browser saves one).
    assert {name: field["value"] for name, field in extra.items()} == {"timeout": 75, "retry_attempts": 5}


@pytest.fixture
def connections_test(tmp_path: Path, wolkvox_emulator: WolkvoxEmulator):
    """Run `airflow connections test wolkvox_default` with the connection pointing at the emulator."""

    def run(token: str) -> subprocess.CompletedProcess[str]:
        (tmp_path / "dags").mkdir(exist_ok=True)
        conn = {
            "conn_type": "wolkvox",
            "host": wolkvox_emulator.url,
            "password": token,
            "extra": {"server_id": "0042", "retry_min_delay": 0.05, "retry_max_delay": 0.2},
        }
        env = _env(
            tmp_path,
            AIRFLOW__CORE__TEST_CONNECTION="Enabled",
            AIRFLOW_CONN_WOLKVOX_DEFAULT=json.dumps(conn),
        )
        return subprocess.run(
            [AIRFLOW, "connections", "test", "wolkvox_default"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )

    return run


def test_cli_connection_test_succeeds_against_the_emulator(connections_test, wolkvox_emulator):
    result = connections_test(TEST_TOKEN)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "Connection success!" in output, output[-3000:]
    assert TEST_TOKEN not in output
    assert wolkvox_emulator.request_counts.get("token_info") == 1


def test_cli_connection_test_reports_a_wrong_token_without_showing_it(connections_test, wolkvox_emulator):
    result = connections_test(WRONG_TOKEN)
    output = result.stdout + result.stderr
    # Airflow 3 exits 1 here, Airflow 2.10 exits 0: the printed verdict is what both share.
    assert "Connection failed!" in output, output[-3000:]
    assert "PLEASE VALIDATE TOKEN" in output, output[-3000:]
    assert "Connection success!" not in output
    assert WRONG_TOKEN not in output
    # An auth error is permanent: one call, no retries burning the quota.
    assert wolkvox_emulator.request_counts.get("token_info") == 1
