"""The upload's dry run, its verification and Wolkvox's do-not-call list, over real HTTP (issue 13).

The emulator's campaign list counts a campaign's records not yet called (``records``), which for
a stopped campaign is every record it holds: what the upload's verification compares.
"""

from __future__ import annotations

import pytest
from failing import fails_at_once
from task_store import FakeStore

from airflow_provider_wolkvox.client import CampaignSpec
from airflow_provider_wolkvox.emulator.pytest_plugin import TEST_TOKEN, wolkvox_emulator  # noqa: F401
from airflow_provider_wolkvox.operators.records import UploadCampaignRecordsOperator

pytestmark = pytest.mark.integration


@pytest.fixture
def client(default_connection_to):
    return default_connection_to(retry_attempts=1)


@pytest.fixture
def campaign_id(client):
    spec = CampaignSpec.build(type_campaign="predictive", campaign_name="Checks", skill_id=12)
    return client.create_campaign(spec).campaign_id


def contacts(n, start=0):
    return [
        {"customer_id": f"C{i:05d}", "customer_name": f"Contact {i}", "tel1": f"3{i:09d}"}
        for i in range(start, n)
    ]


def upload(campaign_id, **kwargs):
    args = {"task_id": "upload", "campaign_id": campaign_id, "type_campaign": "predictive", **kwargs}
    return UploadCampaignRecordsOperator(**args)


def test_a_dry_run_reads_and_counts_everything_and_sends_nothing(wolkvox_emulator, campaign_id):  # noqa: F811
    records = contacts(2_500)
    records[7]["tel1"] = ""  # invalid: left out by on_invalid="skip"
    store = FakeStore()
    requests_before = dict(wolkvox_emulator.request_counts)

    summary = upload(campaign_id, records=records, chunk_size=1_000, on_invalid="skip", dry_run=True).execute(
        {"task_state_store": store}
    )

    assert wolkvox_emulator.request_counts == requests_before  # not even the count for verify
    assert wolkvox_emulator.state(include_records=False)["campaigns"][0]["record_count"] == 0
    assert store.data == {}
    assert summary["dry_run"] is True
    assert (summary["valid_records"], summary["chunks"], summary["sent"]) == (2_499, 3, 0)
    assert summary["rejected_by_reason"] == {"invalid": 1} and summary["invalid_rows"] == [8]
    assert (summary["verified"], summary["api_calls"]) == (None, 0)


def test_the_verified_count_matches_what_the_emulator_holds(wolkvox_emulator, client, campaign_id):  # noqa: F811
    upload(campaign_id, records=contacts(300), max_in_flight=1).execute({})  # already in the campaign
    store = FakeStore()

    summary = upload(campaign_id, records=contacts(3_100, start=300), chunk_size=1_000).execute(
        {"task_state_store": store}
    )

    assert (summary["verified"], summary["records_before"], summary["records_after"]) == (True, 300, 3_100)
    assert client.get_campaign(campaign_id).records == 3_100
    assert summary["api_calls"] == 5  # the count, 3 add_record, the count
    assert store.data["wolkvox_upload_records"]["records_before"] == 300


def accepted_but_not_stored(wolkvox_emulator):  # noqa: F811
    """The next add_record answers 201 'inserted' for records the emulator never stores."""
    wolkvox_emulator.inject_fault(
        api="add_record",
        status=201,
        body={
            "code": 201,
            "error": None,
            "msg": "1000 records were inserted",
            "data": [{"total_sent": "1000", "total_added": "1000", "total_rejected": "0"}],
        },
    )


def test_verify_fail_fails_the_task_when_the_count_did_not_grow_by_the_accepted_records(
    wolkvox_emulator,  # noqa: F811
    campaign_id,
):
    accepted_but_not_stored(wolkvox_emulator)
    with fails_at_once() as err:
        upload(campaign_id, records=contacts(2_500), chunk_size=1_000, verify="fail").execute({})
    assert "record count grew by 1500 (0 before the upload, 1500 now), but Wolkvox accepted 2500" in str(
        err.value
    )


def test_verify_warn_reports_the_mismatch_and_succeeds(wolkvox_emulator, campaign_id):  # noqa: F811
    accepted_but_not_stored(wolkvox_emulator)
    summary = upload(campaign_id, records=contacts(2_500), chunk_size=1_000).execute({})
    assert (summary["verified"], summary["records_before"], summary["records_after"]) == (False, 0, 1_500)
    assert summary["accepted"] == 2_500


def test_numbers_on_the_emulators_do_not_call_list_are_not_uploaded(wolkvox_emulator, client, campaign_id):  # noqa: F811
    blocked = [f"3{i:09d}" for i in (3, 1_500, 2_499)]
    assert client.add_dnc([*blocked, "3999999999"], "outbound") == 4

    summary = upload(campaign_id, records=contacts(2_500), chunk_size=1_000, wolkvox_dnc=True).execute({})

    [campaign] = wolkvox_emulator.state()["campaigns"]
    stored = {record["tel1"] for record in campaign["records"]}
    assert len(stored) == 2_497 and not stored & set(blocked)
    assert wolkvox_emulator.request_counts["get_dnc"] == 1
    assert summary["rejected_by_reason"] == {"do_not_call": 3}
    assert summary["verified"] is True and summary["accepted"] == 2_497


def test_a_csv_in_s3_is_uploaded_and_its_reject_file_written_next_to_it(
    wolkvox_emulator,  # noqa: F811
    campaign_id,
    moto_s3,
    s3_bucket,
):
    from contact_sources import AWS_CONN_ID

    lines = ["customer_id,customer_name,phone"]
    lines += [f"C{i:05d},Contact {i},{'' if i % 500 == 7 else f'3{i:09d}'}" for i in range(1_200)]
    moto_s3.client().put_object(Bucket=s3_bucket, Key="in/contacts.csv", Body="\n".join(lines).encode())

    summary = upload(
        campaign_id,
        path=f"s3://{s3_bucket}/in/contacts.csv",
        storage_conn_id=AWS_CONN_ID,
        column_mapping={"phone": "tel1"},
        on_invalid="skip",
        chunk_size=500,
        dedupe="customer_id",
    ).execute({})

    assert summary["reject_file"] == f"s3://{s3_bucket}/in/contacts.rejects.csv"
    written = moto_s3.client().get_object(Bucket=s3_bucket, Key="in/contacts.rejects.csv")["Body"].read()
    assert written.decode().splitlines()[1:] == [
        f"{row},tel1,no phone number; give at least one of tel1-tel10" for row in (9, 509, 1009)
    ]
    assert (summary["valid_records"], summary["verified"]) == (1_197, True)
    assert wolkvox_emulator.state(include_records=False)["campaigns"][0]["record_count"] == 1_197
