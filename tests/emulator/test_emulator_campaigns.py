"""Contract tests: every campaign/information endpoint's success path and documented errors."""

from __future__ import annotations

import time

import pytest
from emulator_helpers import Api, assert_envelope, records

from airflow_provider_wolkvox.emulator import WolkvoxEmulator


def test_create_campaign(api: Api, emu: WolkvoxEmulator) -> None:
    body = {
        "campaign_name": "Collections 2026-11-29",
        "campaign_description": "overdue > 30 days",
        "skill_id": "12",
        "start_time": "080000",
        "end_time": "180000",
        "opt1": "Balance",
        "enable_edition": "no",
    }
    r = api.campaign("POST", "create_campaign", json=body, type_campaign="predictive")
    out = assert_envelope(r, 201, "The 1001 campaign_id has been created successfully")
    assert out["data"] == [{"id_campaign": "1001", "name_campaign": "Collections 2026-11-29"}]
    assert api.create("second", type_campaign="preview") == "1002"

    rows = api.campaigns()
    assert [row["campaign_id"] for row in rows] == ["1001", "1002"]
    assert rows[0] == {
        "campaign_id": "1001",
        "campaign_name": "Collections 2026-11-29",
        "campaign_description": "overdue > 30 days",
        "type_campaign": "predictive",
        "status": "Stopped",
        "records": "0",
        "speed": "100",
        "dial_mode": "autopilot",
        "skill_id": "12",
        "start_time": "080000",
        "end_time": "180000",
    }
    stored = emu.state()["campaigns"][0]
    assert stored["opt1"] == "Balance" and stored["enable_edition"] == "no"


def test_duplicate_names_are_allowed(api: Api) -> None:
    assert api.create("same") != api.create("same")
    assert [row["campaign_name"] for row in api.campaigns()] == ["same", "same"]


@pytest.mark.parametrize(
    "params, body",
    [
        ({"type_campaign": "predictive"}, {"skill_id": "1"}),
        ({"type_campaign": "predictive"}, {"campaign_name": "  ", "skill_id": "1"}),
        ({"type_campaign": "predictive"}, {"campaign_name": "x"}),
        ({"type_campaign": "predictive"}, None),
        ({}, {"campaign_name": "x", "skill_id": "1"}),
    ],
)
def test_create_campaign_missing_parameters(api: Api, params: dict, body: dict | None) -> None:
    r = api.campaign("POST", "create_campaign", json=body, **params)
    assert_envelope(r, 400, "SOME PARAMETERS ARE REQUIRED")
    assert api.campaigns() == []


def test_create_campaign_bad_type(api: Api) -> None:
    r = api.campaign(
        "POST", "create_campaign", json={"campaign_name": "x", "skill_id": "1"}, type_campaign="blast"
    )
    assert_envelope(r, 400)


def test_create_campaign_malformed_json(api: Api) -> None:
    r = api.session.post(
        f"{api.base_url}/api/v2/campaign.php?api=create_campaign&type_campaign=preview",
        data=b"{not json",
        headers={**api.headers, "Content-Type": "application/json"},
        timeout=5,
    )
    assert_envelope(r, 400, "SOME PARAMETERS ARE REQUIRED")


def test_add_record(api: Api, emu: WolkvoxEmulator) -> None:
    cid = api.create()
    batch = [*records(3), {"customer_id": "nophone", "tel1": " "}, "not an object"]
    r = api.add(cid, batch)
    out = assert_envelope(r, 201, "3 records were inserted")
    assert out["data"] == [
        {"total_sent": "5", "total_added": "3", "total_rejected": "2", "total_registers": "3"}
    ]
    assert api.campaigns()[0]["records"] == "3"
    stored = emu.state()["campaigns"][0]["records"]
    assert [rec["customer_id"] for rec in stored] == ["C0", "C1", "C2"]
    assert all(rec["result"] == "" for rec in stored)


def test_add_record_single_object_and_campaign_status(api: Api) -> None:
    cid = api.create(type_campaign="preview")
    r = api.campaign(
        "POST",
        "add_record",
        json={"customer_id": "1", "tel3": "3001234567", "agent_id": ""},
        type_campaign="preview",
        campaign_id=cid,
        campaign_status="start",
    )
    assert_envelope(r, 201, "1 records were inserted")
    assert api.campaigns()[0]["status"] == "Stopped"  # campaign_status is ignored


def test_add_record_over_the_limit_stores_nothing(api: Api) -> None:
    cid = api.create()
    r = api.add(cid, records(10_001))
    assert_envelope(r, 400, "MAXIMUM 10000 RECORDS PER REQUEST")
    assert api.campaigns()[0]["records"] == "0"
    r = api.add(cid, records(10_000))
    assert_envelope(r, 201, "10000 records were inserted")


