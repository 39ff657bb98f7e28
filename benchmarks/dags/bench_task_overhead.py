"""Task overhead figure: the same create_campaign POST, once per operator.

``airflow tasks test bench_task_overhead wolkvox_create`` runs CreateCampaignOperator through
``wolkvox_default``; ``... http_create`` runs HttpOperator through ``wolkvox_http``, whose extra
carries the ``wolkvox-token`` and ``wolkvox_server`` headers. Both send the same URL and body to
the emulator that benchmarks/run.py starts. CreateCampaignOperator keeps its defaults, so with
``if_exists="fail"`` it also reads the campaign list first; run.py resets the emulator before
every run so that list is empty.
"""

from __future__ import annotations

import datetime
import json

from airflow.providers.http.operators.http import HttpOperator
from airflow.sdk import DAG

from airflow_provider_wolkvox.operators.campaign import CreateCampaignOperator

BODY = {
    "campaign_name": "Bench {{ ds }}",
    "campaign_description": "Task overhead benchmark",
    "skill_id": "12",
    "start_time": "080000",
    "end_time": "180000",
    "opt1": "Plan",
    "opt2": "Balance due",
    "amd": "COL",
    "enable_edition": "no",
}

with DAG(
    dag_id="bench_task_overhead",
    schedule=None,
    start_date=datetime.datetime(2026, 11, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    tags=["wolkvox", "benchmark"],
):
    CreateCampaignOperator(
        task_id="wolkvox_create",
        type_campaign="predictive",
        campaign_name="Bench {{ ds }}",
        campaign_description="Task overhead benchmark",
        skill_id=12,
        start_time="08:00",
        end_time="18:00",
        opts=["Plan", "Balance due"],
        amd="COL",
        enable_edition=False,
    )
    HttpOperator(
        task_id="http_create",
        http_conn_id="wolkvox_http",
        method="POST",
        endpoint="api/v2/campaign.php?api=create_campaign&type_campaign=predictive",
        data=json.dumps(BODY, separators=(",", ":")),
        headers={"Content-Type": "application/json", "Accept": "application/json"},
        response_filter=lambda response: response.json()["data"][0]["id_campaign"],
    )
