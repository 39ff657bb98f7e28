"""The emulator accepts what real Wolkvox clients send (issue #11 item 9).

Each test sends, over raw HTTP and never through ``client/``, the request one surveyed source
sends, and expects the answer the vendor documents:

- "collection" = the vendor's Postman collection, /work/shared/docs/wolkvox-api-collection.md
  (section numbers in the test names' docstrings);
- "dashboard" = a public Node campaign on/off dashboard: PUT start/stop with only ``campaign_id``
  and only the ``wolkvox-token`` header;
- "executor" = a public Python campaign executor: start built from its add_record URL minus
  ``type_campaign``/``campaign_status``, token header only; reads ``real_time.php?api=campaigns``;
- "report proxy" = a public Next.js report proxy that sends ``wolkvox-server`` (hyphen) and a
  ``Content-Type`` on GETs;
- "PHP loaders" = public PHP snippets posting add_record with curl, some without any
  ``Content-Type`` (curl then says form-urlencoded) and some with ``campaign_status=start``.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
import requests
from emulator_helpers import TIMEOUT, Api, assert_envelope, records

from airflow_provider_wolkvox.emulator import WolkvoxEmulator
from airflow_provider_wolkvox.emulator.pytest_plugin import TEST_TOKEN

SERVER = "0042"
T_AND_S = {"wolkvox-token": TEST_TOKEN, "wolkvox_server": SERVER}  # most collection items
T_ONLY = {"wolkvox-token": TEST_TOKEN}  # collection items 14-17, the dashboard, the executor


@pytest.fixture
def op(emu: WolkvoxEmulator) -> Api:
    """Raw access as operation 0042 (token + wolkvox_server, like most collection items)."""
    return Api(emu.url, server=SERVER)


def url(emu: WolkvoxEmulator, module: str, query: str) -> str:
    return f"{emu.url}/api/v2/{module}?{query}"


def send(method: str, target: str, headers: dict[str, str], body: Any = None) -> requests.Response:
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    return requests.request(method, target, headers=headers, data=data, timeout=TIMEOUT)


def row_of(op: Api, cid: str) -> dict[str, Any]:
    return next(row for row in op.campaigns() if row["campaign_id"] == cid)


# --- state changes without the parameters the older pages list ------------------------------------


@pytest.mark.parametrize(
    ("api", "status", "verb"), [("start", "Started", "started"), ("stop", "Stopped", "stopped")]
)
def test_start_and_stop_with_only_campaign_id(
    emu: WolkvoxEmulator, op: Api, api: str, status: str, verb: str
) -> None:
    """Collection 1.10/1.11: PUT campaign.php?api=start|stop&campaign_id=..., no type_campaign, no body."""
    cid = op.create()
    if api == "stop":
        op.campaign("PUT", "start", type_campaign="predictive", campaign_id=cid)

    r = send("PUT", url(emu, "campaign.php", f"api={api}&campaign_id={cid}"), T_AND_S)

    assert_envelope(r, 202, f"The {cid} campaign_id has been {verb} successfully")
    assert row_of(op, cid)["status"] == status


def test_speed_with_only_campaign_id_and_a_raw_json_body(emu: WolkvoxEmulator, op: Api) -> None:
    """Collection 1.9: PUT api=speed&campaign_id=..., raw body {"speed": "55"}, no Content-Type declared."""
    cid = op.create()

    r = send("PUT", url(emu, "campaign.php", f"api=speed&campaign_id={cid}"), T_AND_S, b'{"speed": "55"}')

    assert_envelope(r, 202, f"The speed of {cid} campaign_id has been updated successfully")
    assert row_of(op, cid)["speed"] == "55"


def test_a_state_change_still_refuses_a_type_that_is_not_preview_or_predictive(
    emu: WolkvoxEmulator, op: Api
) -> None:
    cid = op.create()
    r = send("PUT", url(emu, "campaign.php", f"api=start&type_campaign=blast&campaign_id={cid}"), T_AND_S)
    assert_envelope(r, 400, "THE TYPE_CAMPAIGN MUST BE PREVIEW OR PREDICTIVE")
    r = send("PUT", url(emu, "campaign.php", "api=start"), T_AND_S)
    assert_envelope(r, 400, "SOME PARAMETERS ARE REQUIRED")


# --- headers that vary between clients ----------------------------------------------------------


def test_the_dashboards_token_only_start_reaches_the_tokens_operation(emu: WolkvoxEmulator, op: Api) -> None:
    """Dashboard: fetch(PUT .../campaign.php?api=start&campaign_id=N, headers: {wolkvox-token}) only."""
    cid = op.create()  # created with token + wolkvox_server 0042
    request = urllib.request.Request(
        url(emu, "campaign.php", f"api=start&campaign_id={cid}"), method="PUT", headers=T_ONLY
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
        body = json.loads(answer.read())
        assert answer.status == 202

    assert body["msg"] == f"The {cid} campaign_id has been started successfully"
    assert row_of(op, cid)["status"] == "Started"


def test_the_executors_start_url_derived_from_its_add_record_url(emu: WolkvoxEmulator, op: Api) -> None:
    """Executor: add_record URL minus type_campaign and campaign_status, api=start, token header only."""
    cid = op.create()
    upload = url(
        emu, "campaign.php", f"api=add_record&type_campaign=predictive&campaign_id={cid}&campaign_status=1"
    )
    assert_envelope(send("POST", upload, {**T_ONLY, "Content-Type": "application/json"}, records(2)), 201)

    r = requests.put(
        url(emu, "campaign.php", f"api=start&campaign_id={cid}"), headers=T_ONLY, timeout=TIMEOUT
    )

    assert_envelope(r, 202)
    assert (row_of(op, cid)["status"], row_of(op, cid)["records"]) == ("Started", "2")


def test_collection_items_14_to_17_send_the_token_only(emu: WolkvoxEmulator, op: Api) -> None:
    """Collection 1.15 (campaign_15) after a token + wolkvox_server create: same operation."""
    cid = op.create()
    op.add(cid, records(1))

    r = send("GET", url(emu, "campaign.php", f"api=campaign_15&campaign_id={cid}"), T_ONLY)

    assert r.status_code == 200, r.text
    assert r.json()["total_records"] == "1"


def test_the_hyphenated_wolkvox_server_header_names_the_operation(emu: WolkvoxEmulator) -> None:
    """Report proxy: sends wolkvox-server (hyphen) plus Content-Type: application/json on a GET."""
    cid = Api(emu.url, server="0043").create("in 0043")
    Api(emu.url, server="0044").create("in 0044")

    def listed(server: str) -> list[str]:
        headers = {"wolkvox-token": TEST_TOKEN, "wolkvox-server": server, "Content-Type": "application/json"}
        r = send("GET", url(emu, "information.php", "api=campaigns"), headers)
        return [row["campaign_id"] for row in assert_envelope(r, 200)["data"]]

    assert listed("0043") == [cid]
    assert cid not in listed("0044")


def test_a_tokens_operation_is_the_first_one_it_named(emu: WolkvoxEmulator) -> None:
    """A token belongs to one operation: without a server header, calls go where it was first used."""
    cid = Api(emu.url, server="0043").create()
    Api(emu.url, server="0044").create()

    assert [row["campaign_id"] for row in Api(emu.url).campaigns()] == [cid]
    emu.add_token("fresh")
    assert Api(emu.url, token="fresh").campaigns() == []  # never named one: the "default" operation


@pytest.mark.parametrize(
    "headers",
    [
        {"Wolkvox-Token": TEST_TOKEN, "wolkvox_server": SERVER, "Content-Type": "application/json"},
        {"wolkvox-token": TEST_TOKEN, "wolkvox_server": SERVER},  # PHP curl, no Content-Type at all
        {
            "wolkvox-token": TEST_TOKEN,
            "wolkvox_server": SERVER,
            "Content-Type": "application/x-www-form-urlencoded",
        },
        {"wolkvox-token": TEST_TOKEN, "wolkvox_server": SERVER, "ContentType": "application/json"},
    ],
    ids=["capitalised-token", "no-content-type", "form-content-type", "misspelt-content-type"],
)
def test_add_record_accepts_the_json_body_whatever_the_content_type(
    emu: WolkvoxEmulator, op: Api, headers: dict[str, str]
) -> None:
    """PHP loaders: POST add_record...&campaign_status=start with the JSON array, headers vary."""
    cid = op.create()
    target = url(
        emu,
        "campaign.php",
        f"api=add_record&type_campaign=predictive&campaign_id={cid}&campaign_status=start",
    )
    body = json.dumps(records(1)).encode()
    if "Content-Type" not in headers:  # requests would not add one for bytes either; make it explicit
        r = requests.post(target, headers=headers, data=body, timeout=TIMEOUT)
    else:
        r = send("POST", target, headers, body)

    assert_envelope(r, 201)
    assert row_of(op, cid)["records"] == "1"


# --- real_time.php?api=campaigns ----------------------------------------------------------------


def test_real_time_campaigns_is_a_bare_array_of_live_counts(emu: WolkvoxEmulator, op: Api) -> None:
    """Collection 5: GET real_time.php?api=campaigns (token + server), the answer has no envelope."""
    cid = op.create("Morning calls", skill_id="12")
    op.add(cid, [*records(2), *records(1, start=2, result="answer"), *records(1, start=3, result="busy")])
    op.campaign("PUT", "start", type_campaign="predictive", campaign_id=cid)
    other = op.create("Other")

    r = send("GET", url(emu, "real_time.php", "api=campaigns"), T_AND_S)

    assert r.status_code == 200 and r.headers["Content-Type"] == "application/json"
    rows = r.json()
    assert isinstance(rows, list) and len(rows) == 2
    assert rows[0] == {
        "campaign": f"{cid} - Morning calls - tel1: 50%",
        "speed": "100",
        "status": "started",
        "skill_id": "12",
        "records": "4",
        "clean": "2",
        "dial": "2",
        "answer": "1",
        "no_answer": "0",
        "busy/congestion/failed": "1",
        "answer_machine": "0",
        "penetration_day": "50",
        "penetration_now": "50",
        "hits": "1",
        "calls_x_min": "0",
        "recycled": "0",
    }
    assert rows[1]["campaign"] == f"{other} - Other - tel1: 0%" and rows[1]["status"] == "stopped"


def test_real_time_campaigns_with_the_campaign_id_filter_clients_pass(emu: WolkvoxEmulator, op: Api) -> None:
    """Executor/report scripts: real_time.php?api=campaigns&campaign_id=N, token header only."""
    first, second = op.create("a"), op.create("b")

    r = send("GET", url(emu, "real_time.php", f"api=campaigns&campaign_id={second}"), T_ONLY)

    assert [row["campaign"].split(" - ")[0] for row in r.json()] == [second]
    r = send("GET", url(emu, "real_time.php", "api=campaigns&campaign_id=999999"), T_ONLY)
    assert r.json() == []
    assert first


def test_real_time_campaigns_is_refused_like_any_call_without_a_token(emu: WolkvoxEmulator) -> None:
    r = send("GET", url(emu, "real_time.php", "api=campaigns"), {})
    assert_envelope(r, 401, "PLEASE ENTER THE WOLKVOX-TOKEN")


def test_information_campaigns_filters_by_campaign(emu: WolkvoxEmulator, op: Api) -> None:
    """Collection 2: information.php?api=campaigns&campaign=<id>."""
    op.create("a")
    second = op.create("b")

    r = send("GET", url(emu, "information.php", f"api=campaigns&campaign={second}"), T_AND_S)

    assert [row["campaign_id"] for row in assert_envelope(r, 200)["data"]] == [second]


# --- collection 1.8, 1.12, 1.13: forms the older pages do not show ------------------------------


def test_remove_record_with_comma_separated_customer_ids(emu: WolkvoxEmulator, op: Api) -> None:
    """Collection 1.8: body {"customer_id": "C0,C2"} removes both customers."""
    cid = op.create()
    op.add(cid, records(4))

    r = send(
        "DELETE",
        url(emu, "campaign.php", f"api=remove_record&type_campaign=predictive&campaign_id={cid}"),
        T_AND_S,
        {"customer_id": "C0, C2"},
    )

    out = assert_envelope(r, 202, "customer_id C0,C2 has been deleted successfully")
    assert out["data"] == [{"customer_id": "C0,C2", "total_deleted": "2"}]
    stored = emu.state()["campaigns"][0]["records"]
    assert [rec["customer_id"] for rec in stored] == ["C1", "C3"]


def test_remove_record_with_the_result_filter(emu: WolkvoxEmulator, op: Api) -> None:
    """Collection 1.8: the optional URL result only removes that customer's records with that result."""
    cid = op.create()
    op.add(cid, [*records(1, result="busy"), *records(1, result="answer")])

    r = send(
        "DELETE",
        url(emu, "campaign.php", f"api=remove_record&type_campaign=predictive&campaign_id={cid}&result=busy"),
        T_AND_S,
        {"customer_id": "C0"},
    )

    assert assert_envelope(r, 202)["data"][0]["total_deleted"] == "1"
    assert [rec["result"] for rec in emu.state()["campaigns"][0]["records"]] == ["answer"]


