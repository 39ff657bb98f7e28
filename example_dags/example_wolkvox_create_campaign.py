"""Daily predictive rollout: create tomorrow's outbound campaign and hand its id downstream.

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
        campaign_name="Outbound {{ ds }}",
        campaign_description="Daily collections rollout for {{ ds }}",
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
