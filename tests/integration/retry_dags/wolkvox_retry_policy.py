"""A start task with retries and the default retry policy, for tests/integration/test_retry_policy_dag.py.

``retry_delay`` is 0, so a retry that waits is one whose delay the WolkvoxRetryPolicy set (Airflow
3.3+); before 3.3 the task retries at once, and permanent errors fail it through
AirflowFailException. Not an example.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow_provider_wolkvox.operators.campaign import StartCampaignOperator

try:
    from airflow.sdk import DAG
except ImportError:  # Airflow 2.x
    from airflow import DAG  # type: ignore[no-redef,attr-defined]

with DAG(
    dag_id="wolkvox_retry_policy",
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
    )
