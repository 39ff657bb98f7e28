"""UploadCampaignRecordsOperator's issue-13 arguments: hygiene, do-not-call, rejects, verify, dry run."""

from __future__ import annotations

import pytest
from test_records import BASE, INFO, STORED, add_requests, added, contacts, make
from test_records import campaign_count as campaign_count  # the campaign list verify reads

from airflow_provider_wolkvox._compat import AirflowFailException

NEW_TEMPLATED = {
    "storage_conn_id",
    "sql",
    "sql_conn_id",
    "sql_parameters",
    "default_region",
    "dial_prefix",
    "dedupe",
    "wolkvox_dnc",
    "dnc_lists",
    "dnc_action",
    "reject_path",
    "verify",
    "upload_dry_run",
}


@pytest.fixture(autouse=True)
def connection(set_connection):
    set_connection(
        password="tok-SECRET-123456", extra={"retry_min_delay": 0, "retry_max_delay": 0, "retry_attempts": 1}
    )


def dnc_list(*numbers):
    rows = [{"phone_number": n, "type": "outbound", "date_delete": "2026-11-01"} for n in numbers]
    return {"code": "200", "error": None, "msg": f"{len(rows)} records were found", "data": rows}


def test_the_new_arguments_are_templated_and_records_still_is_not():
    op = make(records=contacts(1))
    assert set(op.template_fields) >= NEW_TEMPLATED
    assert "records" not in op.template_fields
    assert "dry_run" not in op.template_fields  # BaseOperator.dry_run() stays Airflow's method
    assert callable(op.dry_run)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"verify": "strict"}, "verify"),
        ({"dry_run": "maybe"}, "dry_run"),
        ({"wolkvox_dnc": "perhaps"}, "wolkvox_dnc"),
        ({"sql": "SELECT 1", "sql_conn_id": "db"}, "records"),  # two sources
        ({"sql_conn_id": "db"}, "sql_conn_id"),
        ({"sql_parameters": {"a": 1}}, "sql_parameters"),
        ({"records": None, "sql": "  "}, "sql"),
        ({"records": None, "sql": "SELECT 1"}, "sql_conn_id"),
        ({"records": None, "sql": "SELECT 1", "sql_conn_id": "db", "sql_parameters": "a"}, "sql_parameters"),
        ({"storage_conn_id": ""}, "storage_conn_id"),
        ({"reject_path": 42}, "reject_path"),
        ({"dnc_lists": [42]}, "dnc_lists"),
        ({"dnc_lists": {"a": "b"}}, "dnc_lists"),
        ({"records": None, "path": 42}, "path"),
        ({"default_region": "Colombia"}, "default_region"),
        ({"dedupe": "email"}, "dedupe"),
        ({"dnc_action": "drop"}, "dnc_action"),
        ({"dial_prefix": "9a"}, "dial_prefix"),
    ],
)
def test_bad_arguments_fail_before_any_request_even_with_wolkvox_dnc(requests_mock, kwargs, field):
    args = {"records": contacts(3), "wolkvox_dnc": True, **kwargs}
    with pytest.raises(AirflowFailException, match=f"Invalid {field}"):
        make(**args).execute({})
    assert requests_mock.call_count == 0


def test_dry_run_can_come_from_a_template_and_sends_nothing(requests_mock):
    op = make(records=contacts(25), chunk_size=10, dry_run="{{ params.dry }}")
    op.render_template_fields({"params": {"dry": True}})
    summary = op.execute({})
    assert op.upload_dry_run == "True"
    assert requests_mock.call_count == 0
    assert (summary["dry_run"], summary["valid_records"], summary["chunks"], summary["sent"]) == (
        True,
        25,
        3,
        0,
    )


def test_wolkvox_dnc_leaves_out_the_blocked_numbers_with_one_get_dnc_call(requests_mock):
    requests_mock.post(BASE, json=added)
    requests_mock.get(f"{INFO}?api=get_dnc", json=dnc_list("3000000001", "3000000004", "3999999999"))

    summary = make(records=contacts(6), wolkvox_dnc=True).execute({})

    assert [r["customer_id"] for r in add_requests(requests_mock)[0].json()] == ["C0", "C2", "C3", "C5"]
    assert [r.qs for r in requests_mock.request_history if "get_dnc" in r.url] == [
        {"api": ["get_dnc"], "type": ["outbound"]}
    ]
    assert summary["rejected_by_reason"] == {"do_not_call": 2}
    assert summary["hygiene"]["do_not_call"] == 2
    assert summary["verified"] is True and summary["api_calls"] == 4  # get_dnc, count, add_record, count


def test_verify_fail_fails_the_task_for_good_on_a_mismatch(requests_mock):
    def loses_one(request, context):
        answer = added(request, context)
        STORED["n"] -= 1  # Wolkvox says all were added; the campaign holds one less
        return answer

    requests_mock.post(BASE, json=loses_one)
    with pytest.raises(AirflowFailException, match=r"grew by 4 .* but Wolkvox accepted 5") as err:
        make(records=contacts(5), verify="fail").execute({})
    assert "verify='fail'" in str(err.value)
