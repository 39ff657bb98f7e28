"""A campaign's whole day: create it, load contacts, start it, wait until every contact was called, stop it.

Every Wolkvox task runs in the Airflow pool ``wolkvox``. Wolkvox refuses a third request in flight
on one API token, so the pool's slots cap how many Wolkvox tasks run at once across all DAGs that
share the token. Create it once (give each token its own pool)::

    airflow pools set wolkvox 2 "Wolkvox: 2 requests in flight per token"

The upload uses up to 2 requests in flight itself, and so takes 2 pool slots (its ``pool_slots``
defaults to its ``max_in_flight``); give it ``max_in_flight=1`` to leave a slot to other tasks.

The campaign is named after the run's ``run_id``, which every run has (also a manual run with
no logical date), so the DAG can run several times a day. Only the upload takes ``create.output``;
the later tasks read the id with ``xcom_pull`` in a template, so the graph is one line:
create → upload → start → wait → stop.

Runs against the connection ``wolkvox_default`` (Host = your server code such as ``0042``,
Password = the API token), or the local emulator with `make demo`.
"""

from __future__ import annotations

import datetime
from pathlib import Path

try:  # Airflow 3
    from airflow.sdk import dag
except ImportError:  # Airflow 2.10 / 2.11; drop this fallback if you only run Airflow 3
    from airflow.decorators import dag

from airflow_provider_wolkvox.operators.campaign import (
    CreateCampaignOperator,
    StartCampaignOperator,
    StopCampaignOperator,
)
from airflow_provider_wolkvox.operators.records import UploadCampaignRecordsOperator
from airflow_provider_wolkvox.sensors.campaign import WolkvoxCampaignSensor

CONTACTS = Path(__file__).parent / "data" / "contacts.csv"
#: The id ``create`` returned. An XComArg (``create.output``) would also draw an edge from
#: ``create`` to every task that takes it; the template keeps the graph a single line.
CAMPAIGN_ID = "{{ ti.xcom_pull(task_ids='create') }}"


@dag(
    schedule=None,
    start_date=datetime.datetime(2026, 11, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    tags=["wolkvox", "example"],
    default_args={"pool": "wolkvox", "retries": 2, "retry_delay": datetime.timedelta(minutes=1)},
)
def example_wolkvox_lifecycle():
    create = CreateCampaignOperator(
        task_id="create",
        type_campaign="predictive",
        campaign_name="Collections {{ run_id }}",
        skill_id=12,
        start_time="08:00",
        end_time="18:00",
        opts=["Plan", "Balance due"],
    )
    upload = UploadCampaignRecordsOperator(
        task_id="upload",
        campaign_id=create.output,
        type_campaign="predictive",
        path=str(CONTACTS),
    )
    start = StartCampaignOperator(task_id="start", campaign_id=CAMPAIGN_ID, type_campaign="predictive")
    wait_called = WolkvoxCampaignSensor(
        task_id="wait_until_called",
        campaign_id=CAMPAIGN_ID,
        max_records=0,  # records left to call
        deferrable=True,  # the wait runs in the triggerer, not in a worker slot
        # 5 s keeps the example quick; in production keep the default 300 s (Wolkvox advises
        # reading its information APIs every 5 minutes, and each poll costs daily quota).
        poke_interval=5,
        timeout=3600,
    )
    stop = StopCampaignOperator(task_id="stop", campaign_id=CAMPAIGN_ID, type_campaign="predictive")

    create >> upload >> start >> wait_called >> stop


example_wolkvox_lifecycle()
