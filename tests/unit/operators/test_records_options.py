"""UploadCampaignRecordsOperator's issue-13 arguments: hygiene, do-not-call, rejects, verify, dry run."""

from __future__ import annotations

import pytest
from failing import fails_at_once
from test_records import BASE, INFO, STORED, add_requests, added, contacts, make
from test_records import campaign_count as campaign_count  # the campaign list verify reads

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
    assert not isinstance(getattr(op, "dry_run", None), bool)  # not shadowed by the flag


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
    with fails_at_once(match=f"Invalid {field}"):
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
    with fails_at_once(match=r"grew by 4 .* but Wolkvox accepted 5") as err:
        make(records=contacts(5), verify="fail").execute({})
    assert "verify='fail'" in str(err.value)


# ----------------------------------------------------------------------------- sources and the reject file


def write_text(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_a_csv_source_gets_its_reject_file_next_to_it(requests_mock, tmp_path):
    requests_mock.post(BASE, json=added)
    path = write_text(
        tmp_path / "contacts.csv", "customer_id,customer_name,tel1\nC1,Ana,3001\nC2,Bo,\nC3,Cy,3003\n"
    )

    summary = make(path=str(path), on_invalid="skip").execute({})

    rejects = tmp_path / "contacts.rejects.csv"
    assert summary["reject_file"] == str(rejects)
    lines = rejects.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "row,field,reason" and lines[1].startswith("3,tel1,no phone number")
    assert len(lines) == 2 and "Bo" not in rejects.read_text()  # row, field and reason only
    assert summary["sent"] == 2


def test_nothing_rejected_writes_no_reject_file(requests_mock, tmp_path):
    requests_mock.post(BASE, json=added)
    path = write_text(tmp_path / "contacts.jsonl", '{"tel1": "3001"}\n{"tel1": "3002"}\n')
    summary = make(path=f"file://{path}").execute({})  # a file:// URL reads the same file
    assert summary["sent"] == 2 and summary["reject_file"] is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["contacts.jsonl"]


def test_invalid_rows_in_fail_mode_are_listed_in_the_reject_file_named_by_the_error(requests_mock, tmp_path):
    path = write_text(tmp_path / "c.csv", "tel1,customer_name\n3001,Ana\n,Bo\n")
    with fails_at_once() as err:
        make(path=path).execute({})
    assert f"The reject file {tmp_path / 'c.rejects.csv'} lists every one" in str(err.value)
    assert (tmp_path / "c.rejects.csv").read_text().splitlines()[1].startswith("3,tel1,")
    assert requests_mock.call_count == 0


def test_records_write_rejects_only_to_a_given_reject_path(requests_mock, tmp_path, capsys):
    requests_mock.post(BASE, json=added)
    records = contacts(3)
    records[1]["tel1"] = ""
    summary = make(records=records, on_invalid="skip").execute({})
    assert summary["reject_file"] is None and list(tmp_path.iterdir()) == []
    assert "No reject file is written" in capsys.readouterr().out

    target = tmp_path / "out" / "records.rejects.csv"
    target.parent.mkdir()
    summary = make(records=records, on_invalid="skip", reject_path=str(target)).execute({})
    assert summary["reject_file"] == str(target)
    assert target.read_text().splitlines()[1].startswith("2,tel1,")


def test_a_reject_path_in_a_missing_folder_is_refused_before_any_request(requests_mock, tmp_path):
    with fails_at_once(match="Invalid reject_path: cannot write"):
        make(records=contacts(2), reject_path=str(tmp_path / "nope" / "r.csv")).execute({})
    assert requests_mock.call_count == 0


def test_do_not_call_lists_from_files_are_blocked(requests_mock, tmp_path):
    requests_mock.post(BASE, json=added)
    one = write_text(tmp_path / "registry.csv", "phone,added\n3000000001,2026-01-01\n")
    two = write_text(tmp_path / "opt_outs.txt", "3000000003\n\n300-000-0004\n")

    summary = make(records=contacts(6), dnc_lists=[str(one), f"file://{two}"]).execute({})

    assert [r["customer_id"] for r in add_requests(requests_mock)[0].json()] == ["C0", "C2", "C5"]
    assert summary["rejected_by_reason"] == {"do_not_call": 3}
    assert not any("get_dnc" in r.url for r in requests_mock.request_history)


def test_a_missing_do_not_call_list_is_refused_before_any_request(requests_mock, tmp_path):
    with fails_at_once(match="Invalid dnc_lists"):
        make(records=contacts(2), dnc_lists=str(tmp_path / "missing.csv"), wolkvox_dnc=True).execute({})
    assert requests_mock.call_count == 0


def test_a_sql_query_is_the_source(requests_mock, tmp_path, monkeypatch):
    pytest.importorskip("airflow.providers.sqlite.hooks.sqlite", reason="no SQLite provider")
    import json
    import sqlite3

    requests_mock.post(BASE, json=added)
    db = tmp_path / "crm.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE contacts (id TEXT, name TEXT, phone TEXT, active INTEGER)")
        conn.executemany(
            "INSERT INTO contacts VALUES (?, ?, ?, ?)",
            [("C1", "Ana", "3001", 1), ("C2", "Bo", "3002", 0), ("C3", "Cy", None, 1)],
        )
    monkeypatch.setenv("AIRFLOW_CONN_CRM", json.dumps({"conn_type": "sqlite", "host": str(db)}))

    summary = make(
        sql="SELECT id AS customer_id, name AS customer_name, phone AS tel1 FROM contacts WHERE active = ?",
        sql_conn_id="crm",
        sql_parameters=[1],
        on_invalid="skip",
    ).execute({})

    assert add_requests(requests_mock)[0].json() == [
        {"customer_id": "C1", "customer_name": "Ana", "tel1": "3001"}
    ]
    assert summary["invalid_rows"] == [2]  # the 2nd row of the result has no phone
    assert summary["reject_file"] is None


def test_a_wrong_location_fails_before_the_query_runs(requests_mock, tmp_path, monkeypatch):
    import json

    db = tmp_path / "never-opened.db"  # sqlite would create it on connect
    monkeypatch.setenv("AIRFLOW_CONN_CRM", json.dumps({"conn_type": "sqlite", "host": str(db)}))
    for wrong in ({"reject_path": str(tmp_path / "no" / "r.csv")}, {"dnc_lists": str(tmp_path / "no.csv")}):
        with fails_at_once(match=r"Invalid (reject_path|dnc_lists)"):
            make(records=None, sql="SELECT '3001' AS tel1", sql_conn_id="crm", **wrong).execute({})
    assert not db.exists()
    assert requests_mock.call_count == 0
