"""HTTP helpers shared by the emulator tests (a uniquely named module, importable because
tests/emulator has no __init__.py and pytest puts this directory on sys.path)."""

from __future__ import annotations

from typing import Any

import requests

from airflow_provider_wolkvox.emulator.pytest_plugin import TEST_TOKEN

TIMEOUT = 5


class Api:
    """Minimal raw HTTP access to the emulator (the provider's client is not used on purpose)."""

    def __init__(self, base_url: str, token: str | None = TEST_TOKEN, server: str | None = None) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        self.headers: dict[str, str] = {}
        if token is not None:
            self.headers["wolkvox-token"] = token
        if server is not None:
            self.headers["wolkvox_server"] = server

    def call(
        self, method: str, module: str, api: str, json: Any = None, timeout: float = TIMEOUT, **params: Any
    ) -> requests.Response:
        url = f"{self.base_url}/api/v2/{module}"
        return self.session.request(
            method, url, params={"api": api, **params}, json=json, headers=self.headers, timeout=timeout
        )

    def campaign(self, method: str, api: str, json: Any = None, **params: Any) -> requests.Response:
        return self.call(method, "campaign.php", api, json=json, **params)

    def info(self, api: str, **params: Any) -> requests.Response:
        return self.call("GET", "information.php", api, **params)

    def create(self, name: str = "Tomorrow", type_campaign: str = "predictive", **fields: Any) -> str:
        body = {"campaign_name": name, "skill_id": "7", **fields}
        r = self.campaign("POST", "create_campaign", json=body, type_campaign=type_campaign)
        assert r.status_code == 201, r.text
        return str(r.json()["data"][0]["id_campaign"])

    def add(self, campaign_id: str, records: Any, type_campaign: str = "predictive") -> requests.Response:
        return self.campaign(
            "POST", "add_record", json=records, type_campaign=type_campaign, campaign_id=campaign_id
        )

    def campaigns(self) -> list[dict[str, Any]]:
        r = self.info("campaigns")
        assert r.status_code == 200, r.text
        return list(r.json()["data"])

    def admin(self, method: str, action: str, json: Any = None, **params: Any) -> requests.Response:
        return self.session.request(
            method, f"{self.base_url}/_emulator/{action}", json=json, params=params, timeout=TIMEOUT
        )


def records(n: int, start: int = 0, **extra: Any) -> list[dict[str, Any]]:
    return [
        {"customer_id": f"C{i}", "customer_name": f"Name {i}", "tel1": f"300{i:07d}", **extra}
        for i in range(start, start + n)
    ]


def assert_envelope(r: requests.Response, status: int, msg: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"] == "application/json"
    body = r.json()
    assert set(body) == {"code", "error", "msg", "data"}
    assert body["code"] == status
    if status < 400:
        assert body["error"] is None
    else:
        assert isinstance(body["error"], str) and body["error"].isupper()
    if msg is not None:
        assert body["msg"] == msg
    return dict(body)
