"""Hostile inputs (issue #5 part 5): every bad value is refused, naming its field, with no request sent.

Each case of ``reliability_cases.BAD_INPUTS`` builds an operator from valid arguments with one
argument replaced (or, for ``connection`` cases, runs ``StartCampaignOperator`` with one
connection field or extra replaced) and runs its ``execute()`` with requests_mock answering
every URL: the task must fail at once (``AirflowFailException``, no Airflow retry), the
message must name the field and say what is wrong, and no request may have been sent.
"""

from __future__ import annotations

import copy
from typing import Any
from unittest.mock import MagicMock

import pytest
import requests_mock as requests_mock_module
from failing import fails_at_once
from reliability_cases import BAD_INPUTS, CONNECTION, CONNECTION_FIELDS, GOOD_ARGUMENTS

from airflow_provider_wolkvox.client import WolkvoxValidationError
from airflow_provider_wolkvox.operators import campaign as campaign_operators
from airflow_provider_wolkvox.operators.records import UploadCampaignRecordsOperator
from airflow_provider_wolkvox.sensors.campaign import WolkvoxCampaignSensor

OPERATORS: dict[str, Any] = {
    "CreateCampaignOperator": campaign_operators.CreateCampaignOperator,
    "StartCampaignOperator": campaign_operators.StartCampaignOperator,
    "StopCampaignOperator": campaign_operators.StopCampaignOperator,
    "DeleteCampaignOperator": campaign_operators.DeleteCampaignOperator,
    "SetCampaignSpeedOperator": campaign_operators.SetCampaignSpeedOperator,
    "ClearCampaignRecordsOperator": campaign_operators.ClearCampaignRecordsOperator,
    "UploadCampaignRecordsOperator": UploadCampaignRecordsOperator,
    "WolkvoxCampaignSensor": WolkvoxCampaignSensor,
}


def bad_input_params() -> list[Any]:
    return [
        pytest.param(
            case,
            id=case.id,
            marks=[pytest.mark.xfail(strict=True, reason=case.bug)] if case.bug else [],
        )
        for case in BAD_INPUTS
    ]


def build(case, set_connection) -> Any:
    if case.target == CONNECTION:
        conn = copy.deepcopy(GOOD_ARGUMENTS[CONNECTION])
        if case.argument in CONNECTION_FIELDS:
            conn[case.argument] = case.value
        else:
            conn["extra"][case.argument] = case.value
        set_connection(**conn)
        return campaign_operators.StartCampaignOperator(
            task_id="hostile", **GOOD_ARGUMENTS["StartCampaignOperator"]
        )
    set_connection()
    arguments = {**copy.deepcopy(GOOD_ARGUMENTS[case.target]), case.argument: case.value}
    if case.argument == "path":
        arguments.pop("records")
    return OPERATORS[case.target](task_id="hostile", **arguments)


@pytest.mark.parametrize("case", bad_input_params())
def test_bad_input_is_refused_before_any_request(case, set_connection, requests_mock):
    requests_mock.register_uri(
        requests_mock_module.ANY,
        requests_mock_module.ANY,
        json={"code": 200, "error": None, "msg": "ok", "data": []},
    )
    operator = build(case, set_connection)

    with fails_at_once() as raised:
        operator.execute({"ti": MagicMock()})

    message = str(raised.value)
    assert case.named in message, message
    assert case.says in message, message
    # AirflowFailException wraps the validation error before Airflow 3.3; on 3.3+ it is raised as it is.
    cause = raised.value if isinstance(raised.value, WolkvoxValidationError) else raised.value.__cause__
    if isinstance(cause, WolkvoxValidationError):
        assert cause.field == case.named
    assert requests_mock.call_count == 0
    assert requests_mock.request_history == []