def test_delete_campaign_with_the_bulk_body_the_collection_sends(emu: WolkvoxEmulator, op: Api) -> None:
    """Collection 1.13: the request carries type_campaign + campaign_id AND {"campaign_ids": [...]}."""
    a, b, c = op.create("a"), op.create("b"), op.create("c")

    r = send(
        "DELETE",
        url(emu, "campaign.php", f"api=delete_campaign&type_campaign=predictive&campaign_id={a}"),
        T_AND_S,
        {"campaign_ids": [a, b, "999999"]},
    )

    assert_envelope(r, 200, "2 campaigns deleted successfully. 1 operations failed.")
    assert [row["campaign_id"] for row in op.campaigns()] == [c]


def test_delete_campaign_with_the_body_alone(emu: WolkvoxEmulator, op: Api) -> None:
    a = op.create("a", type_campaign="preview")
    r = send("DELETE", url(emu, "campaign.php", "api=delete_campaign"), T_AND_S, {"campaign_ids": [a]})
    assert_envelope(r, 200, "1 campaigns deleted successfully. 0 operations failed.")
    assert op.campaigns() == []


def test_find_record_by_campaign_alone_with_the_empty_parameters_postman_sends(
    emu: WolkvoxEmulator, op: Api
) -> None:
    """Collection 1.12: campaign_id or customer_phone may be left out (Postman sends them empty)."""
    cid, other = op.create("a"), op.create("b")
    op.add(cid, records(3))
    op.add(other, records(1))

    r = send(
        "GET",
        url(emu, "campaign.php", f"api=find_record&campaign_id={cid}&customer_phone=&customer_id="),
        T_AND_S,
    )

    out = assert_envelope(r, 200, "3 records were found")
    assert [(row["campaign_id"], row["customer_id"]) for row in out["data"]] == [
        (cid, "C0"),
        (cid, "C1"),
        (cid, "C2"),
    ]
    r = send(
        "GET",
        url(emu, "campaign.php", "api=find_record&campaign_id=&customer_phone=3000000000&customer_id="),
        T_AND_S,
    )
    assert sorted(row["campaign_id"] for row in assert_envelope(r, 200)["data"]) == sorted([cid, other])
    r = send(
        "GET", url(emu, "campaign.php", "api=find_record&campaign_id=&customer_phone=&customer_id="), T_AND_S
    )
    assert_envelope(r, 400, "SOME PARAMETERS ARE REQUIRED")


