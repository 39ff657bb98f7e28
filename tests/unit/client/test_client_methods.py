"""The other client methods: URL, method and body each one sends, and what it returns."""

from __future__ import annotations

from typing import Any

import pytest
from wolkvox_client_data import CAMPAIGN_URL, CAMPAIGNS_URL, TOKEN_INFO_OK, TOKEN_INFO_URL

from airflow_provider_wolkvox.client import (
    Campaign,
    CampaignType,
    UploadResult,
    WolkvoxClient,
    WolkvoxNotFoundError,
    WolkvoxValidationError,
)

ADD_URL = f"{CAMPAIGN_URL}?api=add_record&type_campaign=predictive&campaign_id=777"
RECORDS = [
    {"customer_id": "C-1", "customer_name": "Ana", "tel1": "3001234567"},
    {"customer_id": "C-2", "customer_name": "Luis", "tel1": "3007654321"},
    {"customer_id": "C-3", "customer_name": "Eva", "tel1": "bad"},
]
ADDED = {
    "code": 201,
    "error": None,
    "msg": "2 records were added",
    "data": [{"total_sent": "3", "total_added": "2", "total_rejected": "1"}],
}
ACCEPTED = {"code": 202, "error": None, "msg": "The 777 campaign_id has been started successfully"}
CAMPAIGN_ROWS = {
    "code": 200,
    "msg": "3 records were found",
    "data": [
        {
            "campaign_id": "777",
            "campaign_name": "Spring sale",
            "type_campaign": "predictive",
            "status": "Started",
            "records": "120",
            "speed": "50",
        },
        {
            "campaign_id": "778",
            "campaign_name": "Spring sale",
            "type_campaign": "preview",
            "status": "Stopped",
            "records": "0",
            "speed": "0",
        },
        {
            "campaign_id": "779",
            "campaign_name": "Renewals",
            "type_campaign": "preview",
            "status": "Stopped",
            "records": "",
            "speed": "0",
        },
    ],
}


def test_add_records_posts_a_json_array_to_the_campaign(client: WolkvoxClient, requests_mock: Any) -> None:
    requests_mock.post(ADD_URL, status_code=201, json=ADDED)

    client.add_records("predictive", 777, RECORDS)

    request = requests_mock.last_request
    assert request.method == "POST"
    assert request.url == ADD_URL
    assert request.headers["Content-Type"] == "application/json"
    assert request.json() == RECORDS


def test_add_records_passes_the_campaign_status_in_the_url(client: WolkvoxClient, requests_mock: Any) -> None:
    requests_mock.post(ADD_URL, status_code=201, json=ADDED)

    client.add_records(CampaignType.PREDICTIVE, "777", RECORDS, campaign_status="stopped")

    assert requests_mock.last_request.url == f"{ADD_URL}&campaign_status=stopped"


def test_add_records_returns_the_counts_wolkvox_reports(client: WolkvoxClient, requests_mock: Any) -> None:
    requests_mock.post(ADD_URL, status_code=201, json=ADDED)

    result = client.add_records("predictive", 777, RECORDS)

    assert result == UploadResult(sent=3, accepted=2, rejected=1, message="2 records were added")


def test_add_records_sends_pre_encoded_bytes_unchanged(client: WolkvoxClient, requests_mock: Any) -> None:
    requests_mock.post(ADD_URL, status_code=201, json=ADDED)
    body = b'[{"customer_id":"C-1","tel1":"3001234567"}]'

    client.add_records("predictive", 777, body)

    assert requests_mock.last_request.body == body


@pytest.mark.parametrize(
    ("call", "api"),
    [(WolkvoxClient.start_campaign, "start"), (WolkvoxClient.stop_campaign, "stop")],
    ids=["start", "stop"],
)
def test_start_and_stop_are_bodiless_puts_returning_the_api_message(
    client: WolkvoxClient, requests_mock: Any, call: Any, api: str
) -> None:
    url = f"{CAMPAIGN_URL}?api={api}&campaign_id=777"  # the collection sends no type_campaign
    requests_mock.put(url, status_code=202, json=ACCEPTED)

    message = call(client, "preview", 777)

    request = requests_mock.last_request
    assert request.method == "PUT"
    assert request.url == url
    assert not request.body
    assert "Content-Type" not in request.headers
    assert message == ACCEPTED["msg"]


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.start_campaign(None, 777),
        lambda c: c.stop_campaign(None, 777),
        lambda c: c.set_speed(None, 777, 10),
    ],
    ids=["start", "stop", "speed"],
)
def test_start_stop_and_speed_need_no_type(client: WolkvoxClient, requests_mock: Any, call: Any) -> None:
    requests_mock.put(CAMPAIGN_URL, status_code=202, json=ACCEPTED)

    call(client)

    assert "type_campaign" not in requests_mock.last_request.url
    assert requests_mock.last_request.qs["campaign_id"] == ["777"]


