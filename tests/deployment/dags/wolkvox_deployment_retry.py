"""A task retry on another Celery worker: create a campaign, upload contacts (tests/deployment).

Both tasks get one retry. The deployment test injects emulator faults that make the first try
of each task fail after the server already acted (the campaign created, some chunks stored),
stops the worker that ran that try, and checks that the retry, on the other worker, adopts the
campaign and resumes the upload through the task state store: one campaign, every contact once.
The connection ``wolkvox_deployment_retry`` makes one attempt per call, so that a fault is the
task's to handle, not the HTTP layer's.
"""

from __future__ import annotations

import datetime
import os

from airflow.sdk import DAG  # the deployment test runs on Airflow 3.3+ only

from airflow_provider_wolkvox.operators.campaign import CreateCampaignOperator
from airflow_provider_wolkvox.operators.records import UploadCampaignRecordsOperator

RECORDS = int(os.environ.get("WOLKVOX_RETRY_RECORDS", "600"))
CHUNK = int(os.environ.get("WOLKVOX_RETRY_CHUNK", "100"))
RETRY_DELAY = float(os.environ.get("WOLKVOX_RETRY_DELAY", "15"))
CONN_ID = "wolkvox_deployment_retry"

with DAG(
    "wolkvox_deployment_retry",
    schedule=None,
    start_date=datetime.datetime(2026, 11, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    default_args={"retries": 1, "retry_delay": datetime.timedelta(seconds=RETRY_DELAY)},
):
    create = CreateCampaignOperator(
        task_id="create",
        type_campaign="preview",
        campaign_name="Deployment retry {{ run_id }}",
        skill_id=12,
        wolkvox_conn_id=CONN_ID,
    )
    UploadCampaignRecordsOperator(
        task_id="upload",
        campaign_id=create.output,
        type_campaign="preview",
        records=[
            {"customer_id": f"7{n:06d}", "customer_name": f"Retry {n}", "tel1": f"31{n:08d}"}
            for n in range(RECORDS)
        ],
        chunk_size=CHUNK,
        max_in_flight=1,
        wolkvox_conn_id=CONN_ID,
    )