# --- collection 1.14-1.17 ------------------------------------------------------------------------


def test_campaign_15_exports_every_record_with_spanish_keys(emu: WolkvoxEmulator, op: Api) -> None:
    """Collection 1.15: GET campaign.php?api=campaign_15&campaign_id=N, token only, its own envelope."""
    cid = op.create()
    op.add(cid, [{"customer_id": "9", "customer_name": "Ana", "tel1": "3001", "result": "answer-machine"}])

    r = send("GET", url(emu, "campaign.php", f"api=campaign_15&campaign_id={cid}"), T_ONLY)

    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"code", "total_records", "campaign_id", "records"}
    assert (body["code"], body["total_records"], body["campaign_id"]) == (200, "1", cid)
    record = body["records"][0]
    assert (record["nombre_cliente"], record["id_cliente"], record["tel1"], record["resultado"]) == (
        "Ana",
        "9",
        "3001",
        "ANSWER MACHINE",
    )
    r = send("GET", url(emu, "campaign.php", "api=campaign_15&campaign_id=999999"), T_ONLY)
    assert_envelope(r, 404, "CAMPAIGN NOT FOUND")


def test_recall_records_marks_matching_records_for_dialing_again(emu: WolkvoxEmulator, op: Api) -> None:
    """Collection 1.16: PUT api=recall_records&campaign_id=N, body {"field", "value"}, token only."""
    cid = op.create()
    op.add(cid, [*records(2, result="failed"), *records(1, start=2, result="answer")])
    target = url(emu, "campaign.php", f"api=recall_records&campaign_id={cid}")

    r = send("PUT", target, T_ONLY, {"field": "Cod_Machine", "value": "FAILED"})

    out = assert_envelope(r, 200, "2 record(s) have been marked for recall successfully")
    assert out["data"] == [
        {
            "campaign_id": cid,
            "field": "Cod_Machine",
            "value": "FAILED",
            "normalized_value": "FAILED",
            "affected_records": "2",
        }
    ]
    assert row_of(op, cid)["records"] == "2"  # records left to call
    assert_envelope(send("PUT", target, T_ONLY, {"field": "Cod_Machine", "value": "LATER"}), 400)
    assert_envelope(send("PUT", target, T_ONLY, {"field": "colour", "value": "FAILED"}), 400)
    assert_envelope(
        send("PUT", target, T_ONLY, {"field": "Cod_Machine"}), 400, "SOME PARAMETERS ARE REQUIRED"
    )
    preview = op.create(type_campaign="preview")
    r = send(
        "PUT",
        url(emu, "campaign.php", f"api=recall_records&campaign_id={preview}"),
        T_ONLY,
        {"field": "Cod_Machine", "value": "FAILED"},
    )
    assert_envelope(r, 400)