@pytest.mark.parametrize("speed", [50, "50", "050"])
def test_set_speed_puts_the_speed_as_a_string(client: WolkvoxClient, requests_mock: Any, speed: Any) -> None:
    url = f"{CAMPAIGN_URL}?api=speed&campaign_id=777"
    requests_mock.put(url, status_code=202, json=ACCEPTED)

    client.set_speed("predictive", 777, speed)

    request = requests_mock.last_request
    assert request.method == "PUT"
    assert request.url == url
    assert request.headers["Content-Type"] == "application/json"
    assert request.json() == {"speed": "50"}


@pytest.mark.parametrize("speed", [101, -1, "abc", "", None, 1.5, True])
def test_set_speed_outside_0_to_100_is_refused_before_sending(
    client: WolkvoxClient, requests_mock: Any, speed: Any
) -> None:
    with pytest.raises(WolkvoxValidationError) as caught:
        client.set_speed("predictive", 777, speed)

    assert caught.value.field == "speed"
    assert requests_mock.call_count == 0


def test_clear_campaign_deletes_every_record_without_a_body(
    client: WolkvoxClient, requests_mock: Any
) -> None:
    url = f"{CAMPAIGN_URL}?api=clear_campaign&type_campaign=predictive&campaign_id=777"
    requests_mock.delete(url, status_code=202, json={"code": 202, "msg": "All records has been deleted"})

    assert client.clear_campaign("predictive", 777) == "All records has been deleted"

    request = requests_mock.last_request
    assert request.method == "DELETE"
    assert request.url == url
    assert not request.body


def test_clear_campaign_passes_the_result_filter(client: WolkvoxClient, requests_mock: Any) -> None:
    url = f"{CAMPAIGN_URL}?api=clear_campaign&type_campaign=predictive&campaign_id=777&result=no-answer"
    requests_mock.delete(url, status_code=202, json={"code": 202, "msg": "ok"})

    client.clear_campaign("predictive", 777, result="no-answer")

    assert requests_mock.last_request.url == url


@pytest.mark.parametrize("result", ["NO-ANSWER", "voicemail", ""])
def test_clear_campaign_with_an_unknown_result_is_refused_before_sending(
    client: WolkvoxClient, requests_mock: Any, result: str
) -> None:
    with pytest.raises(WolkvoxValidationError, match="no-answer") as caught:
        client.clear_campaign("predictive", 777, result=result)

    assert caught.value.field == "result"
    assert requests_mock.call_count == 0


def test_remove_record_deletes_with_the_customer_id_in_a_json_body(
    client: WolkvoxClient, requests_mock: Any
) -> None:
    url = f"{CAMPAIGN_URL}?api=remove_record&type_campaign=predictive&campaign_id=777"
    requests_mock.delete(url, status_code=202, json={"code": 202, "msg": "removed"})

    client.remove_record("predictive", 777, "C-1")

    request = requests_mock.last_request
    assert request.method == "DELETE"
    assert request.url == url
    assert request.headers["Content-Type"] == "application/json"
    assert request.json() == {"customer_id": "C-1"}


def test_remove_record_sends_several_customer_ids_comma_separated(
    client: WolkvoxClient, requests_mock: Any
) -> None:
    url = f"{CAMPAIGN_URL}?api=remove_record&type_campaign=predictive&campaign_id=777"
    requests_mock.delete(url, status_code=202, json={"code": 202, "msg": "removed"})

    client.remove_record("predictive", 777, ["C-1", "C-2"])

    assert requests_mock.last_request.json() == {"customer_id": "C-1,C-2"}


@pytest.mark.parametrize("customer_id", ["C-1,C-2", ["C-1", "C,2"], []])
def test_remove_record_refuses_a_comma_inside_an_id(
    client: WolkvoxClient, requests_mock: Any, customer_id: Any
) -> None:
    """Wolkvox splits customer_id at commas: "C-1,C-2" would delete two customers' records."""
    with pytest.raises(WolkvoxValidationError, match="comma") as caught:
        client.remove_record("predictive", 777, customer_id)

    assert caught.value.field == "customer_id"
    assert requests_mock.call_count == 0


