"""The simulated dialer honours the do-not-call list: blocked records end as do-not-call_clean."""

from __future__ import annotations

import time
from typing import Any

import pytest
from emulator_helpers import Api, assert_envelope, records

from airflow_provider_wolkvox.emulator import WolkvoxEmulator
from airflow_provider_wolkvox.emulator.state import DIAL_RESULTS, DNC_RESULT, Campaign

DATES = {"date_ini": "20260101000000", "date_end": "20260131000000"}


def block(api: Api, phones: list[str], type_call: str = "outbound") -> None:
    r = api.call("POST", "configuration.php", "add_dnc", json={"type_call": type_call, "telephones": phones})
    assert_envelope(r, 201)


def unblock(api: Api, phones: list[str], kind: str) -> None:
    r = api.call("DELETE", "configuration.php", "remove_dnc", json={"telephones": phones, "type": kind})
    assert_envelope(r, 202)


def start_and_wait(api: Api, cid: str) -> None:
    """Start the campaign and wait until the dialer has reached every record."""
    api.campaign("PUT", "start", campaign_id=cid)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if next(row for row in api.campaigns() if row["campaign_id"] == cid)["records"] == "0":
            return
        time.sleep(0.02)
    raise AssertionError("the dialer did not reach every record within 5 s")


def results(emu: WolkvoxEmulator, cid: str) -> dict[str, str]:
    [campaign] = [c for c in emu.state()["campaigns"] if c["campaign_id"] == cid]
    return {r["customer_id"]: r["result"] for r in campaign["records"]}


def report(api: Api, cid: str) -> list[dict[str, Any]]:
    r = api.call("GET", "reports_manager.php", "campaign_1", campaign_id=cid, **DATES)
    return list(assert_envelope(r, 200)["data"])


def test_a_blocked_record_ends_do_not_call_clean_and_the_others_are_dialled(
    api: Api, emu: WolkvoxEmulator
) -> None:
    emu.set_dial_rate(500)
    cid = api.create()
    assert_envelope(api.add(cid, records(5)), 201)  # phones 3000000000 ... 3000000004
    block(api, ["3000000002"])

    start_and_wait(api, cid)

    got = results(emu, cid)
    assert got.pop("C2") == DNC_RESULT == "do-not-call_clean"
    assert set(got) == {"C0", "C1", "C3", "C4"} and all(result in DIAL_RESULTS for result in got.values())

    # Where the API shows it: the record's own result (detail, find_record), report campaign_1,
    # and the live counts, in which the skipped record is neither left to call nor called.
    detail = api.campaign("GET", "detail", type_campaign="predictive", campaign_id=cid, **DATES).json()
    assert {row["customer_id"]: row["result"] for row in detail["data"]}["C2"] == DNC_RESULT
    found = api.campaign("GET", "find_record", campaign_id=cid, customer_phone="3000000002").json()["data"]
    assert [row["result"] for row in found] == [DNC_RESULT]
    rows = {row["result"]: row for row in report(api, cid)}
    assert rows[DNC_RESULT] == {"result": DNC_RESULT, "records": "1", "percent": "20.00"}
    assert sum(int(row["records"]) for row in rows.values()) == 5
    live = api.call("GET", "real_time.php", "campaigns").json()[0]
    assert (live["records"], live["clean"], live["dial"]) == ("5", "0", "4")
    export = api.campaign("GET", "campaign_15", campaign_id=cid).json()["records"]
    assert [row["llamadas"] for row in export] == ["1", "1", "0", "1", "1"]


def test_a_skipped_record_costs_none_of_the_dial_rate() -> None:
    """Driven by hand with a fixed clock: 2 calls due, 3 records of which the first is blocked."""
    campaign = Campaign("1001", "0042", "predictive", {}, status="Started", dialed_until=0.0)
    campaign.records = [{"customer_id": f"C{i}", "tel1": f"30000000{i:02d}", "result": ""} for i in range(4)]
    dnc = {"3000000000": {"type": "all", "date": ""}}

    campaign.dial(2.0, 1.0, dnc)

    assert campaign.records[0]["result"] == DNC_RESULT
    assert all(r["result"] in DIAL_RESULTS for r in campaign.records[1:3])
    assert campaign.records[3]["result"] == ""  # two calls were due: two records called
    assert campaign.pending() == 1


