"""WolkvoxClient.requests_sent: every HTTP request the client sends counts, retries included."""

from __future__ import annotations

import threading

import pytest
from test_client_retry import answer, connection_refused
from wolkvox_client_data import TOKEN_INFO_OK, TOKEN_INFO_URL

from airflow_provider_wolkvox.client import WolkvoxBadRequestError

OK = {"json": TOKEN_INFO_OK}


def test_a_new_client_has_sent_nothing(make_client):
    assert make_client().requests_sent == 0


def test_each_call_counts_once_when_it_succeeds_at_once(make_client, requests_mock):
    requests_mock.get(TOKEN_INFO_URL, json=TOKEN_INFO_OK)
    client = make_client()
    client.token_info()
    client.token_info()
    assert client.requests_sent == requests_mock.call_count == 2


def test_every_retry_counts(make_client, requests_mock):
    requests_mock.get(TOKEN_INFO_URL, [answer(503), answer(429), OK])
    client = make_client(attempts=3)
    client.token_info()
    assert client.requests_sent == requests_mock.call_count == 3


def test_failed_calls_count_too(make_client, requests_mock):
    requests_mock.get(TOKEN_INFO_URL, [answer(400, "SOME PARAMETERS ARE REQUIRED")])
    client = make_client(attempts=3)
    with pytest.raises(WolkvoxBadRequestError):
        client.token_info()
    assert client.requests_sent == 1


def test_a_request_that_never_connected_counts_as_tried(make_client, requests_mock):
    requests_mock.get(TOKEN_INFO_URL, [{"exc": connection_refused()}, OK])
    client = make_client(attempts=2)
    client.token_info()
    assert client.requests_sent == 2


def test_requests_from_several_threads_are_all_counted(make_client, requests_mock):
    requests_mock.get(TOKEN_INFO_URL, json=TOKEN_INFO_OK)
    client = make_client()

    def read() -> None:
        for _ in range(25):
            client.token_info()

    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert client.requests_sent == requests_mock.call_count == 100
