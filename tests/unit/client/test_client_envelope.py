"""Reading the {code, error, msg, data} envelope in the shapes Wolkvox really sends."""

from __future__ import annotations

from typing import Any

import pytest
from wolkvox_client_data import CREATE_URL, TOKEN_INFO_URL, predictive_spec

from airflow_provider_wolkvox.client import (
    WolkvoxAuthError,
    WolkvoxClient,
    WolkvoxInvalidResponseError,
)


@pytest.mark.parametrize("code", [201, "201"], ids=["int", "string"])
def test_create_accepts_code_as_int_or_string(client: WolkvoxClient, requests_mock: Any, code: Any) -> None:
    requests_mock.post(
        CREATE_URL, status_code=201, json={"code": code, "msg": "ok", "data": [{"id_campaign": "777"}]}
    )

    assert client.create_campaign(predictive_spec()).campaign_id == "777"


@pytest.mark.parametrize(
    "data",
    [[{"id_campaign": "777"}], {"id_campaign": "777"}],
    ids=["list", "single-object"],
)
def test_create_reads_the_id_from_data_as_list_or_object(
    client: WolkvoxClient, requests_mock: Any, data: Any
) -> None:
    requests_mock.post(CREATE_URL, status_code=201, json={"code": 201, "msg": "ok", "data": data})

    assert client.create_campaign(predictive_spec()).campaign_id == "777"


@pytest.mark.parametrize(
    "row",
    [
        {"id_campaign": "777", "name_campaign": "Given by server"},
        {"id_campaing": "777", "name_campaing": "Given by server"},
        {"id_campaign": 777, "name_campaing": "Given by server"},
    ],
    ids=["current-spelling", "legacy-campaing-spelling", "int-id"],
)
def test_create_returns_id_and_name_from_either_key_spelling(
    client: WolkvoxClient, requests_mock: Any, row: dict[str, Any]
) -> None:
    requests_mock.post(CREATE_URL, status_code=201, json={"code": 201, "msg": "ok", "data": [row]})

    campaign = client.create_campaign(predictive_spec())

    assert (campaign.campaign_id, campaign.campaign_name) == ("777", "Given by server")
    assert campaign.type_campaign == "predictive"


def test_create_falls_back_to_the_requested_name_when_the_answer_has_none(
    client: WolkvoxClient, requests_mock: Any
) -> None:
    requests_mock.post(CREATE_URL, status_code=201, json={"code": 201, "data": [{"id_campaign": "5"}]})

    assert client.create_campaign(predictive_spec()).campaign_name == "Spring sale"


@pytest.mark.parametrize(
    "data",
    [None, [], [{}], [{"id_campaign": ""}], {"name_campaign": "x"}],
    ids=["null", "empty-list", "empty-row", "blank-id", "no-id-key"],
)
def test_success_without_an_id_says_the_campaign_may_exist_and_is_not_resent(
    make_client: Any, requests_mock: Any, data: Any
) -> None:
    requests_mock.post(CREATE_URL, status_code=201, json={"code": 201, "msg": "done", "data": data})
    client = make_client(attempts=5)

    with pytest.raises(WolkvoxInvalidResponseError, match="may have been created"):
        client.create_campaign(predictive_spec())

    assert requests_mock.call_count == 1


def test_http_200_carrying_body_code_403_validate_token_is_an_auth_error(
    client: WolkvoxClient, requests_mock: Any
) -> None:
    requests_mock.get(
        TOKEN_INFO_URL,
        status_code=200,
        json={"code": 403, "error": "FORBIDDEN", "msg": "PLEASE VALIDATE TOKEN", "data": None},
    )

    with pytest.raises(WolkvoxAuthError) as caught:
        client.token_info()

    assert caught.value.api_message == "PLEASE VALIDATE TOKEN"


def test_http_200_with_string_body_code_403_is_an_auth_error(
    client: WolkvoxClient, requests_mock: Any
) -> None:
    requests_mock.get(TOKEN_INFO_URL, status_code=200, json={"code": "403", "msg": "PLEASE VALIDATE TOKEN"})

    with pytest.raises(WolkvoxAuthError):
        client.token_info()


def test_http_200_with_a_body_that_is_not_json_is_an_invalid_response(
    client: WolkvoxClient, requests_mock: Any
) -> None:
    requests_mock.get(TOKEN_INFO_URL, status_code=200, text="<html><body>Welcome</body></html>")

    with pytest.raises(WolkvoxInvalidResponseError, match="Welcome") as caught:
        client.token_info()

    assert caught.value.status == 200


def test_http_200_with_a_json_list_instead_of_the_envelope_is_an_invalid_response(
    client: WolkvoxClient, requests_mock: Any
) -> None:
    requests_mock.get(TOKEN_INFO_URL, status_code=200, json=[{"description": "x"}])

    with pytest.raises(WolkvoxInvalidResponseError):
        client.token_info()
