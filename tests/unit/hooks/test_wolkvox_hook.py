from __future__ import annotations

import pytest

from airflow_provider_wolkvox.client import WolkvoxValidationError
from airflow_provider_wolkvox.get_provider_info import get_provider_info
from airflow_provider_wolkvox.hooks.wolkvox import WolkvoxHook

BASE = "https://wv0042.wolkvox.com/api/v2"
TOKEN_INFO = {
    "code": 200,
    "error": None,
    "msg": "1 records were found",
    "data": [
        {
            "description": "airflow",
            "token_limit": "5000",
            "token_use_today": "12",
            "available_consumption_options": "4988",
        }
    ],
}


def test_hook_reads_server_token_and_extras_from_env_json_connection(set_connection):
    set_connection(host="wv0042.wolkvox.com", extra={"timeout": 30, "retry_attempts": 2})
    client = WolkvoxHook().get_conn()
    assert client.base_url == "https://wv0042.wolkvox.com"
    assert client.timeout == 30
    assert client.retry.attempts == 2


def test_hook_reads_a_connection_given_as_uri(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_WOLKVOX_URI", "wolkvox://:tok%2Fen@0042/?timeout=20")
    client = WolkvoxHook(wolkvox_conn_id="wolkvox_uri").get_conn()
    assert client.base_url == "https://wv0042.wolkvox.com"
    assert client.timeout == 20


def test_hook_does_not_read_the_connection_in_init(monkeypatch):
    monkeypatch.delenv("AIRFLOW_CONN_MISSING", raising=False)
    WolkvoxHook(wolkvox_conn_id="missing")  # no lookup, so no error while a DAG file is parsed


def test_hook_sends_token_and_server_headers(set_connection, requests_mock):
    set_connection()
    requests_mock.get(f"{BASE}/information.php?api=token_info", json=TOKEN_INFO)
    WolkvoxHook().get_conn().token_info()
    sent = requests_mock.last_request.headers
    assert sent["wolkvox-token"] == "tok-SECRET-0123456789"
    assert sent["wolkvox_server"] == "0042"


def test_hook_uses_server_id_extra_for_url_hosts(set_connection, requests_mock):
    set_connection(host="http://127.0.0.1:8765", extra={"server_id": "0002"})
    requests_mock.get("http://127.0.0.1:8765/api/v2/information.php?api=token_info", json=TOKEN_INFO)
    WolkvoxHook().get_conn().token_info()
    assert requests_mock.last_request.headers["wolkvox_server"] == "0002"


def test_hook_accepts_airflow2_form_extra_keys(set_connection):
    set_connection(extra={"extra__wolkvox__timeout": "15"})
    assert WolkvoxHook().get_conn().timeout == 15


@pytest.mark.parametrize(
    ("host", "password", "extra", "field"),
    [
        ("0042", None, {}, "password"),
        ("0042.evil.com", "tok-SECRET-0123456789", {}, "host"),
        ("", "tok-SECRET-0123456789", {}, "host"),
        ("0042", "tok-SECRET-0123456789", {"timeout": "soon"}, "timeout"),
        ("0042", "tok-SECRET-0123456789", {"retry_attempts": 0}, "retry_attempts"),
        ("0042", "tok-SECRET-0123456789", {"allow_insecure_http": "maybe"}, "allow_insecure_http"),
        ("http://192.0.2.10:8080", "tok-SECRET-0123456789", {}, "host"),
    ],
)
def test_hook_refuses_bad_connection_values_naming_the_field(
    set_connection, requests_mock, host, password, extra, field
):
    set_connection(host=host, password=password, extra=extra)
    with pytest.raises(WolkvoxValidationError) as info:
        WolkvoxHook().get_conn()
    assert info.value.field == field
    assert "tok-SECRET" not in str(info.value)
    assert requests_mock.call_count == 0


def test_insecure_http_to_another_host_needs_an_explicit_opt_in(set_connection):
    set_connection(host="http://192.0.2.10:8080", extra={"allow_insecure_http": True})
    assert WolkvoxHook().get_conn().base_url == "http://192.0.2.10:8080"


def test_test_connection_reports_success_with_remaining_quota(set_connection, requests_mock):
    set_connection()
    requests_mock.get(f"{BASE}/information.php?api=token_info", json=TOKEN_INFO)
    ok, message = WolkvoxHook().test_connection()
    assert ok is True
    assert "4988" in message
    assert requests_mock.last_request.method == "GET"


def test_test_connection_reports_an_invalid_token_without_leaking_it(set_connection, requests_mock):
    set_connection()
    requests_mock.get(
        f"{BASE}/information.php?api=token_info",
        status_code=403,
        json={"code": 403, "error": "FORBIDDEN", "msg": "PLEASE VALIDATE TOKEN", "data": None},
    )
    ok, message = WolkvoxHook().test_connection()
    assert ok is False
    assert "PLEASE VALIDATE TOKEN" in message
    assert "tok-SECRET" not in message
    assert requests_mock.call_count == 1  # an invalid token is not retried


def test_test_connection_reports_a_bad_host_without_sending_anything(set_connection, requests_mock):
    set_connection(host="evil.com#")
    ok, message = WolkvoxHook().test_connection()
    assert ok is False
    assert "host" in message
    assert requests_mock.call_count == 0


def test_legacy_ui_behaviour_matches_the_declared_form():
    declared = get_provider_info()["connection-types"][0]["ui-field-behaviour"]
    legacy = WolkvoxHook.get_ui_field_behaviour()
    assert legacy["hidden_fields"] == declared["hidden-fields"]
    assert legacy["relabeling"] == {
        "host": "Server (code or URL)",
        "login": "Server id",
        "password": "API token",
    }
    assert legacy["placeholders"]["host"].startswith("0042, or a URL")


def test_close_closes_the_client_and_a_later_call_builds_a_new_one(set_connection, monkeypatch):
    from airflow_provider_wolkvox.client import WolkvoxClient

    closed = []
    monkeypatch.setattr(WolkvoxClient, "close", lambda self: closed.append(self))
    set_connection()
    hook = WolkvoxHook()
    first = hook.get_conn()
    hook.close()
    assert closed == [first]
    assert hook.get_conn() is not first


def test_the_hook_is_a_context_manager_that_closes(set_connection, requests_mock, monkeypatch):
    from airflow_provider_wolkvox.client import WolkvoxClient

    closed = []
    monkeypatch.setattr(WolkvoxClient, "close", lambda self: closed.append(self))
    set_connection()
    requests_mock.get(f"{BASE}/information.php?api=token_info", json=TOKEN_INFO)
    with WolkvoxHook() as hook:
        client = hook.get_conn()
        client.token_info()
    assert closed == [client]


def test_closing_an_unused_hook_reads_no_connection(monkeypatch):
    monkeypatch.delenv("AIRFLOW_CONN_NEVER_DEFINED", raising=False)
    WolkvoxHook(wolkvox_conn_id="never_defined").close()  # no lookup, no error
