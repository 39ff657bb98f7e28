"""Child for the lifecycle-calls figure (issue #14 item 4): API calls of one standard rollout.

``lifecycle_calls.py URL RECORDS DIAL_RATE POKE_INTERVAL``: against an emptied emulator whose dialer
calls DIAL_RATE records a second, run the standard lifecycle with every operator's defaults
(connection from AIRFLOW_CONN_WOLKVOX_DEFAULT), each ``execute()`` in this process:

1. ``CreateCampaignOperator`` (``if_exists="fail"``: reads the campaign list, then creates);
2. ``UploadCampaignRecordsOperator`` of RECORDS records (10,000 a chunk; ``verify="warn"`` reads
   the campaign's count before and after);
3. ``StartCampaignOperator``;
4. ``WolkvoxCampaignSensor(max_records=0)`` poked every POKE_INTERVAL seconds, as poke mode does,
   until every record is dialled;
5. ``StopCampaignOperator``.

Counts each step's calls with the client (the operator's hook, HTTP retries included) and with
the emulator (its per-api request counters), and checks that they agree.
"""

from __future__ import annotations

import http.client
import json
import math
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import emit

CHUNK = 10_000


def admin(base: str, method: str, action: str, payload: Any = None) -> Any:
    parts = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        body = json.dumps(payload).encode() if payload is not None else None
        conn.request(method, f"/_emulator/{action}", body=body)
        return json.loads(conn.getresponse().read() or b"null")
    finally:
        conn.close()


def server_calls(base: str) -> int:
    return sum(admin(base, "GET", "state?records=false")["requests"].values())


def contacts(count: int) -> list[dict[str, str]]:
    return [
        {"customer_id": f"C{i:06d}", "customer_name": f"Name {i}", "tel1": f"3{i:09d}"} for i in range(count)
    ]


def main() -> None:
    from airflow_provider_wolkvox.operators.campaign import (
        CreateCampaignOperator,
        StartCampaignOperator,
        StopCampaignOperator,
    )
    from airflow_provider_wolkvox.operators.records import UploadCampaignRecordsOperator
    from airflow_provider_wolkvox.sensors.campaign import WolkvoxCampaignSensor

    base, records, dial_rate, interval = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
    rows = contacts(records)
    admin(base, "POST", "reset", {"dialing": True})
    steps: dict[str, int] = {}
    before = server_calls(base)

    create = CreateCampaignOperator(
        task_id="create", type_campaign="preview", campaign_name="Lifecycle", skill_id=12
    )
    campaign_id = create.execute({})
    steps["create"] = create.api_calls()

    upload = UploadCampaignRecordsOperator(
        task_id="upload", campaign_id=campaign_id, type_campaign="preview", records=rows
    )
    summary = upload.execute({})
    assert summary["accepted"] == records, summary
    steps["upload"] = upload.api_calls()
    assert summary["api_calls"] == steps["upload"], (summary["api_calls"], steps["upload"])

    admin(base, "POST", "dialing", {"records_per_second": dial_rate})
    start = StartCampaignOperator(task_id="start", campaign_id=campaign_id, type_campaign="preview")
    start.execute({})
    steps["start"] = start.api_calls()

    sensor = WolkvoxCampaignSensor(
        task_id="wait", campaign_id=campaign_id, max_records=0, poke_interval=interval
    )
    polls = 0
    waited = time.monotonic()
    while True:
        polls += 1
        if sensor.poke({}).is_done:
            break
        time.sleep(interval)
    waited = time.monotonic() - waited
    steps["wait"] = sensor.hook.api_calls
    sensor.hook.close()

    stop = StopCampaignOperator(task_id="stop", campaign_id=campaign_id, type_campaign="preview")
    stop.execute({})
    steps["stop"] = stop.api_calls()

    emulator_calls = server_calls(base) - before
    admin(base, "POST", "reset", {"dialing": True})
    ours = sum(steps.values())
    assert ours == emulator_calls, (steps, emulator_calls)
    # The least any client could send for the same work and the same number of polls: one create,
    # one add_record per 10,000 records, one start, the polls, one stop.
    minimum_same_polls = 1 + math.ceil(records / CHUNK) + 1 + polls + 1
    emit(
        {
            "records": records,
            "steps": steps,
            "polls": polls,
            "waited_seconds": waited,
            "ours": ours,
            "emulator_counted": emulator_calls,
            "minimum_same_polls": minimum_same_polls,
            "minimum_one_poll": minimum_same_polls - polls + 1,
            "calls_per_poke": steps["wait"] / polls,
        }
    )


if __name__ == "__main__":
    main()
