"""A create task with one retry, for tests/integration/test_create_retry_dag.py (not an example)."""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow_provider_wolkvox.operators.campaign import CreateCampaignOperator

try:
    from airflow.sdk import DAG
except ImportError:  # Airflow 2.x
    from airflow import DAG  # type: ignore[no-redef,attr-defined]

with DAG(
    dag_id="wolkvox_create_retry",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    params={"if_exists": "fail"},
):
    CreateCampaignOperator(
        task_id="create",
        type_campaign="preview",
        campaign_name="Daily",
        skill_id=3,
        if_exists="{{ params.if_exists }}",
        retries=1,
        retry_delay=timedelta(seconds=0),
    )
