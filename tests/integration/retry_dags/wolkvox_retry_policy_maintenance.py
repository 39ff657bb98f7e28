"""A start task given its own WolkvoxRetryPolicy (a 5 s maintenance delay), for
tests/integration/test_retry_policy_dag.py; Airflow 3.3+ only (no DAG on older versions)."""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow_provider_wolkvox.operators.campaign import StartCampaignOperator
from airflow_provider_wolkvox.retry_policy import SUPPORTED, WolkvoxRetryPolicy

if SUPPORTED:
    from airflow.sdk import DAG

    with DAG(
        dag_id="wolkvox_retry_policy_maintenance",
        schedule=None,
        start_date=datetime(2026, 1, 1),
        catchup=False,
    ):
        StartCampaignOperator(
            task_id="start",
            campaign_id="{{ dag_run.conf['campaign_id'] }}",
            type_campaign="preview",
            retries=2,
            retry_delay=timedelta(seconds=0),
            retry_policy=WolkvoxRetryPolicy(maintenance_delay=timedelta(seconds=5)),
        )
