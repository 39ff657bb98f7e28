"""Child for the bulk upload figures: one upload of a CSV into the emulator, in its own process.

``upload.py ours|ours-skip|baseline CSV URL CAMPAIGN_ID``. ``ours`` runs
UploadCampaignRecordsOperator.execute() with its defaults (10,000-record chunks, 2 in flight,
``on_invalid="fail"``); ``ours-skip`` the same with ``on_invalid="skip"`` (a diagnostic: no
validation pre-pass);
``baseline`` is the minimal hand-written loop: csv.DictReader, 10,000-record chunks, json.dumps,
2 threads sharing one requests session, POST add_record. Prints seconds, records stored as
Wolkvox reported them and the peak RSS of this process (ru_maxrss).

Airflow (for ours) and requests (for the baseline) are imported before the clock starts: a task
has them loaded already. What execute() imports lazily (the hook, the client, requests) is timed.
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import TOKEN, emit

CHUNK = 10_000
THREADS = 2


def ours(csv_path: str, url: str, campaign_id: str, on_invalid: str = "fail") -> int:
    from airflow_provider_wolkvox.operators.records import UploadCampaignRecordsOperator

    op = UploadCampaignRecordsOperator(
        task_id="upload",
        campaign_id=campaign_id,
        type_campaign="preview",
        path=csv_path,
        on_invalid=on_invalid,
    )
    counts = op.execute({})
    return int(counts["accepted"])


def ours_skip(csv_path: str, url: str, campaign_id: str) -> int:
    return ours(csv_path, url, campaign_id, on_invalid="skip")


def baseline(csv_path: str, url: str, campaign_id: str) -> int:
    import csv
    import itertools
    import json
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    import requests

    session = requests.Session()
    session.headers.update(
        {"wolkvox-token": TOKEN, "wolkvox_server": "0042", "Content-Type": "application/json"}
    )
    endpoint = f"{url}/api/v2/campaign.php?api=add_record&type_campaign=preview&campaign_id={campaign_id}"

    def post(body: bytes) -> int:
        response = session.post(endpoint, data=body, timeout=75)
        response.raise_for_status()
        return int(response.json()["data"][0]["total_added"])

    added = 0
    pending: deque = deque()
    with open(csv_path, newline="", encoding="utf-8") as handle, ThreadPoolExecutor(THREADS) as pool:
        reader = csv.DictReader(handle)
        while chunk := list(itertools.islice(reader, CHUNK)):
            if len(pending) >= THREADS:  # stream: never more chunks in memory than threads
                added += pending.popleft().result()
            pending.append(pool.submit(post, json.dumps(chunk).encode()))
        while pending:
            added += pending.popleft().result()
    return added


if __name__ == "__main__":
    impl, csv_path, url, campaign_id = sys.argv[1:5]
    if impl == "baseline":
        import requests  # noqa: F401
    else:
        import airflow_provider_wolkvox.operators.records  # noqa: F401 - pulls in airflow.sdk
    run = {"ours": ours, "ours-skip": ours_skip, "baseline": baseline}[impl]
    start = time.perf_counter()
    added = run(csv_path, url, campaign_id)
    seconds = time.perf_counter() - start
    emit(
        {
            "seconds": seconds,
            "records": added,
            "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        }
    )