def test_delete_campaign_sends_a_bodiless_delete(client: WolkvoxClient, requests_mock: Any) -> None:
    url = f"{CAMPAIGN_URL}?api=delete_campaign&type_campaign=preview&campaign_id=779"
    requests_mock.delete(url, status_code=202, json={"code": 202, "msg": "deleted"})

    assert client.delete_campaign("preview", "779") == "deleted"

    assert requests_mock.last_request.method == "DELETE"
    assert requests_mock.last_request.url == url
    assert not requests_mock.last_request.body


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda c: c.start_campaign("campaign", 777), "type_campaign"),
        (lambda c: c.stop_campaign("predictive", "77a"), "campaign_id"),
        (lambda c: c.delete_campaign("preview", -5), "campaign_id"),
        (lambda c: c.remove_record("predictive", 777, "  "), "customer_id"),
        (lambda c: c.add_records("predictive", 777, [], campaign_status="a\nb"), "campaign_status"),
        (lambda c: c.find_record(777), "customer_phone"),
        (lambda c: c.get_campaign("abc"), "campaign_id"),
    ],
    ids=[
        "type",
        "campaign-id-letters",
        "campaign-id-negative",
        "blank-customer",
        "status-newline",
        "no-key",
        "get",
    ],
)
def test_bad_arguments_are_refused_before_anything_is_sent(
    client: WolkvoxClient, requests_mock: Any, call: Any, field: str
) -> None:
    with pytest.raises(WolkvoxValidationError) as caught:
        call(client)

    assert caught.value.field == field
    assert requests_mock.call_count == 0


def test_find_record_gets_rows_by_phone_and_customer_id(client: WolkvoxClient, requests_mock: Any) -> None:
    url = f"{CAMPAIGN_URL}?api=find_record&campaign_id=777&customer_phone=3001234567&customer_id=C-1"
    row = {"customer_name": "Ana", "customer_id": "C-1"}
    requests_mock.get(url, json={"code": 200, "msg": "1 records", "data": [row]})

    rows = client.find_record(777, customer_phone="3001234567", customer_id="C-1")

    assert requests_mock.last_request.method == "GET"
    assert requests_mock.last_request.url == url
    assert rows == [row]


def test_list_campaigns_returns_campaign_objects(client: WolkvoxClient, requests_mock: Any) -> None:
    requests_mock.get(CAMPAIGNS_URL, json=CAMPAIGN_ROWS)

    campaigns = client.list_campaigns()

    assert [(c.campaign_id, c.campaign_name, c.type_campaign, c.status, c.records) for c in campaigns] == [
        ("777", "Spring sale", "predictive", "Started", 120),
        ("778", "Spring sale", "preview", "Stopped", 0),
        ("779", "Renewals", "preview", "Stopped", None),
    ]
    assert campaigns[0].is_started
    assert not campaigns[1].is_started


def test_get_campaign_returns_the_campaign_with_that_id(client: WolkvoxClient, requests_mock: Any) -> None:
    requests_mock.get(CAMPAIGNS_URL, json=CAMPAIGN_ROWS)

    campaign = client.get_campaign(778)

    assert isinstance(campaign, Campaign)
    assert (campaign.campaign_id, campaign.type_campaign) == ("778", "preview")
    assert requests_mock.call_count == 1


def test_get_campaign_that_is_not_listed_raises_not_found(client: WolkvoxClient, requests_mock: Any) -> None:
    requests_mock.get(CAMPAIGNS_URL, json=CAMPAIGN_ROWS)

    with pytest.raises(WolkvoxNotFoundError, match="999"):
        client.get_campaign("999")


@pytest.mark.parametrize(
    ("name", "kind", "ids"),
    [
        ("Spring sale", None, ["777", "778"]),
        ("Spring sale", "preview", ["778"]),
        ("Spring sale", "PREDICTIVE", ["777"]),
        ("spring sale", None, []),
        ("Missing", None, []),
    ],
)
def test_find_campaigns_matches_the_exact_name_and_optional_type(
    client: WolkvoxClient, requests_mock: Any, name: str, kind: str | None, ids: list[str]
) -> None:
    requests_mock.get(CAMPAIGNS_URL, json=CAMPAIGN_ROWS)

    found = client.find_campaigns(name, kind)

    assert [campaign.campaign_id for campaign in found] == ids


def test_token_info_reports_limit_use_and_remaining_quota(client: WolkvoxClient, requests_mock: Any) -> None:
    requests_mock.get(TOKEN_INFO_URL, json=TOKEN_INFO_OK)

    info = client.token_info()

    assert (info.description, info.token_limit, info.token_use_today, info.available) == (
        "airflow",
        1000,
        12,
        988,
    )


def test_token_info_accepts_a_single_object_with_the_crm_spelling(
    client: WolkvoxClient, requests_mock: Any
) -> None:
    row = {
        "description": "x",
        "token_limit": "10",
        "token_use_today": "3",
        "available_consumition_options": "7",
    }
    requests_mock.get(TOKEN_INFO_URL, json={"code": "200", "error": "null", "msg": "1", "data": row})

    assert client.token_info().available == 7
