"""Contacts from a warehouse table into a new campaign: query → clean → upload → start.

The contacts due today come straight from PostgreSQL (any ``common.sql`` connection works: the
query runs on a server-side cursor, so a table of millions of rows streams in constant memory).
On the way to Wolkvox, in the same pass:

* phones are normalised to Wolkvox's form (country code, digits, no ``+``) for Colombia, and a row
  with a number that cannot be a Colombian phone is left out with the reason;
* a customer listed twice is uploaded once (``dedupe="customer_id"``);
* numbers on the operation's do-not-call list in Wolkvox are dropped (one ``get_dnc`` call), and
  a customer left with no phone is not uploaded;
* the rows left out are listed (row number, field, reason; never the phone) in a reject file;
* afterwards the campaign's record count is checked against what Wolkvox accepted.

Needs the ``contacts`` extra (``pip install "airflow-provider-wolkvox[contacts]"``, for
``phonenumbers``) and the PostgreSQL provider. Connections: ``contacts_db`` (the warehouse) and
``wolkvox_default``. Every Wolkvox task runs in the ``wolkvox`` pool (see the lifecycle example).
"""

from __future__ import annotations

import datetime
import os
import tempfile

try:  # Airflow 3
    from airflow.sdk import dag
except ImportError:  # Airflow 2.10 / 2.11; drop this fallback if you only run Airflow 3
    from airflow.decorators import dag

from airflow_provider_wolkvox.operators.campaign import CreateCampaignOperator, StartCampaignOperator
from airflow_provider_wolkvox.operators.records import UploadCampaignRecordsOperator

#: Where the reject file goes: an object-storage URL (``s3://bucket/rejects/...``) in production.
REJECTS_DIR = os.environ.get("WOLKVOX_EXAMPLE_REJECTS_DIR", tempfile.gettempdir())

#: The warehouse's column names are not Wolkvox's: the query renames them.
CONTACTS_DUE = """
SELECT customer_ref AS customer_id,
       first_name   AS customer_name,
       last_name    AS customer_last_name,
       mobile       AS tel1,
       landline     AS tel2,
       balance      AS opt1
FROM collections.contacts_due
WHERE due_date <= %(day)s
ORDER BY customer_ref, due_date DESC
"""


@dag(
    schedule="0 7 * * 1-6",  # Ley 2300: no collection calls on Sundays
    start_date=datetime.datetime(2026, 11, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    tags=["wolkvox", "example"],
    default_args={"pool": "wolkvox", "retries": 2, "retry_delay": datetime.timedelta(minutes=1)},
)
def example_wolkvox_contacts_from_postgres():
    create = CreateCampaignOperator(
        task_id="create",
        type_campaign="predictive",
        campaign_name="Collections {{ run_id }}",
        skill_id=12,
        start_time="08:00",
        end_time="18:00",
        opts=["Balance due"],
    )
    upload = UploadCampaignRecordsOperator(
        task_id="upload",
        campaign_id=create.output,
        type_campaign="predictive",
        sql=CONTACTS_DUE,
        sql_parameters={"day": "{{ ds }}"},
        sql_conn_id="contacts_db",
        default_region="CO",
        dedupe="customer_id",
        wolkvox_dnc=True,
        on_invalid="skip",
        reject_path=REJECTS_DIR + "/contacts-{{ ds }}.rejects.csv",
        verify="fail",
    )
    start = StartCampaignOperator(
        task_id="start",
        campaign_id="{{ ti.xcom_pull(task_ids='create') }}",
        type_campaign="predictive",
    )

    create >> upload >> start


example_wolkvox_contacts_from_postgres()
