"""Fault injection (Python and HTTP), latency, maintenance and the admin endpoints."""

from __future__ import annotations

import time

import pytest
import requests
from emulator_helpers import Api, assert_envelope, records

from airflow_provider_wolkvox.emulator import WolkvoxEmulator


def test_respond_fault_does_not_apply(api: Api, emu: WolkvoxEmulator) -> None:
    emu.inject_fault(api="create_campaign", status=503)
    r = api.campaign(
        "POST", "create_campaign", json={"campaign_name": "x", "skill_id": "1"}, type_campaign="preview"
    )
    assert_envelope(r, 503)
    assert r.json()["error"] == "SERVICE UNAVAILABLE"
    assert api.campaigns() == []
    assert api.create() == "1001"  # the fault was used up
    assert emu.state()["requests"]["create_campaign"] == 2


def test_respond_fault_with_raw_html_and_json_bodies(api: Api, emu: WolkvoxEmulator) -> None:
    emu.inject_fault(api="campaigns", status=502, body="<html><body>Bad Gateway</body></html>")
    emu.inject_fault(api="campaigns", status=200, body='{"code": 200, "data": [')
    emu.inject_fault(api="campaigns", status=500, body={"oops": True})
    r = api.info("campaigns")
    assert r.status_code == 502 and r.headers["Content-Type"].startswith("text/html") and "<html>" in r.text
    r = api.info("campaigns")
    assert r.status_code == 200
    with pytest.raises(ValueError):
        r.json()
    r = api.info("campaigns")
    assert r.status_code == 500 and r.json() == {"oops": True}
    assert_envelope(api.info("campaigns"), 200)


def test_429_with_retry_after(api: Api, emu: WolkvoxEmulator) -> None:
    emu.inject_fault(api="*", status=429, headers={"Retry-After": "2"})
    r = api.info("token_info")
    assert r.status_code == 429 and r.headers["Retry-After"] == "2"


def test_fault_times_and_wildcard(api: Api, emu: WolkvoxEmulator) -> None:
    emu.inject_fault(api="*", times=2, status=500)
    assert api.info("campaigns").status_code == 500
    assert api.info("token_info").status_code == 500
    assert api.info("campaigns").status_code == 200


def test_drop_before_does_not_apply(api: Api, emu: WolkvoxEmulator) -> None:
    emu.inject_fault(api="create_campaign", action="drop_before")
    with pytest.raises(requests.ConnectionError):
        api.create()
    assert api.campaigns() == []


def test_drop_after_applies(api: Api, emu: WolkvoxEmulator) -> None:
    cid = api.create()
    emu.inject_fault(api="add_record", action="drop_after")
    with pytest.raises(requests.ConnectionError):
        api.add(cid, records(5))
    assert api.campaigns()[0]["records"] == "5"


def test_apply_then_sleep_times_out_after_the_change(api: Api, emu: WolkvoxEmulator) -> None:
    emu.inject_fault(api="create_campaign", action="apply_then_sleep", latency=1.0)
    with pytest.raises(requests.ReadTimeout):
        api.campaign(
            "POST",
            "create_campaign",
            json={"campaign_name": "x", "skill_id": "1"},
            type_campaign="preview",
            timeout=0.3,
        )
    assert [c["campaign_name"] for c in emu.state()["campaigns"]] == ["x"]


def test_fault_latency_and_global_latency(api: Api, emu: WolkvoxEmulator) -> None:
    emu.inject_fault(api="campaigns", action="delay", latency=0.3)
    t0 = time.monotonic()
    assert_envelope(api.info("campaigns"), 200)
    assert time.monotonic() - t0 >= 0.3
    with pytest.raises(requests.ReadTimeout):
        emu.inject_fault(api="campaigns", status=503, latency=1.0)
        api.call("GET", "information.php", "campaigns", timeout=0.2)
    emu.set_latency(0.2)
    t0 = time.monotonic()
    api.info("token_info")
    assert time.monotonic() - t0 >= 0.2


def test_maintenance(api: Api, emu: WolkvoxEmulator) -> None:
    emu.set_maintenance(True)
    assert_envelope(api.info("campaigns"), 403, "API CONSUMPTION DISABLED DUE TO MAINTENANCE")
    assert_envelope(
        Api(emu.url, token=None).info("campaigns"), 403, "API CONSUMPTION DISABLED DUE TO MAINTENANCE"
    )
    emu.set_maintenance(False)
    assert_envelope(api.info("campaigns"), 200)


def test_invalid_fault_is_refused(emu: WolkvoxEmulator) -> None:
    with pytest.raises(ValueError):
        emu.inject_fault(action="explode")
    with pytest.raises(ValueError):
        emu.inject_fault(status=99)


def test_admin_http_api(api: Api, emu: WolkvoxEmulator) -> None:
    assert api.admin("GET", "health").status_code == 200

    r = api.admin("POST", "faults", json={"api": "start", "status": 429, "retry_after": 3, "times": 1})
    assert r.status_code == 201 and r.json()["faults"][0]["headers"] == {"Retry-After": "3"}
    assert len(api.admin("GET", "faults").json()["faults"]) == 1
    assert api.admin("DELETE", "faults").status_code == 200
    assert emu.state()["faults"] == []
    assert api.admin("POST", "faults", json={"action": "explode"}).status_code == 400
    assert api.admin("POST", "faults", json={"nonsense": 1}).status_code == 400

    assert api.admin("POST", "faults", json={"api": "campaigns", "status": 504}).status_code == 201
    assert api.info("campaigns").status_code == 504

    assert api.admin("POST", "latency", json={"seconds": 0.25}).json()["seconds"] == 0.25
    assert emu.latency == 0.25
    assert api.admin("POST", "latency", json={"seconds": "x"}).status_code == 400
    assert api.admin("POST", "latency", json={"seconds": 0}).status_code == 200

    assert api.admin("POST", "maintenance", json={"enabled": True}).status_code == 200
    assert_envelope(api.info("campaigns"), 403, "API CONSUMPTION DISABLED DUE TO MAINTENANCE")
    assert api.admin("POST", "maintenance", json={"enabled": False}).status_code == 200

    cid = api.create()
    api.add(cid, records(2))
    state = api.admin("GET", "state").json()
    assert set(state) >= {"requests", "peak_in_flight", "campaigns"}
    assert state["requests"]["create_campaign"] == 1 and state["requests"]["campaigns"] == 2
    assert state["campaigns"][0]["campaign_id"] == cid
    assert [r["customer_id"] for r in state["campaigns"][0]["records"]] == ["C0", "C1"]
    assert api.admin("GET", "state", records="false").json()["campaigns"][0]["records"] is None

    assert api.admin("POST", "reset").status_code == 200
    state = api.admin("GET", "state").json()
    assert state["campaigns"] == [] and state["requests"] == {} and state["peak_in_flight"] == {}
    assert api.create() == "1001"
    assert api.admin("GET", "nothing").status_code == 404


def test_paths_outside_the_api(api: Api) -> None:
    r = api.session.get(f"{api.base_url}/index.html", timeout=5)
    assert_envelope(r, 404)
