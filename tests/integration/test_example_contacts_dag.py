"""The contacts example DAG, run for real with `airflow dags test`: PostgreSQL → hygiene → Wolkvox."""

from __future__ import annotations

import csv

import pytest

from airflow_provider_wolkvox.client import WolkvoxClient
from airflow_provider_wolkvox.emulator.pytest_plugin import TEST_TOKEN

pytestmark = pytest.mark.integration

DAG_ID = "example_wolkvox_contacts_from_postgres"
LOGICAL_DATE = "2026-11-28"

# customer_ref, first_name, last_name, mobile, landline, balance, due_date
ROWS = [
    ("A-001", "Ana", "Gómez", "300 123 4567", "(604) 444 5566", "120000", "2026-11-27"),
    ("A-002", "Luis", "Pérez {{ ds }}", "+57 310 765 4321", None, "98000", "2026-11-28"),
    ("A-002", "Luis", "Pérez", "3107654321", None, "98000", "2026-11-20"),  # listed twice
    ("A-003", "Marta", "Ruiz", "12345", None, "5000", "2026-11-01"),  # not a Colombian phone
    ("A-004", "Jorge", "Díaz", "315 000 1122", None, "7000", "2026-11-15"),  # on the do-not-call list
    ("A-005", "Sara", "León", "320 555 0000", None, "1000", "2026-12-15"),  # not due yet
]


@pytest.fixture
def contacts_db(postgres_server):
    postgres_server.psql(
        "DROP SCHEMA IF EXISTS collections CASCADE; CREATE SCHEMA collections;"
        "CREATE TABLE collections.contacts_due (customer_ref text, first_name text, last_name text,"
        " mobile text, landline text, balance numeric, due_date date);"
    )
    values = ",".join(
        "(" + ",".join("NULL" if v is None else "'" + v.replace("'", "''") + "'" for v in row) + ")"
        for row in ROWS
    )
    postgres_server.psql(f"INSERT INTO collections.contacts_due VALUES {values};")
    return postgres_server


def test_contacts_example_cleans_the_query_rows_uploads_them_once_and_starts(
    run_dag, wolkvox_emulator, contacts_db, tmp_path
):

    operation = WolkvoxClient(wolkvox_emulator.url, TEST_TOKEN, server_id="0042")  # as run_dag's connection
    operation.add_dnc(["573150001122"], "outbound")
    result = run_dag(
        DAG_ID,
        logical_date=LOGICAL_DATE,
        extra_env={
            "AIRFLOW_CONN_CONTACTS_DB": contacts_db.airflow_connection(),
            "WOLKVOX_EXAMPLE_REJECTS_DIR": str(tmp_path),
        },
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]

    (campaign,) = wolkvox_emulator.state()["campaigns"]
    assert campaign["status"] == "Started"
    records = {r["customer_id"]: r for r in campaign["records"]}
    assert sorted(records) == ["A-001", "A-002"]  # due, deduplicated, valid and not blocked
    assert records["A-001"]["tel1"] == "573001234567"  # normalised for Wolkvox: country code, digits
    assert records["A-001"]["tel2"] == "576044445566"
    assert records["A-002"]["tel1"] == "573107654321"
    assert records["A-002"]["customer_last_name"] == "Pérez {{ ds }}"  # data, never a template
    assert wolkvox_emulator.request_counts["get_dnc"] == 1  # one do-not-call read for the whole list

    (reject_file,) = tmp_path.glob("*.rejects.csv")
    assert reject_file.name == f"contacts-{LOGICAL_DATE}.rejects.csv"
    with open(reject_file, newline="", encoding="utf-8") as handle:
        rejects = list(csv.DictReader(handle))
    reasons = {row["row"]: row["field"] for row in rejects}
    assert reasons == {"3": "customer_id", "4": "tel1", "5": "tel1"}  # ordered by customer_ref
    text = reject_file.read_text(encoding="utf-8")
    assert "12345" not in text and "3150001122" not in text and "Marta" not in text
    assert "573001234567" not in output and "3150001122" not in output  # no phone in the logs
