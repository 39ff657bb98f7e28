"""Contact data is data, not a template (issue #11 item 4), checked on a real `airflow dags test` run.

A DAG uploads a literal list whose names contain ``{{`` and ``{#``, and a list returned by an
upstream TaskFlow task. Afterwards the emulator holds the names exactly as written, and no phone
number is in the rendered-fields table, in any other table but XCom (which carries the upstream
task's return value by design) and the DAG source, or in any log line the run wrote.
"""

from __future__ import annotations

import sqlite3
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

LITERAL = [
    {"customer_id": "L1", "customer_name": "Ana {{ ds }}", "tel1": "3005550101"},
    {
        "customer_id": "L2",
        "customer_name": "Bo {# not a comment",
        "tel1": "3005550102",
        "address": "{% if %}",
    },
]
FROM_XCOM = [
    {"customer_id": "X1", "customer_name": "Cy {{ ti.task_id }}", "tel1": "3005550201"},
    {"customer_id": "X2", "customer_name": "Di", "tel1": "3005550202", "tel2": "3005550203"},
]
PHONES = [value for record in LITERAL + FROM_XCOM for key, value in record.items() if key.startswith("tel")]
#: Tables allowed to hold a phone: XCom passes the upstream task's return value on purpose, and
#: dag_code is the DAG file's source, where the literal list is written.
EXPECTED_HOLDERS = {"xcom", "dag_code"}

DAG_FILE = f"""
import datetime

try:
    from airflow.sdk import dag, task
except ImportError:
    from airflow.decorators import dag, task

from airflow_provider_wolkvox.operators.campaign import CreateCampaignOperator
from airflow_provider_wolkvox.operators.records import UploadCampaignRecordsOperator

LITERAL = {LITERAL!r}


@dag(schedule=None, start_date=datetime.datetime(2026, 11, 1), catchup=False)
def wolkvox_contacts_privacy():
    create = CreateCampaignOperator(
        task_id="create", type_campaign="preview", campaign_name="Privacy {{{{ ds }}}}", skill_id=12
    )

    # show_return_value_in_logs=False: otherwise Airflow itself logs the returned contacts.
    @task(show_return_value_in_logs=False)
    def contacts():
        return {FROM_XCOM!r}

    literal = UploadCampaignRecordsOperator(
        task_id="upload_literal", campaign_id=create.output, type_campaign="preview", records=LITERAL
    )
    from_xcom = UploadCampaignRecordsOperator(
        task_id="upload_from_xcom", campaign_id=create.output, type_campaign="preview", records=contacts()
    )
    create >> [literal, from_xcom]


wolkvox_contacts_privacy()
"""


def _tables_holding_phones(db_path: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    with sqlite3.connect(db_path) as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            text = repr(db.execute(f'SELECT * FROM "{table}"').fetchall())
            phones = [phone for phone in PHONES if phone in text]
            if phones:
                found[table] = phones
    return found


def test_contact_data_is_never_rendered_logged_or_stored_as_a_rendered_field(
    run_dag, wolkvox_emulator, fresh_airflow_home, tmp_path
):
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "wolkvox_contacts_privacy.py").write_text(textwrap.dedent(DAG_FILE))

    result = run_dag(
        "wolkvox_contacts_privacy",
        extra_env={"AIRFLOW_HOME": str(fresh_airflow_home), "AIRFLOW__CORE__DAGS_FOLDER": str(dags)},
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]

    # Sent exactly as written: nothing was rendered.
    [campaign] = wolkvox_emulator.state()["campaigns"]
    stored = {record["customer_id"]: record for record in campaign["records"]}
    assert {key: stored[key]["customer_name"] for key in ("L1", "L2", "X1")} == {
        "L1": "Ana {{ ds }}",
        "L2": "Bo {# not a comment",
        "X1": "Cy {{ ti.task_id }}",
    }
    assert stored["L2"]["address"] == "{% if %}"

    # No phone in the rendered fields (which do exist for the uploads), nor anywhere unexpected.
    db_path = fresh_airflow_home / "airflow.db"
    with sqlite3.connect(db_path) as db:
        rendered = db.execute(
            "SELECT task_id, rendered_fields FROM rendered_task_instance_fields WHERE task_id LIKE 'upload%'"
        ).fetchall()
    assert {task_id for task_id, _ in rendered} == {"upload_literal", "upload_from_xcom"}
    assert [phone for phone in PHONES if phone in repr(rendered)] == []
    holders = _tables_holding_phones(db_path)
    assert set(holders) <= EXPECTED_HOLDERS, holders

    # Nor in any log line: the run's output and every file under the Airflow home but the DB.
    assert [phone for phone in PHONES if phone in output] == []
    files = [path for path in fresh_airflow_home.rglob("*") if path.is_file() and path.suffix != ".db"]
    leaks = [str(path) for path in files if any(phone.encode() in path.read_bytes() for phone in PHONES)]
    assert leaks == []
    assert "Uploaded 2 records" in output  # the task logs were in the output searched