def test_add_record_errors(api: Api) -> None:
    cid = api.create()
    assert_envelope(api.add("999999", records(1)), 404, "CAMPAIGN NOT FOUND")
    assert_envelope(api.add(cid, records(1), type_campaign="preview"), 404, "CAMPAIGN NOT FOUND")
    assert_envelope(api.add(cid, []), 400, "SOME PARAMETERS ARE REQUIRED")
    assert_envelope(api.add(cid, None), 400, "SOME PARAMETERS ARE REQUIRED")
    r = api.campaign("POST", "add_record", json=records(1), type_campaign="predictive")
    assert_envelope(r, 400, "SOME PARAMETERS ARE REQUIRED")


def test_start_stop_are_idempotent(api: Api) -> None:
    cid = api.create()
    for _ in range(2):
        r = api.campaign("PUT", "start", type_campaign="predictive", campaign_id=cid)
        assert_envelope(r, 202, f"The {cid} campaign_id has been started successfully")
        assert api.campaigns()[0]["status"] == "Started"
    for _ in range(2):
        r = api.campaign("PUT", "stop", type_campaign="predictive", campaign_id=cid)
        assert_envelope(r, 202, f"The {cid} campaign_id has been stopped successfully")
        assert api.campaigns()[0]["status"] == "Stopped"
    r = api.campaign("PUT", "start", type_campaign="predictive", campaign_id="4242")
    assert_envelope(r, 404, "CAMPAIGN NOT FOUND")
    r = api.campaign("PUT", "start", type_campaign="preview", campaign_id=cid)  # a type sent is checked
    assert_envelope(r, 404, "CAMPAIGN NOT FOUND")
    r = api.campaign("PUT", "start", type_campaign="predictive")
    assert_envelope(r, 400, "SOME PARAMETERS ARE REQUIRED")


def test_speed(api: Api) -> None:
    cid = api.create()
    r = api.campaign("PUT", "speed", json={"speed": "35"}, type_campaign="predictive", campaign_id=cid)
    assert_envelope(r, 202)
    assert api.campaigns()[0]["speed"] == "35"
    for bad in ("101", "-1", "fast", 3.5):
        r = api.campaign("PUT", "speed", json={"speed": bad}, type_campaign="predictive", campaign_id=cid)
        assert_envelope(r, 400)
    r = api.campaign("PUT", "speed", json={}, type_campaign="predictive", campaign_id=cid)
    assert_envelope(r, 400, "SOME PARAMETERS ARE REQUIRED")
    assert api.campaigns()[0]["speed"] == "35"


def test_clear_campaign(api: Api, emu: WolkvoxEmulator) -> None:
    cid = api.create()
    api.add(cid, [*records(2), *records(2, start=2, result="busy"), *records(1, start=4, result="answer")])
    r = api.campaign("DELETE", "clear_campaign", type_campaign="predictive", campaign_id=cid, result="busy")
    out = assert_envelope(r, 202, f"All records has been deleted of campaign_id {cid} successfully")
    assert out["data"] == [{"total_deleted": "2"}]
    assert emu.state()["campaigns"][0]["record_count"] == 3
    assert api.campaigns()[0]["records"] == "2"  # records left to call: one already has a result
    r = api.campaign("DELETE", "clear_campaign", type_campaign="predictive", campaign_id=cid, result="nope")
    assert_envelope(r, 400)
    r = api.campaign("DELETE", "clear_campaign", type_campaign="predictive", campaign_id=cid)
    assert_envelope(r, 202, f"All records has been deleted of campaign_id {cid} successfully")
    assert api.campaigns()[0]["records"] == "0"


def test_remove_record(api: Api) -> None:
    cid = api.create()
    api.add(cid, [*records(3), *records(1, start=1)])
    r = api.campaign(
        "DELETE", "remove_record", json={"customer_id": "C1"}, type_campaign="predictive", campaign_id=cid
    )
    out = assert_envelope(r, 202, "customer_id C1 has been deleted successfully")
    assert out["data"][0]["total_deleted"] == "2"
    assert api.campaigns()[0]["records"] == "2"
    r = api.campaign("DELETE", "remove_record", json={}, type_campaign="predictive", campaign_id=cid)
    assert_envelope(r, 400, "SOME PARAMETERS ARE REQUIRED")


def test_find_record(api: Api) -> None:
    first, second = api.create("a"), api.create("b")
    api.add(first, records(3))
    api.add(second, records(1, start=1))
    r = api.campaign("GET", "find_record", campaign_id=first, customer_id="C1")
    out = assert_envelope(r, 200)
    assert [(row["campaign_id"], row["customer_id"]) for row in out["data"]] == [(first, "C1")]
    r = api.campaign("GET", "find_record", campaign_id=first, customer_phone="3000000002")
    assert [row["customer_id"] for row in r.json()["data"]] == ["C2"]
    r = api.campaign("GET", "find_record", customer_id="C1")  # no campaign_id: every campaign
    assert sorted(row["campaign_id"] for row in r.json()["data"]) == sorted([first, second])
    r = api.campaign("GET", "find_record", campaign_id=first, customer_id="C1", customer_phone="3000000002")
    assert r.json()["data"] == []
    assert_envelope(api.campaign("GET", "find_record"), 400, "SOME PARAMETERS ARE REQUIRED")
    assert_envelope(api.campaign("GET", "find_record", campaign_id="1", customer_id="C1"), 404)