def test_edit_campaign_with_the_space_postman_puts_before_campaign_id(emu: WolkvoxEmulator, op: Api) -> None:
    """Collection 1.17: raw URL '...api=edit_campaign& campaign_id=N', only the changed fields."""
    cid = op.create("Old name")
    body = {
        "campaign_name": "New name",
        "start_time": "08:30:00",
        "end_time": "17:00:00",
        "optional_labels": {"opt1": "Plan"},
    }

    r = send("PUT", url(emu, "campaign.php", f"api=edit_campaign&%20campaign_id={cid}"), T_ONLY, body)

    out = assert_envelope(r, 200, "Campaign has been updated successfully")
    assert out["data"] == [{**body, "campaign_id": cid}]
    row = row_of(op, cid)
    assert (row["campaign_name"], row["start_time"], row["end_time"]) == ("New name", "08:30:00", "17:00:00")
    assert emu.state()["campaigns"][0]["opt1"] == "Plan"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"turbo_dial": "maybe"},
        {"start_time": "0830"},
        {"start_time": "18:00:00", "end_time": "08:00:00"},
        {"type_camp": "Preview"},  # the campaign is predictive
        {"skill_id": "twelve"},
        {"amd_conf": "XYZ"},
        {"camp_dial_order": "backwards"},
        {"optional_labels": {"opt13": "x"}},
        {"campaign_name": " "},
        {"colour": "blue"},
    ],
)
def test_edit_campaign_refuses_what_the_collection_lists_as_400(
    emu: WolkvoxEmulator, op: Api, body: dict
) -> None:
    cid = op.create("Kept")
    r = send("PUT", url(emu, "campaign.php", f"api=edit_campaign&campaign_id={cid}"), T_ONLY, body)
    assert_envelope(r, 400)
    assert row_of(op, cid)["campaign_name"] == "Kept"


