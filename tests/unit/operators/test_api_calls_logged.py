"""Every Wolkvox task logs the API calls it cost: operators once per try (also on failure), the
sensor once per poke; the upload's XCom counts the same requests."""

from __future__ import annotations

import re

import pytest

from airflow_provider_wolkvox.operators.campaign import StartCampaignOperator
from airflow_provider_wolkvox.operators.records import UploadCampaignRecordsOperator
from airflow_provider_wolkvox.sensors.campaign import WolkvoxCampaignSensor

BASE = "https://wv0042.wolkvox.com/api/v2"
SECRET = "tok-SECRET-0123456789"
OK = {"code": 202, "error": None, "msg": "The 1 campaign_id has been started successfully"}
BUSY = {"status_code": 503, "json": {"code": 503, "error": "X", "msg": "busy"}}


@pytest.fixture(autouse=True)
def connection(set_connection):
    set_connection(extra={"retry_attempts": 3, "retry_min_delay": 0, "retry_max_delay": 0})


def lines(capsys, caplog, what="try"):
    """The counts logged. Airflow 2 logs through logging (caplog; its handler may echo to stdout
    too), Airflow 3 through structlog to stdout: read the records, else stdout."""
    out = capsys.readouterr().out
    assert SECRET not in out + caplog.text
    pattern = rf"Wolkvox API calls in this {what}: (\d+)"
    found = re.findall(pattern, "\n".join(caplog.messages))
    return found or re.findall(pattern, out)


def start():
    return StartCampaignOperator(task_id="start", campaign_id=1, type_campaign="preview")


def test_a_try_logs_its_calls_retries_included(requests_mock, capsys, caplog):
    caplog.set_level("INFO")
    requests_mock.put(f"{BASE}/campaign.php", [BUSY, BUSY, {"status_code": 202, "json": OK}])
    start().execute({})
    assert lines(capsys, caplog) == ["3"]


def test_a_failed_try_logs_its_calls_too(requests_mock, capsys, caplog):
    caplog.set_level("INFO")
    requests_mock.put(f"{BASE}/campaign.php", [BUSY, BUSY, BUSY])
    with pytest.raises(Exception, match="busy"):
        start().execute({})
    assert lines(capsys, caplog) == ["3"]


def test_a_try_that_sends_nothing_logs_zero(requests_mock, capsys, caplog):
    caplog.set_level("INFO")
    with pytest.raises(Exception, match="Invalid campaign_id"):
        StartCampaignOperator(task_id="start", campaign_id="", type_campaign="preview").execute({})
    assert lines(capsys, caplog) == ["0"]


def test_a_subclass_calling_super_execute_logs_one_line(requests_mock, capsys, caplog):
    caplog.set_level("INFO")

    class Twice(StartCampaignOperator):
        def execute(self, context):
            super().execute(context)
            return super().execute(context)

    requests_mock.put(f"{BASE}/campaign.php", json=OK, status_code=202)
    Twice(task_id="start", campaign_id=1, type_campaign="preview").execute({})
    assert lines(capsys, caplog) == ["2"]


def test_the_upload_xcom_and_log_line_count_the_same_requests(requests_mock, capsys, caplog):
    caplog.set_level("INFO")
    added = {"code": 201, "error": None, "msg": "2 records were inserted", "data": [{"total_added": "2"}]}
    requests_mock.post(f"{BASE}/campaign.php?api=add_record", [BUSY, {"status_code": 201, "json": added}])
    campaigns = {"code": 200, "msg": "1", "data": [{"campaign_id": "7", "records": "0"}]}
    after = {"code": 200, "msg": "1", "data": [{"campaign_id": "7", "records": "2"}]}
    requests_mock.get(f"{BASE}/information.php?api=campaigns", [{"json": campaigns}, {"json": after}])
    records = [{"customer_id": "a", "tel1": "3001234567"}, {"customer_id": "b", "tel1": "3001234568"}]

    summary = UploadCampaignRecordsOperator(
        task_id="up", campaign_id=7, type_campaign="preview", records=records
    ).execute({})

    assert summary["api_calls"] == requests_mock.call_count == 4  # 2 counts, add_record twice
    assert summary["verified"] is True
    assert lines(capsys, caplog) == ["4"]


def test_the_sensor_logs_its_calls_per_poke(requests_mock, capsys, caplog):
    caplog.set_level("INFO")
    stopped = {"code": 200, "msg": "1", "data": [{"campaign_id": "7", "status": "Stopped", "records": "5"}]}
    started = {"code": 200, "msg": "1", "data": [{"campaign_id": "7", "status": "Started", "records": "5"}]}
    requests_mock.get(
        f"{BASE}/information.php?api=campaigns",
        [{"json": stopped}, BUSY, {"json": started}],
    )
    sensor = WolkvoxCampaignSensor(task_id="wait", campaign_id=7, target_status="Started")
    assert sensor.poke({}).is_done is False
    assert sensor.poke({}).is_done is True  # a 503, then the answer
    assert lines(capsys, caplog, "poke") == ["1", "2"]
