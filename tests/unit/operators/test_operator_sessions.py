"""Every Wolkvox operator closes its HTTP session when execute() returns or raises."""

from __future__ import annotations

import pytest
import requests_mock as rm
from failing import fails_at_once

from airflow_provider_wolkvox.client import WolkvoxClient, WolkvoxServerError
from airflow_provider_wolkvox.operators.campaign import (
    ClearCampaignRecordsOperator,
    CreateCampaignOperator,
    DeleteCampaignOperator,
    SetCampaignSpeedOperator,
    StartCampaignOperator,
    StopCampaignOperator,
)
from airflow_provider_wolkvox.operators.records import UploadCampaignRecordsOperator

BASE = "https://wv0042.wolkvox.com/api/v2"
UPDATED = {"code": 202, "error": None, "msg": "updated"}
CREATED = {"code": 201, "error": None, "msg": "ok", "data": [{"id_campaign": "55", "name_campaign": "N"}]}
ADDED = {"code": 201, "error": None, "msg": "ok", "data": [{"total_sent": 1, "total_added": 1}]}
EMPTY_LIST = {"code": 200, "error": None, "msg": "0", "data": []}

ACTION = {"campaign_id": 1234, "type_campaign": "preview"}
OPERATORS = {
    "start": (StartCampaignOperator, ACTION),
    "stop": (StopCampaignOperator, ACTION),
    "speed": (SetCampaignSpeedOperator, {**ACTION, "speed": 50}),
    "clear": (ClearCampaignRecordsOperator, ACTION),
    "delete": (DeleteCampaignOperator, ACTION),
    "create": (CreateCampaignOperator, {"type_campaign": "preview", "campaign_name": "N", "skill_id": 1}),
    "upload": (
        UploadCampaignRecordsOperator,
        {**ACTION, "records": [{"customer_id": "1", "tel1": "3001234567"}]},
    ),
}


@pytest.fixture(autouse=True)
def connection(set_connection):
    set_connection(extra={"retry_min_delay": 0, "retry_max_delay": 0, "retry_attempts": 1})


@pytest.fixture
def closed(monkeypatch):
    """Every client whose close() was called, in order."""
    calls: list[WolkvoxClient] = []
    real_close = WolkvoxClient.close

    def spy(self):
        calls.append(self)
        real_close(self)

    monkeypatch.setattr(WolkvoxClient, "close", spy)
    return calls


def answer_everything(requests_mock, status, body):
    requests_mock.register_uri(rm.ANY, f"{BASE}/campaign.php", status_code=status, json=body)
    requests_mock.get(f"{BASE}/information.php?api=campaigns", json=EMPTY_LIST)


@pytest.mark.parametrize("name", list(OPERATORS))
def test_execute_closes_the_session_after_success(name, requests_mock, closed):
    answer_everything(
        requests_mock, 201, CREATED if name == "create" else ADDED if name == "upload" else UPDATED
    )
    cls, kwargs = OPERATORS[name]
    operator = cls(task_id=name, **kwargs)
    operator.execute({})
    assert requests_mock.called
    assert len(closed) == 1
    assert "client" not in operator.hook.__dict__  # a later use builds a fresh client


@pytest.mark.parametrize("name", list(OPERATORS))
def test_execute_closes_the_session_after_a_permanent_failure(name, requests_mock, closed):
    answer_everything(requests_mock, 404, {"code": 404, "error": "NOT FOUND", "msg": "CAMPAIGN NOT FOUND"})
    cls, kwargs = OPERATORS[name]
    with fails_at_once():
        cls(task_id=name, **kwargs).execute({})
    assert requests_mock.called
    assert len(closed) == 1


def test_execute_closes_the_session_after_a_transient_failure(requests_mock, closed):
    answer_everything(requests_mock, 503, {"code": 503, "error": "ERROR", "msg": "busy"})
    with pytest.raises(WolkvoxServerError):  # left to Airflow's task retries
        StartCampaignOperator(task_id="t", **ACTION).execute({})
    assert len(closed) == 1


def test_bad_input_builds_no_client_and_closes_nothing(requests_mock, closed):
    with fails_at_once():
        StartCampaignOperator(task_id="t", campaign_id="x", type_campaign="preview").execute({})
    assert closed == []
    assert not requests_mock.called


def test_a_subclass_that_overrides_execute_is_closed_too(requests_mock, closed):
    answer_everything(requests_mock, 202, UPDATED)

    class StartTwice(StartCampaignOperator):
        def execute(self, context):
            super().execute(context)
            return self.hook.get_conn().start_campaign("preview", 1234)

    StartTwice(task_id="t", **ACTION).execute({})
    assert requests_mock.call_count == 2
    assert len(closed) == 2  # the parent's execute closed its client, the subclass's the second one
