"""The Airflow home and api-server of the browser check, as the tests see it (no Selenium here)."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import requests
from airflow_cli import AIRFLOW

from airflow_provider_wolkvox.emulator import WolkvoxEmulator

USERNAME = "wolkvox_admin"
PASSWORD = "ui-Password-8631"
#: The token of every connection here: distinctive, so finding it on a page would be a leak.
UI_TOKEN = "tok-UI-SECRET-8631"
STARTUP_TIMEOUT = 90


@dataclass
class Deployment:
    home: Path
    env: dict[str, str]
    base: str
    emulator: WolkvoxEmulator

    def api(self) -> requests.Session:
        """A REST API session signed in as the UI user (a JWT from the simple auth manager)."""
        session = requests.Session()
        session.trust_env = False  # 127.0.0.1, never through a proxy
        answer = session.post(
            f"{self.base}/auth/token", json={"username": USERNAME, "password": PASSWORD}, timeout=30
        )
        assert answer.status_code in (200, 201), answer.text[:500]
        session.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
        return session

    def airflow(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [AIRFLOW, *args], env=self.env, cwd=self.home, capture_output=True, text=True, timeout=timeout
        )