@pytest.mark.parametrize(
    ("record", "type_call", "blocked"),
    [
        ({"tel1": "3000000001"}, "outbound", True),
        ({"tel1": "3000000001"}, "all", True),
        ({"tel1": "3000000001"}, "inbound/outbound", True),
        ({"tel1": "3000000001"}, "inbound", False),  # blocks calls in, not the dialer
        ({"tel1": " 3000000001 ", "tel2": ""}, "outbound", True),  # blanks are no phone
        ({"tel1": "3000000001", "tel3": "3000000009"}, "outbound", False),  # one phone left to call
        ({"tel1": "573000000001"}, "outbound", False),  # exact digits: no country code is guessed
    ],
)
def test_which_records_the_dialer_skips(record: dict[str, str], type_call: str, blocked: bool) -> None:
    campaign = Campaign("1001", "0042", "predictive", {}, status="Started", dialed_until=0.0)
    campaign.records = [{**record, "result": ""}]
    campaign.dial(1.0, 1.0, {"3000000001": {"type": type_call, "date": ""}})
    assert (campaign.records[0]["result"] == DNC_RESULT) is blocked
    assert campaign.records[0]["result"] != ""


def test_the_list_in_force_is_the_one_when_the_dialer_reaches_a_record(
    api: Api, emu: WolkvoxEmulator
) -> None:
    cid = api.create()
    api.add(cid, records(3))
    block(api, ["3000000000", "3000000001"], "all")
    unblock(api, ["3000000001"], "all")  # unblocked before the dialer reaches it: called
    block(api, ["3000000001"], "inbound")  # inbound only: still called
    emu.set_dial_rate(500)
    start_and_wait(api, cid)
    assert results(emu, cid)["C0"] == DNC_RESULT
    assert results(emu, cid)["C1"] in DIAL_RESULTS

    block(api, ["3000000002"])  # after the call: the result stays
    assert results(emu, cid)["C2"] in DIAL_RESULTS


def test_a_stopped_campaign_skips_nobody_and_the_list_is_per_operation(emu: WolkvoxEmulator) -> None:
    mine, other = Api(emu.url, server="0042"), Api(emu.url, server="0043")
    cid = mine.create()
    mine.add(cid, records(2))
    block(other, ["3000000000", "3000000001"])  # another operation's list
    emu.set_dial_rate(500)
    time.sleep(0.05)
    assert set(results(emu, cid).values()) == {""}  # Stopped: nothing happens to any record
    start_and_wait(mine, cid)
    assert DNC_RESULT not in results(emu, cid).values()


def test_report_campaign_1_counts_results_per_campaign_or_for_all(api: Api, emu: WolkvoxEmulator) -> None:
    emu.set_dial_rate(500)
    first, second = api.create("first"), api.create("second")
    api.add(first, records(4))
    api.add(second, records(2, start=10))
    block(api, ["3000000000", "3000000010", "3000000011"])
    start_and_wait(api, first)

    assert report(api, second) == []  # Stopped: nothing called yet, no row
    start_and_wait(api, second)
    assert report(api, second) == [{"result": DNC_RESULT, "records": "2", "percent": "100.00"}]
    r = api.call("GET", "reports_manager.php", "campaign_1", campaign_id="all", **DATES)
    rows = assert_envelope(r, 200, f"{len(r.json()['data'])} records were found")["data"]
    assert rows[0] == {"result": DNC_RESULT, "records": "3", "percent": "50.00"}  # most frequent first
    assert sum(int(row["records"]) for row in rows) == 6


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"campaign_id": "999999", **DATES}, 404),
        ({**DATES}, 400),
        ({"campaign_id": "all", "date_ini": "20260101000000"}, 400),
        ({"campaign_id": "all", "date_ini": "2026-01-01", "date_end": "20260102000000"}, 400),
        ({"campaign_id": "all", "date_ini": "20260201000000", "date_end": "20260101000000"}, 400),
        (
            {"campaign_id": "all", "date_ini": "20260101000000", "date_end": "20260301000000"},
            400,
        ),  # > 31 days
    ],
)
def test_report_campaign_1_checks_its_parameters(api: Api, params: dict[str, str], status: int) -> None:
    assert_envelope(api.call("GET", "reports_manager.php", "campaign_1", **params), status)
    assert_envelope(api.call("POST", "reports_manager.php", "campaign_1", **DATES, campaign_id="all"), 400)
