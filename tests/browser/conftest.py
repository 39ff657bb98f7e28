"""A real `airflow api-server` (Airflow 3.3) and Debian's Chromium, for the browser check of the UI.

One Airflow home per module, with the simple auth manager and a user with a password (no
ALL_ADMINS: the test signs in through the login page), the example DAGs, the connection test
enabled, and a Wolkvox emulator. Selenium is imported only inside the fixtures, so this folder is
collected (and skipped) where selenium is not installed, such as the Airflow 2.10 virtualenv.

Run: ``.venv/bin/pip install -c requirements/constraints-airflow-3.3.txt -r requirements/browser.txt``
once, then ``.venv/bin/python -m pytest tests/browser``. Screenshots of every step land in
``tests/browser/artifacts/`` (git-ignored).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from airflow_cli import (
    airflow_env,
    api_healthy,
    free_port,
    kill_home_processes,
    migrate,
    start_component,
    stop_group,
    wait_until,
)
from browser_deployment import PASSWORD, STARTUP_TIMEOUT, UI_TOKEN, USERNAME, Deployment

from airflow_provider_wolkvox.emulator import WolkvoxEmulator

if TYPE_CHECKING:
    from browser_ui import UI

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
ARTIFACTS = HERE / "artifacts"
EXAMPLE_DAGS = REPO / "example_dags"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives Airflow's UI in Debian's Chromium (Airflow 3 only)")


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """An api-server on 127.0.0.1 in a home of its own; stopped (with every task process of the
    home) afterwards, even when it failed to start."""
    emulator = WolkvoxEmulator(port=0, tokens={UI_TOKEN: 100_000})
    emulator.start()
    emulator.set_dial_rate(100)  # the example's 50 contacts are called within a second
    home = tmp_path_factory.mktemp("ui-home")
    passwords = home / "passwords.json"
    passwords.write_text(json.dumps({USERNAME: PASSWORD}))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = airflow_env(
        home,
        EXAMPLE_DAGS,
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS=f"{USERNAME}:admin",
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE=str(passwords),
        AIRFLOW__CORE__TEST_CONNECTION="Enabled",
        # `airflow dags test --use-executor` runs each task in a supervised process that talks to
        # this api-server and writes its log into the home, where the UI reads it.
        AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"{base}/execution/",
        AIRFLOW_CONN_WOLKVOX_DEFAULT=json.dumps(
            {"conn_type": "wolkvox", "host": emulator.url, "password": UI_TOKEN, "login": "0042"}
        ),
    )
    server = None
    try:
        migrate(env)
        server = start_component(
            env, home, "api-server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"
        )
        wait_until("the api-server", lambda: api_healthy(port), STARTUP_TIMEOUT, [server], home)
        yield Deployment(home, env, base, emulator)
    finally:
        if server is not None:
            stop_group(server)
        kill_home_processes(home)
        emulator.stop()


@pytest.fixture(scope="module")
def ui(deployment: Deployment, tmp_path_factory: pytest.TempPathFactory) -> Iterator[UI]:
    """Chromium, signed in through the login page; screenshots in tests/browser/artifacts/."""
    from browser_ui import UI, start_chromium

    ARTIFACTS.mkdir(exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    driver = start_chromium(tmp_path_factory.mktemp("chromium-profile"))
    try:
        page = UI(driver, deployment.base, ARTIFACTS)
        page.login_url = page.sign_in(USERNAME, PASSWORD)
        yield page
    finally:
        driver.quit()
