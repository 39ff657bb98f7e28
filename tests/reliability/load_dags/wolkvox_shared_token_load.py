"""Shared-token load: 8 lanes, each creating a campaign and uploading contacts, on one token.

Two DAGs with the same shape: ``wolkvox_load_pool`` puts every task in the ``wolkvox`` pool (2
slots, uploads at ``max_in_flight=1``), as the README advises; ``wolkvox_load_no_pool`` runs all
lanes at once in the default pool with uploads at 2 requests in flight, so the token is overrun
and only the provider's backoff gets the work through. Run by a real scheduler with the
LocalExecutor in ``tests/reliability/test_shared_token_load.py``; the sizes come from there.
"""

from __future__ import annotations

import datetime
import os

from airflow.sdk import DAG  # this test runs on Airflow 3 only (LocalExecutor on SQLite)

from airflow_provider_wolkvox.operators.campaign import CreateCampaignOperator
from airflow_provider_wolkvox.operators.records import UploadCampaignRecordsOperator

LANES = int(os.environ.get("WOLKVOX_LOAD_LANES", "8"))
RECORDS = int(os.environ.get("WOLKVOX_LOAD_RECORDS", "2000"))
CHUNK = int(os.environ.get("WOLKVOX_LOAD_CHUNK", "200"))


def lane_records(dag_id: str, lane: int) -> list[dict[str, str]]:
    """The contacts of one lane; the customer ids are unique across lanes and DAGs."""
    prefix = f"{9 if dag_id.endswith('no_pool') else 8}{lane:02d}"
    return [
        {"customer_id": f"{prefix}{n:06d}", "customer_name": f"Load {lane}-{n}", "tel1": f"30{n:08d}"}
        for n in range(RECORDS)
    ]


for dag_id, pool, in_flight in (("wolkvox_load_pool", "wolkvox", 1), ("wolkvox_load_no_pool", None, 2)):
    with DAG(
        dag_id,
        schedule=None,
        start_date=datetime.datetime(2026, 11, 1, tzinfo=datetime.timezone.utc),
        catchup=False,
        max_active_tasks=2 * LANES,
        # No task retries: the provider's own backoff has to get every call through.
        default_args={"retries": 0},
    ):
        for lane in range(LANES):
            pool_args = {"pool": pool} if pool else {}
            create = CreateCampaignOperator(
                task_id=f"create_{lane}",
                type_campaign="preview",
                campaign_name=f"{dag_id} lane {lane}",
                skill_id=12,
                **pool_args,
            )
            UploadCampaignRecordsOperator(
                task_id=f"upload_{lane}",
                campaign_id=create.output,
                type_campaign="preview",
                records=lane_records(dag_id, lane),
                chunk_size=CHUNK,
                max_in_flight=in_flight,
                **pool_args,
            )
