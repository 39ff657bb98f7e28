"""What the client puts on the wire: method, exact URL, headers and JSON body."""

from __future__ import annotations

from typing import Any

import pytest
from wolkvox_client_data import (
    CAMPAIGNS_URL,
    CREATE_URL,
    CREATED_OK,
    TOKEN,
    TOKEN_INFO_OK,
    TOKEN_INFO_URL,
    predictive_spec,
    preview_spec,
)

from airflow_provider_wolkvox import __version__
from airflow_provider_wolkvox.client import WolkvoxClient


def test_create_campaign_posts_to_the_documented_url(client: WolkvoxClient, requests_mock: Any) -> None:
    requests_mock.post(CREATE_URL, json=CREATED_OK, status_code=201)

    client.create_campaign(predictive_spec())

    request = requests_mock.last_request
    assert request.method == "POST"
    assert request.url == CREATE_URL


def test_create_campaign_sends_the_token_server_and_json_headers(
    client: WolkvoxClient, requests_mock: Any
) -> None:
    requests_mock.post(CREATE_URL, json=CREATED_OK, status_code=201)

    client.create_campaign(predictive_spec())

    headers = requests_mock.last_request.headers
    assert headers["wolkvox-token"] == TOKEN
    assert headers["wolkvox_server"] == "0042"
    assert headers["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    ("call", "api", "body"),
    [
        (lambda c: c.start_campaign("predictive", 777), "start", None),
        (lambda c: c.stop_campaign("predictive", 777), "stop", None),
        (lambda c: c.set_speed("predictive", 777, 40), "speed", {"speed": "40"}),
    ],
    ids=["start", "stop", "speed"],
)
def test_state_changes_send_what_the_vendors_collection_sends(
    client: WolkvoxClient, requests_mock: Any, call: Any, api: str, body: Any
) -> None:
    """Collection 1.9-1.11: PUT ...campaign.php?api=<api>&campaign_id=<id>, token and server headers."""
    url = f"https://wv0042.wolkvox.com/api/v2/campaign.php?api={api}&campaign_id=777"
    requests_mock.put(url, status_code=202, json={"code": 202, "error": None, "msg": "ok"})

    call(client)

    request = requests_mock.last_request
    assert (request.method, request.url) == ("PUT", url)
    assert request.headers["wolkvox-token"] == TOKEN
    assert request.headers["wolkvox_server"] == "0042"
    assert (request.json() if request.body else None) == body


def test_user_agent_names_the_provider_and_its_version(client: WolkvoxClient, requests_mock: Any) -> None:
    requests_mock.post(CREATE_URL, json=CREATED_OK, status_code=201)

    client.create_campaign(predictive_spec())

    assert f"airflow-provider-wolkvox/{__version__}" in requests_mock.last_request.headers["User-Agent"]


def test_predictive_create_body_has_exactly_the_documented_keys(
    client: WolkvoxClient, requests_mock: Any
) -> None:
    requests_mock.post(CREATE_URL, json=CREATED_OK, status_code=201)

    client.create_campaign(predictive_spec())

    assert requests_mock.last_request.json() == {
        "campaign_name": "Spring sale",
        "campaign_description": "Q2 outbound",
        "skill_id": "12",
        "start_time": "080000",
        "end_time": "180000",
        "opt1": "Plan",
        "opt2": "Balance",
        "amd": "COL",
        "enable_edition": "yes",
    }


def test_preview_create_body_has_no_dialing_window_or_amd(client: WolkvoxClient, requests_mock: Any) -> None:
    url = "https://wv0042.wolkvox.com/api/v2/campaign.php?api=create_campaign&type_campaign=preview"
    requests_mock.post(url, json=CREATED_OK, status_code=201)

    client.create_campaign(preview_spec())

    assert requests_mock.last_request.url == url
    assert requests_mock.last_request.json() == {
        "campaign_name": "Renewals",
        "campaign_description": "",
        "skill_id": "7",
        "enable_edition": "no",
    }


def test_non_ascii_campaign_name_is_sent_as_utf8_json(client: WolkvoxClient, requests_mock: Any) -> None:
    requests_mock.post(CREATE_URL, json=CREATED_OK, status_code=201)

    client.create_campaign(predictive_spec(campaign_name="Campaña Señal"))

    assert requests_mock.last_request.json()["campaign_name"] == "Campaña Señal"


def test_explicit_server_id_overrides_the_wolkvox_server_header(make_client: Any, requests_mock: Any) -> None:
    requests_mock.get("http://127.0.0.1:8765/api/v2/information.php?api=token_info", json=TOKEN_INFO_OK)
    client = make_client(server="http://127.0.0.1:8765", server_id="0099")

    client.token_info()

    assert requests_mock.last_request.headers["wolkvox_server"] == "0099"


@pytest.mark.parametrize(
    ("url", "call"),
    [
        (TOKEN_INFO_URL, WolkvoxClient.token_info),
        (CAMPAIGNS_URL, WolkvoxClient.list_campaigns),
    ],
    ids=["token_info", "campaigns"],
)
def test_get_calls_send_no_body_and_no_content_type(
    client: WolkvoxClient, requests_mock: Any, url: str, call: Any
) -> None:
    requests_mock.get(url, json={"code": 200, "msg": "ok", "data": []})

    call(client)

    request = requests_mock.last_request
    assert request.method == "GET"
    assert request.url == url
    assert request.body is None
    assert "Content-Type" not in request.headers
    assert request.headers["wolkvox-token"] == TOKEN
