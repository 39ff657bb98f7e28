"""Daily predictive rollout: create the day's outbound campaign and hand its id downstream.

The campaign is named after the run's ``run_id``, a value every run has: a scheduled run, a
manual one with no logical date (the REST API's default, ``airflow dags trigger`` without
``-l``), and a second manual run on the same day each get their own campaign. A retry or a
cleared task of the same run keeps the name, so it finds the campaign it created.

Runs against the connection ``wolkvox_default`` (Host = your server code such as ``0042``,
Password = the API token). `make demo` runs it against the local emulator.
"""

from __future__ import annotations

import datetime

try:  # Airflow 3
    from airflow.sdk import dag, task
except ImportError:  # Airflow 2.10 / 2.11; drop this fallback if you only run Airflow 3
    from airflow.decorators import dag, task

from airflow_provider_wolkvox.operators.campaign import CreateCampaignOperator


@dag(
    schedule="@daily",
    start_date=datetime.datetime(2026, 11, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    tags=["wolkvox", "example"],
    default_args={"retries": 2, "retry_delay": datetime.timedelta(minutes=5)},
)
def example_wolkvox_create_campaign():
    create_campaign = CreateCampaignOperator(
        task_id="create_campaign",
        type_campaign="predictive",
        campaign_name="Outbound {{ run_id }}",
        campaign_description="Daily collections rollout, Airflow run {{ run_id }}",
        skill_id=12,
        start_time="08:00",
        end_time="18:00",
        opts=["Plan", "Balance due"],
        amd="COL",
        enable_edition=False,
        pool="wolkvox",
    )

    @task
    def announce(campaign_id: str, campaign_name: str) -> str:
        print(f"Campaign {campaign_id} ({campaign_name}) is ready for contacts")
        return campaign_id

    announce(
        create_campaign.output,
        "{{ ti.xcom_pull(task_ids='create_campaign', key='campaign_name') }}",
    )


example_wolkvox_create_campaign()
