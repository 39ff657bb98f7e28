"""Start, stop, speed, clear and delete: the documented request, validation first, errors mapped."""

from __future__ import annotations

import pytest
from failing import fails_at_once

from airflow_provider_wolkvox.operators.campaign import (
    ClearCampaignRecordsOperator,
    DeleteCampaignOperator,
    SetCampaignSpeedOperator,
    StartCampaignOperator,
    StopCampaignOperator,
)

BASE = "https://wv0042.wolkvox.com/api/v2/campaign.php"
OK = {"code": 202, "error": None, "msg": "The 1234 campaign_id has been updated successfully"}


@pytest.fixture(autouse=True)
def connection(set_connection):
    set_connection(
        password="tok-SECRET-123456", extra={"retry_min_delay": 0, "retry_max_delay": 0, "retry_attempts": 2}
    )


@pytest.mark.parametrize(
    ("operator", "extra", "method", "query", "body"),
    [
        (StartCampaignOperator, {}, "PUT", "api=start&campaign_id=1234", None),
        (StopCampaignOperator, {}, "PUT", "api=stop&campaign_id=1234", None),
        (
            SetCampaignSpeedOperator,
            {"speed": "80"},
            "PUT",
            "api=speed&campaign_id=1234",
            {"speed": "80"},
        ),
        (
            ClearCampaignRecordsOperator,
            {},
            "DELETE",
            "api=clear_campaign&type_campaign=predictive&campaign_id=1234",
            None,
        ),
        (
            ClearCampaignRecordsOperator,
            {"result": "no-answer"},
            "DELETE",
            "api=clear_campaign&type_campaign=predictive&campaign_id=1234&result=no-answer",
            None,
        ),
        (
            DeleteCampaignOperator,
            {},
            "DELETE",
            "api=delete_campaign&type_campaign=predictive&campaign_id=1234",
            None,
        ),
    ],
)
def test_operator_sends_the_documented_request_and_returns_the_campaign_id(
    requests_mock, operator, extra, method, query, body
):
    requests_mock.register_uri(method, f"{BASE}?{query}", status_code=202, json=OK)
    op = operator(task_id="t", campaign_id=1234, type_campaign="Predictive", **extra)

    assert op.execute({}) == "1234"

    assert requests_mock.call_count == 1
    request = requests_mock.last_request
    assert request.method == method
    assert request.url == f"{BASE}?{query}"
    assert request.headers["wolkvox-token"] == "tok-SECRET-123456"
    assert (request.json() if request.body else None) == body


def test_campaign_id_and_type_are_templated():
    op = StartCampaignOperator(
        task_id="t", campaign_id="{{ params.cid }}", type_campaign="{{ params.kind }}", params={}
    )
    assert set(op.template_fields) >= {"campaign_id", "type_campaign", "wolkvox_conn_id"}
    op.render_template_fields({"params": {"cid": "77", "kind": "preview"}})
    assert (op.campaign_id, op.type_campaign) == ("77", "preview")


@pytest.mark.parametrize(
    ("operator", "kwargs", "field"),
    [
        (StartCampaignOperator, {"campaign_id": "12a", "type_campaign": "predictive"}, "campaign_id"),
        (StopCampaignOperator, {"campaign_id": 1, "type_campaign": "progressive"}, "type_campaign"),
        (StopCampaignOperator, {"campaign_id": None, "type_campaign": "preview"}, "campaign_id"),
        (SetCampaignSpeedOperator, {"campaign_id": 1, "type_campaign": "preview", "speed": 101}, "speed"),
        (SetCampaignSpeedOperator, {"campaign_id": 1, "type_campaign": "preview", "speed": -1}, "speed"),
        (SetCampaignSpeedOperator, {"campaign_id": 1, "type_campaign": "preview", "speed": "fast"}, "speed"),
        (SetCampaignSpeedOperator, {"campaign_id": 1, "type_campaign": "preview", "speed": True}, "speed"),
        # Non-ASCII digits: str.isdigit() says yes, int() raises a bare ValueError.
        (
            SetCampaignSpeedOperator,
            {"campaign_id": 1, "type_campaign": "preview", "speed": "\u00b2"},
            "speed",
        ),
        (
            SetCampaignSpeedOperator,
            {"campaign_id": 1, "type_campaign": "preview", "speed": "9" * 5000},
            "speed",
        ),
        (
            DeleteCampaignOperator,
            {"campaign_id": 1, "type_campaign": "preview", "missing_ok": "maybe"},
            "missing_ok",
        ),
        (
            ClearCampaignRecordsOperator,
            {"campaign_id": 1, "type_campaign": "preview", "result": "ANSWERED"},
            "result",
        ),
        (DeleteCampaignOperator, {"campaign_id": "", "type_campaign": "preview"}, "campaign_id"),
    ],
)
def test_bad_input_fails_before_any_request(requests_mock, operator, kwargs, field):
    op = operator(task_id="t", **kwargs)
    with fails_at_once(match=f"Invalid {field}"):
        op.execute({})
    assert requests_mock.call_count == 0


