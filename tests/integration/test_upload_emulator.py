"""The upload over real HTTP against the emulator: chunking, faults, resume; and the lifecycle DAG."""

from __future__ import annotations

import collections
import csv
import os
import shutil
import time

import pytest
from failing import airflow_fails_at_once, fails_at_once
from task_store import FakeStore

from airflow_provider_wolkvox._compat import AirflowException
from airflow_provider_wolkvox.client import CampaignSpec, WolkvoxClient
from airflow_provider_wolkvox.emulator.pytest_plugin import TEST_TOKEN, wolkvox_emulator  # noqa: F401
from airflow_provider_wolkvox.operators.records import UploadCampaignRecordsOperator

pytestmark = pytest.mark.integration


@pytest.fixture
def campaign_id(default_connection_to):
    client = default_connection_to()
    spec = CampaignSpec.build(type_campaign="predictive", campaign_name="Upload test", skill_id=12)
    return client.create_campaign(spec).campaign_id


@pytest.fixture
def contacts_csv(tmp_path):
    path = tmp_path / "contacts.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["customer_id", "customer_name", "tel1", "city"])
        for i in range(25_000):
            writer.writerow([f"C{i:05d}", f"Contact {i}", f"3{i:09d}", "Medellín"])
    return path


def stored_ids(emulator):
    [campaign] = emulator.state()["campaigns"]
    return [record["customer_id"] for record in campaign["records"]]


def test_25000_records_arrive_in_three_requests(wolkvox_emulator, campaign_id, contacts_csv):  # noqa: F811
    op = UploadCampaignRecordsOperator(
        task_id="upload", campaign_id=campaign_id, type_campaign="predictive", path=str(contacts_csv)
    )
    counts = op.execute({})

    state = wolkvox_emulator.state(include_records=False)
    assert state["requests"]["add_record"] == 3
    assert state["campaigns"][0]["record_count"] == 25_000
    assert max(state["peak_in_flight"].values()) <= 2
    assert counts["accepted"] == 25_000 and counts["requests"] == 3
    ids = stored_ids(wolkvox_emulator)
    assert len(set(ids)) == 25_000


def fail_second_add_record(monkeypatch, emulator, **fault):
    """Inject ``fault`` into the emulator just before the operator's 2nd add_record request."""
    original = WolkvoxClient.add_records
    calls = {"n": 0}

    def add_records(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            emulator.inject_fault(api="add_record", **fault)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(WolkvoxClient, "add_records", add_records)


def test_a_503_is_retried_by_the_client_and_stores_everything_once(
    wolkvox_emulator,  # noqa: F811
    campaign_id,
    contacts_csv,
    monkeypatch,
):
    fail_second_add_record(monkeypatch, wolkvox_emulator, status=503)
    op = UploadCampaignRecordsOperator(
        task_id="upload",
        campaign_id=campaign_id,
        type_campaign="predictive",
        path=contacts_csv,
        max_in_flight=1,
    )
    op.execute({})
    assert wolkvox_emulator.request_counts["add_record"] == 4  # one 503, sent again
    ids = stored_ids(wolkvox_emulator)
    assert len(ids) == len(set(ids)) == 25_000


@pytest.mark.parametrize(
    ("fault", "landed"),
    [
        ({"action": "drop_after"}, True),  # stored, then the answer was lost
        ({"status": 500}, False),  # failed without storing; 500 is ambiguous for the client
    ],
)
def test_after_an_ambiguous_failure_the_retry_leaves_every_record_exactly_once(
    wolkvox_emulator,  # noqa: F811
    campaign_id,
    contacts_csv,
    monkeypatch,
    fault,
    landed,
):
    fail_second_add_record(monkeypatch, wolkvox_emulator, **fault)
    store = FakeStore()
    op = UploadCampaignRecordsOperator(
        task_id="upload",
        campaign_id=campaign_id,
        type_campaign="predictive",
        path=contacts_csv,
        max_in_flight=1,
    )
    with pytest.raises(AirflowException, match="may have stored it") as err:
        op.execute({"task_state_store": store})
    assert not airflow_fails_at_once(err.value)  # the next try resumes (the 3.3+ retry policy too)
    assert len(stored_ids(wolkvox_emulator)) == (20_000 if landed else 10_000)

    counts = op.execute({"task_state_store": store})  # the task's next try

    ids = stored_ids(wolkvox_emulator)
    assert len(ids) == 25_000
    assert collections.Counter(ids).most_common(1)[0][1] == 1
    assert wolkvox_emulator.request_counts["find_record"] == 2  # first and last record of chunk 2
    assert counts["chunks_already_stored"] == (2 if landed else 1)
    assert counts["accepted"] == counts["sent"] == 25_000


def test_a_file_copied_again_with_the_same_bytes_resumes_and_stores_every_record_once(
    wolkvox_emulator,  # noqa: F811
    campaign_id,
    contacts_csv,
    monkeypatch,
    tmp_path,
):
    fail_second_add_record(monkeypatch, wolkvox_emulator, status=400)  # permanent: the task fails
    store = FakeStore()

    def upload(path):
        op = UploadCampaignRecordsOperator(
            task_id="upload", campaign_id=campaign_id, type_campaign="predictive", path=path, max_in_flight=1
        )
        return op.execute({"task_state_store": store})

    with fails_at_once(match="chunk 2"):
        upload(contacts_csv)
    # The next try reads a new download of the same file: another path and a later mtime.
    copy = tmp_path / "again" / "contacts.csv"
    copy.parent.mkdir()
    shutil.copyfile(contacts_csv, copy)
    os.utime(copy, (time.time() + 120, time.time() + 120))

    counts = upload(copy)

    ids = stored_ids(wolkvox_emulator)
    assert len(ids) == len(set(ids)) == 25_000
    assert counts["chunks_already_stored"] == 1 and counts["sent_this_try"] == 15_000
    assert counts["sent"] == 25_000

    # The task is cleared after its success: nothing is sent again.
    again = upload(copy)
    assert again["sent_this_try"] == again["requests"] == 0 and again["chunks_already_stored"] == 3
    assert len(stored_ids(wolkvox_emulator)) == 25_000