def test_campaign_filter_reports_the_records_it_leaves_to_call(emu: WolkvoxEmulator, op: Api) -> None:
    """Collection 1.14: PUT api=campaign_filter&type_campaign=..&campaign_id=.., token only."""
    cid = op.create()
    op.add(
        cid,
        [
            *records(3, city="Cali"),
            *records(2, start=3, city="Bogota"),
            *records(1, start=5, city="Cali", result="busy"),
        ],
    )
    body = {
        "filter_active": "yes",
        "connector": "and",
        "filters": [{"field": "city", "operator": "=", "value": "Cali"}],
    }

    r = send(
        "PUT",
        url(emu, "campaign.php", f"api=campaign_filter&type_campaign=predictive&campaign_id={cid}"),
        T_ONLY,
        body,
    )

    out = assert_envelope(r, 200, "Campaign filter successfully updated")
    assert out["data"] == {"total_records": "6", "pending_records": "3", "applied_filter": "city = 'Cali'"}
    bad = {**body, "filters": [{"field": "city", "operator": "~", "value": "Cali"}]}
    target = url(emu, "campaign.php", f"api=campaign_filter&type_campaign=predictive&campaign_id={cid}")
    assert_envelope(send("PUT", target, T_ONLY, bad), 400)
    off = send("PUT", target, T_ONLY, {"filter_active": "no"})
    assert assert_envelope(off, 200)["data"]["pending_records"] == "5"