def test_detail(api: Api) -> None:
    cid = api.create()
    api.add(cid, records(2))
    params = {"type_campaign": "predictive", "campaign_id": cid}
    r = api.campaign("GET", "detail", date_ini="20261101000000", date_end="20261130235959", **params)
    out = assert_envelope(r, 200)
    assert [row["customer_id"] for row in out["data"]] == ["C0", "C1"]
    r = api.campaign("GET", "detail", date_ini="20261001000000", date_end="20261201000000", **params)
    assert_envelope(r, 400)
    r = api.campaign("GET", "detail", date_ini="2026-11-01", date_end="20261130000000", **params)
    assert_envelope(r, 400)
    r = api.campaign("GET", "detail", date_ini="20261101000000", **params)
    assert_envelope(r, 400, "SOME PARAMETERS ARE REQUIRED")


def test_delete_campaign(api: Api) -> None:
    cid = api.create()
    api.add(cid, records(2))
    r = api.campaign("DELETE", "delete_campaign", type_campaign="predictive", campaign_id=cid)
    assert_envelope(r, 200, "1 campaigns deleted successfully. 0 operations failed.")
    assert api.campaigns() == []
    r = api.campaign("DELETE", "delete_campaign", type_campaign="predictive", campaign_id=cid)
    assert_envelope(r, 404, "CAMPAIGN NOT FOUND")


def test_token_info(emu: WolkvoxEmulator) -> None:
    emu.add_token("other", 50)
    other = Api(emu.url, token="other")
    other.info("campaigns")
    api = Api(emu.url)
    api.info("campaigns")
    r = api.info("token_info")
    out = assert_envelope(r, 200)
    row = out["data"][0]
    assert row["token_limit"] == "100000"
    assert row["token_use_today"] == "2"
    assert row["all_token_today"] == "3"
    assert row["available_consumption_options"] == "99998"
    assert row["description"] and "test-token" not in row["description"]


def test_unknown_api_and_wrong_method(api: Api) -> None:
    msg = "THE API YOU WANT TO CONSULT DOES NOT EXIST"
    assert_envelope(api.campaign("GET", "no_such_api"), 400, msg)
    assert_envelope(api.campaign("GET", "start", type_campaign="predictive", campaign_id="1001"), 400, msg)
    assert_envelope(api.call("GET", "reports.php", "campaigns"), 400, msg)
    assert_envelope(api.call("GET", "campaign.php", ""), 400, msg)


def test_state_is_per_server(emu: WolkvoxEmulator) -> None:
    emu.add_token("other")
    a, b = Api(emu.url, server="0042"), Api(emu.url, server="0043")
    cid = a.create("only in 0042")
    assert b.campaigns() == [] and Api(emu.url, token="other").campaigns() == []
    assert [row["campaign_id"] for row in a.campaigns()] == [cid]
    assert_envelope(b.campaign("PUT", "start", type_campaign="predictive", campaign_id=cid), 404)
    assert emu.state()["campaigns"][0]["server"] == "0042"


def test_a_started_campaign_dials_its_records_when_dialing_is_simulated(
    api: Api, emu: WolkvoxEmulator
) -> None:
    emu.set_dial_rate(200)  # records a second
    cid = api.create()
    api.campaign("POST", "add_record", json=records(50), type_campaign="predictive", campaign_id=cid)
    assert api.campaigns()[0]["records"] == "50"  # nothing is called while Stopped
    time.sleep(0.1)
    assert api.campaigns()[0]["records"] == "50"

    api.campaign("PUT", "start", type_campaign="predictive", campaign_id=cid)
    deadline = time.monotonic() + 5
    while api.campaigns()[0]["records"] != "0" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert api.campaigns()[0]["records"] == "0"  # records left to call
    stored = emu.state()["campaigns"][0]
    assert stored["record_count"] == 50  # called records stay in the campaign, with a result
    assert all(r["result"] for r in stored["records"])


def test_dialing_stops_with_the_campaign_and_is_off_by_default(api: Api, emu: WolkvoxEmulator) -> None:
    cid = api.create()
    api.campaign("POST", "add_record", json=records(5), type_campaign="predictive", campaign_id=cid)
    api.campaign("PUT", "start", type_campaign="predictive", campaign_id=cid)
    time.sleep(0.1)
    assert api.campaigns()[0]["records"] == "5"  # dial rate 0: never called

    api.campaign("PUT", "stop", type_campaign="predictive", campaign_id=cid)
    r = api.session.post(f"{emu.url}/_emulator/dialing", json={"records_per_second": 1000})
    assert r.status_code == 200
    time.sleep(0.1)
    assert api.campaigns()[0]["records"] == "5"  # a stopped campaign calls nobody
    assert (
        api.session.post(f"{emu.url}/_emulator/dialing", json={"records_per_second": "x"}).status_code == 400
    )
