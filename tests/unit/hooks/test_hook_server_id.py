"""The server id is a connection field (Login, labelled "Server id"), not an Extra value.

Airflow 3 registers every Extra value as a secret to mask whenever the connection is read (its
``get_uri`` and ``extra_dejson`` do), and warns "Skipping masking for a secret as it's too short"
for a 4-digit server id, so every task log opened with that warning. The Login field is not a
secret: nothing registers it, and the hook logs the server id in clear. Connections that still
carry the older ``server_id`` extra keep working.
"""

from __future__ import annotations

import json
import logging

import pytest

from airflow_provider_wolkvox.client import WolkvoxValidationError
from airflow_provider_wolkvox.get_provider_info import get_provider_info
from airflow_provider_wolkvox.hooks.wolkvox import WolkvoxHook

URL = "http://127.0.0.1:8765"
TOKEN_INFO = {"code": 200, "error": None, "msg": "ok", "data": []}


@pytest.fixture
def masker(monkeypatch: pytest.MonkeyPatch):
    """Airflow's secrets masker, with its one-time "too short" warning armed again."""
    try:
        from airflow.sdk._shared.secrets_masker.secrets_masker import SecretsMasker, _secrets_masker
    except ImportError:
        try:  # Airflow 3.0
            from airflow.sdk.execution_time.secrets_masker import SecretsMasker, _secrets_masker
        except ImportError:  # Airflow 2: no "too short" warning at all
            from airflow.utils.log.secrets_masker import SecretsMasker, _secrets_masker
    if hasattr(SecretsMasker, "_has_warned_short_secret"):
        monkeypatch.setattr(SecretsMasker, "_has_warned_short_secret", False)
    return _secrets_masker()


def _define(monkeypatch: pytest.MonkeyPatch, **conn: object) -> None:
    conn = {"conn_type": "wolkvox", "host": URL, "password": "tok-SECRET-0123456789", **conn}
    monkeypatch.setenv("AIRFLOW_CONN_WOLKVOX_DEFAULT", json.dumps(conn))


def _logged(caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]) -> str:
    """What was logged: Airflow 3 task loggers write through structlog to stdout, Airflow 2's to logging."""
    return caplog.text + capsys.readouterr().out


def test_the_server_id_field_is_sent_and_registers_nothing_for_masking(
    monkeypatch, masker, caplog, capsys, requests_mock
):
    _define(monkeypatch, login="0042", extra={"timeout": 30})
    requests_mock.get(f"{URL}/api/v2/information.php?api=token_info", json=TOKEN_INFO)
    with caplog.at_level(logging.DEBUG):
        client = WolkvoxHook().get_conn()
        client.token_info()
    assert requests_mock.last_request.headers["wolkvox_server"] == "0042"
    logged = _logged(caplog, capsys)
    assert "too short" not in logged
    assert "Wolkvox connection 'wolkvox_default': http://127.0.0.1:8765, server id 0042" in logged


def test_the_older_server_id_extra_still_works(monkeypatch, requests_mock):
    _define(monkeypatch, extra={"server_id": "0002"})
    requests_mock.get(f"{URL}/api/v2/information.php?api=token_info", json=TOKEN_INFO)
    WolkvoxHook().get_conn().token_info()
    assert requests_mock.last_request.headers["wolkvox_server"] == "0002"


def test_the_server_id_field_wins_over_the_older_extra(monkeypatch, requests_mock):
    _define(monkeypatch, login="0042", extra={"server_id": "0002"})
    requests_mock.get(f"{URL}/api/v2/information.php?api=token_info", json=TOKEN_INFO)
    WolkvoxHook().get_conn().token_info()
    assert requests_mock.last_request.headers["wolkvox_server"] == "0042"


def test_the_server_id_of_a_wolkvox_host_is_derived_from_it_and_logged(monkeypatch, caplog, capsys):
    _define(monkeypatch, host="wv0042.wolkvox.com")
    with caplog.at_level(logging.INFO):
        WolkvoxHook().get_conn()
    assert "https://wv0042.wolkvox.com, server id 0042" in _logged(caplog, capsys)


def test_a_longer_server_id_is_logged_in_clear(monkeypatch, caplog, capsys):
    _define(monkeypatch, login="004217")
    with caplog.at_level(logging.INFO):
        WolkvoxHook().get_conn()
    assert "server id 004217" in _logged(caplog, capsys)


@pytest.mark.parametrize("login", ["0042\r\nX-Injected: 1", "00 42", "x" * 17])
def test_a_bad_server_id_is_refused_naming_the_field(monkeypatch, login):
    _define(monkeypatch, login=login)
    with pytest.raises(WolkvoxValidationError, match="Server id") as caught:
        WolkvoxHook().get_conn()
    assert caught.value.field == "login"
    assert "tok-SECRET" not in str(caught.value)


def test_the_form_offers_the_server_id_as_a_field_not_an_extra():
    (conn_type,) = get_provider_info()["connection-types"]
    behaviour = conn_type["ui-field-behaviour"]
    assert behaviour["relabeling"]["login"] == "Server id"
    assert "login" not in behaviour["hidden-fields"]
    assert "URL" in behaviour["placeholders"]["login"]
    assert "server_id" not in conn_type["conn-fields"]