# --- DNC (collection 1.1, 2, 3) ------------------------------------------------------------------


def test_dnc_numbers_are_added_listed_and_removed(emu: WolkvoxEmulator) -> None:
    """configuration.php add_dnc / remove_dnc, information.php get_dnc, campaign.php add_dnc."""
    r = send(
        "POST",
        url(emu, "configuration.php", "api=add_dnc"),
        T_AND_S,
        {"type_call": "inbound/outbound", "telephones": ["93000000007", "93000000008"]},
    )
    assert_envelope(r, 201, "2 telephones were added")
    r = send(
        "POST",
        url(emu, "campaign.php", "api=add_dnc"),
        T_AND_S,
        [{"telephone": "573000000010", "days_block": "15"}],
    )
    out = assert_envelope(r, 201, "1 telephones were added")
    assert out["data"] == [{"total_added": "1", "total_rejected": "0", "total_sent": "1"}]

    r = send("GET", url(emu, "information.php", "api=get_dnc&type=all"), T_AND_S)
    rows = assert_envelope(r, 200)["data"]
    assert sorted((row["phone_number"], row["type"]) for row in rows) == [
        ("573000000010", "outbound"),
        ("93000000007", "inbound/outbound"),
        ("93000000008", "inbound/outbound"),
    ]
    r = send("GET", url(emu, "information.php", "api=get_dnc&type=inbound"), T_AND_S)
    assert sorted(row["phone_number"] for row in r.json()["data"]) == ["93000000007", "93000000008"]

    r = send(
        "DELETE",
        url(emu, "configuration.php", "api=remove_dnc"),
        T_AND_S,
        {"telephones": ["93000000007"], "type": "all"},
    )
    assert_envelope(r, 202, "1 telephones were deleted")
    r = send(
        "DELETE",
        url(emu, "configuration.php", "api=remove_dnc"),
        T_AND_S,
        {"telephones": "All", "type": "all"},
    )
    assert_envelope(r, 202, "2 telephones were deleted")
    assert send("GET", url(emu, "information.php", "api=get_dnc&type=all"), T_AND_S).json()["data"] == []
    r = send(
        "POST",
        url(emu, "configuration.php", "api=add_dnc"),
        T_AND_S,
        {"type_call": "sometimes", "telephones": ["1"]},
    )
    assert_envelope(r, 400)