def test_speed_accepts_the_bounds(requests_mock):
    requests_mock.put(BASE, status_code=202, json=OK)
    for speed in (0, 100, "0", "100"):
        SetCampaignSpeedOperator(task_id="t", campaign_id=1, type_campaign="preview", speed=speed).execute({})
    assert [r.json() for r in requests_mock.request_history] == [
        {"speed": "0"},
        {"speed": "100"},
        {"speed": "0"},
        {"speed": "100"},
    ]


def test_missing_campaign_fails_without_using_retries(requests_mock):
    requests_mock.put(
        BASE, status_code=404, json={"code": 404, "error": "NOT FOUND", "msg": "CAMPAIGN NOT FOUND"}
    )
    with fails_at_once(match="CAMPAIGN NOT FOUND"):
        StartCampaignOperator(task_id="t", campaign_id=9, type_campaign="predictive").execute({})
    assert requests_mock.call_count == 1


def test_transient_error_is_left_to_airflow_retries(requests_mock):
    from airflow_provider_wolkvox.client import WolkvoxServerError

    requests_mock.put(BASE, status_code=503, json={"code": 503, "error": "X", "msg": "busy"})
    with pytest.raises(WolkvoxServerError):
        StopCampaignOperator(task_id="t", campaign_id=9, type_campaign="predictive").execute({})
    assert requests_mock.call_count == 2  # retry_attempts from the connection


def test_delete_missing_ok_turns_404_into_success(requests_mock):
    requests_mock.delete(
        BASE, status_code=404, json={"code": 404, "error": "NOT FOUND", "msg": "CAMPAIGN NOT FOUND"}
    )
    op = DeleteCampaignOperator(task_id="t", campaign_id=9, type_campaign="preview", missing_ok=True)
    assert op.execute({}) == "9"
    with fails_at_once():
        DeleteCampaignOperator(task_id="t", campaign_id=9, type_campaign="preview").execute({})


@pytest.mark.parametrize("missing_ok", ["false", "False", "no", "0", 0])
def test_delete_missing_ok_given_as_text_false_still_fails_on_404(requests_mock, missing_ok):
    # A string "false" is truthy: it must be parsed, not tested for truth.
    requests_mock.delete(
        BASE, status_code=404, json={"code": 404, "error": "NOT FOUND", "msg": "CAMPAIGN NOT FOUND"}
    )
    op = DeleteCampaignOperator(task_id="t", campaign_id=9, type_campaign="preview", missing_ok=missing_ok)
    with fails_at_once(match="CAMPAIGN NOT FOUND"):
        op.execute({})


@pytest.mark.parametrize("missing_ok", ["true", "True", "yes", "1", 1])
def test_delete_missing_ok_given_as_text_true_succeeds_on_404(requests_mock, missing_ok):
    requests_mock.delete(
        BASE, status_code=404, json={"code": 404, "error": "NOT FOUND", "msg": "CAMPAIGN NOT FOUND"}
    )
    op = DeleteCampaignOperator(task_id="t", campaign_id=9, type_campaign="preview", missing_ok=missing_ok)
    assert op.execute({}) == "9"


def test_one_clear_log_line(requests_mock, capsys):
    requests_mock.put(BASE, status_code=202, json=OK)
    SetCampaignSpeedOperator(task_id="t", campaign_id=1234, type_campaign="predictive", speed=55).execute({})
    out = capsys.readouterr().out  # the Task SDK logs through structlog to stdout
    assert "Changed the speed of predictive campaign 1234: speed 55;" in out
    assert "tok-SECRET" not in out
