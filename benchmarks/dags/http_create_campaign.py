"""Baseline for the DAG parse figure: example_wolkvox_create_campaign written with HttpOperator.

Same schedule, default args, two tasks and the same templated values as
``example_dags/example_wolkvox_create_campaign.py``; only the operator differs.
"""

from __future__ import annotations

import datetime
import json

from airflow.providers.http.operators.http import HttpOperator
from airflow.sdk import dag, task


@dag(
    schedule="@daily",
    start_date=datetime.datetime(2026, 11, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    tags=["wolkvox", "benchmark"],
    default_args={"retries": 2, "retry_delay": datetime.timedelta(minutes=5)},
)
def bench_http_create_campaign():
    create_campaign = HttpOperator(
        task_id="create_campaign",
        http_conn_id="wolkvox_http",
        method="POST",
        endpoint="api/v2/campaign.php?api=create_campaign&type_campaign=predictive",
        data=json.dumps(
            {
                "campaign_name": "Outbound {{ ds }}",
                "campaign_description": "Daily collections rollout for {{ ds }}",
                "skill_id": "12",
                "start_time": "080000",
                "end_time": "180000",
                "opt1": "Plan",
                "opt2": "Balance due",
                "amd": "COL",
                "enable_edition": "no",
            }
        ),
        headers={"Content-Type": "application/json", "Accept": "application/json"},
        response_filter=lambda response: response.json()["data"][0]["id_campaign"],
        pool="wolkvox",
    )

    @task
    def announce(campaign_id: str, campaign_name: str) -> str:
        print(f"Campaign {campaign_id} ({campaign_name}) is ready for contacts")
        return campaign_id

    announce(create_campaign.output, "Outbound {{ ds }}")


bench_http_create_campaign()