def test_a_token_can_be_given_its_operation(emu: WolkvoxEmulator) -> None:
    """WolkvoxEmulator(token_servers=...): token-only calls go there from the first call on."""
    with WolkvoxEmulator(tokens={"s3cr3t": 100}, token_servers={"s3cr3t": "0042"}) as other:
        cid = Api(other.url, token="s3cr3t").create()  # no server header
        assert [row["campaign_id"] for row in Api(other.url, token="s3cr3t", server="0042").campaigns()] == [
            cid
        ]
        operations = other.state()["token_operations"]
        assert list(operations.values()) == ["0042"] and "s3cr3t" not in str(operations)
        other.reset()
        assert list(other.state()["token_operations"].values()) == ["0042"]  # given, so kept
    assert emu.state()["token_operations"] == {}


def test_a_token_first_used_without_a_header_stays_in_the_default_operation(emu: WolkvoxEmulator) -> None:
    """Another client naming an operation later does not move the header-less client's campaigns."""
    plain = Api(emu.url)
    cid = plain.create("default")
    Api(emu.url, server="0042").create("in 0042")

    assert [row["campaign_id"] for row in plain.campaigns()] == [cid]


def test_codify_codes_a_customer_so_it_is_not_dialed_again(emu: WolkvoxEmulator, op: Api) -> None:
    """Collection 1.5: PUT api=codify&type_campaign=..&campaign_id=.., body cod_act, comment, customer_id."""
    cid = op.create()
    op.add(cid, records(2))
    target = url(emu, "campaign.php", f"api=codify&type_campaign=predictive&campaign_id={cid}")
    body = {"cod_act": "002", "cod_act_2": "A01", "comment": "This is a comment", "customer_id": "C1"}

    r = send("PUT", target, T_AND_S, body)

    assert_envelope(r, 202, "customer_id C1 has been coded")
    stored = emu.state()["campaigns"][0]["records"][1]
    assert (stored["cod_act"], stored["cod_act_2"], stored["comment"]) == ("002", "A01", "This is a comment")
    assert row_of(op, cid)["records"] == "1"  # records left to call
    assert_envelope(send("PUT", target, T_AND_S, {**body, "customer_id": "nobody"}), 404)
    assert_envelope(send("PUT", target, T_AND_S, {"customer_id": "C0"}), 400, "SOME PARAMETERS ARE REQUIRED")


def test_recall_with_only_campaign_id_schedules_a_call_back(emu: WolkvoxEmulator, op: Api) -> None:
    """Collection 1.7: PUT api=recall&campaign_id=.. (no type_campaign), predictive records only."""
    cid = op.create()
    op.add(cid, records(1, result="no-answer"))
    target = url(emu, "campaign.php", f"api=recall&campaign_id={cid}")
    body = {"recall_date": "20260426160000", "recall_telephone": "93242567400", "customer_id": "C0"}

    r = send("PUT", target, T_AND_S, body)

    assert_envelope(
        r, 202, "customer_id C0 has been updated and will be call back on 20260426160000 to phone 93242567400"
    )
    stored = emu.state()["campaigns"][0]["records"][0]
    assert (stored["recall_date"], stored["recall_telephone"], stored["result"]) == (
        "20260426160000",
        "93242567400",
        "",
    )
    assert_envelope(send("PUT", target, T_AND_S, {**body, "recall_date": "2026-04-26"}), 400)
    assert_envelope(send("PUT", target, T_AND_S, {**body, "customer_id": "nobody"}), 404)
    preview = op.create(type_campaign="preview")
    r = send("PUT", url(emu, "campaign.php", f"api=recall&campaign_id={preview}"), T_AND_S, body)
    assert_envelope(r, 400)
