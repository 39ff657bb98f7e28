"""Redirects are never followed: a 3xx is a permanent error naming the status and the Location's host.

requests follows redirects by default and strips only ``Authorization`` when the host changes, so
following one would hand the ``wolkvox-token`` header to whatever host the Location names (and
turn a POST create into a GET there).
"""

from __future__ import annotations

import pytest
from wolkvox_client_data import CREATE_URL, TOKEN, TOKEN_INFO_OK, TOKEN_INFO_URL, predictive_spec

from airflow_provider_wolkvox.client import WolkvoxError, WolkvoxRedirectError

ELSEWHERE = "https://collector.example:8443/steal?next=1"


@pytest.fixture
def elsewhere(requests_mock):
    """The redirect target: answers like Wolkvox, so a followed redirect would look like success."""
    return requests_mock.register_uri("ANY", ELSEWHERE, json=TOKEN_INFO_OK)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_an_error_naming_status_and_host_and_nothing_follows(
    make_client, requests_mock, elsewhere, sleeps, status
):
    requests_mock.get(TOKEN_INFO_URL, status_code=status, headers={"Location": ELSEWHERE})
    client = make_client(attempts=5)
    with pytest.raises(WolkvoxRedirectError) as caught:
        client.token_info()
    error = caught.value
    assert error.permanent is True
    assert error.status == status
    assert error.location_host == "collector.example"
    assert f"HTTP {status}" in str(error)
    assert "collector.example" in str(error)
    assert TOKEN not in str(error)
    assert requests_mock.call_count == 1  # not retried, not followed
    assert not elsewhere.called
    assert sleeps == []


@pytest.mark.parametrize("status", [302, 307])
def test_a_create_answered_with_a_redirect_is_neither_followed_nor_retried(
    make_client, requests_mock, elsewhere, sleeps, status
):
    requests_mock.post(CREATE_URL, status_code=status, headers={"Location": ELSEWHERE})
    with pytest.raises(WolkvoxRedirectError) as caught:
        make_client(attempts=5).create_campaign(predictive_spec())
    assert caught.value.api == "create_campaign"
    assert requests_mock.call_count == 1
    assert [request.method for request in requests_mock.request_history] == ["POST"]
    assert not elsewhere.called
    assert sleeps == []


def test_a_relative_location_names_the_server_itself(client, requests_mock):
    requests_mock.get(TOKEN_INFO_URL, status_code=302, headers={"Location": "/login"})
    with pytest.raises(WolkvoxRedirectError, match=r"wv0042\.wolkvox\.com") as caught:
        client.token_info()
    assert caught.value.location_host == "wv0042.wolkvox.com"


def test_a_redirect_without_location_says_so(client, requests_mock):
    requests_mock.get(TOKEN_INFO_URL, status_code=301)
    with pytest.raises(WolkvoxRedirectError, match="without a Location") as caught:
        client.token_info()
    assert caught.value.location_host is None


def test_the_message_quotes_only_the_host_of_the_location(client, requests_mock):
    # A hostile server may echo the token back in the Location; only the host is ever quoted.
    location = f"https://user:{TOKEN}@collector.example/x?token={TOKEN}#{TOKEN}"
    requests_mock.get(TOKEN_INFO_URL, status_code=302, headers={"Location": location})
    with pytest.raises(WolkvoxError) as caught:
        client.token_info()
    assert TOKEN not in str(caught.value)
    assert TOKEN not in repr(caught.value.__dict__)
    assert "collector.example" in str(caught.value)


def test_a_redirect_with_a_json_envelope_is_still_an_error(client, requests_mock):
    requests_mock.get(TOKEN_INFO_URL, status_code=302, headers={"Location": ELSEWHERE}, json=TOKEN_INFO_OK)
    with pytest.raises(WolkvoxRedirectError):
        client.token_info()
