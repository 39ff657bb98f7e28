"""Child for the upload figures: one upload into the emulator, in its own process.

``upload.py SPEC`` where SPEC is a JSON object:

* ``impl``: ``ours`` runs ``UploadCampaignRecordsOperator.execute()`` with ``options`` (its keyword
  arguments beyond the campaign and the source; none means its defaults: 10,000-record chunks, 2 in
  flight, ``on_invalid="fail"``, ``verify="warn"``); ``baseline`` is the minimal hand-written loop:
  csv.DictReader, ``chunk_size``-record chunks, json.dumps, 2 threads sharing one requests
  session, POST add_record (CSV files only).
* ``source``: ``{"kind": "csv", "path": ...}``, ``{"kind": "s3", "url": "s3://...", "conn_id": ...}``
  (an ``ObjectStoragePath`` with that connection) or ``{"kind": "sql", "sql": ..., "conn_id": ...}``.
* ``url``, ``campaign_id``, ``chunk_size`` (default 10,000), ``options`` (ours only).
* ``dnc_block``: a do-not-call list file; after the upload, time ``Hygiene.block()`` of it alone
  (``options`` give the region), to split the hygiene figure.

Prints seconds, the records Wolkvox reported as added, the operator's summary (ours) and the peak
RSS of this process (ru_maxrss). Airflow (for ours) and requests (for the baseline) are imported
before the clock starts: a task has them loaded already. What execute() imports lazily (the hook,
the client, the source's pieces, phonenumbers) is timed.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import TOKEN, emit

THREADS = 2


def ours(spec: dict[str, Any]) -> dict[str, Any]:
    from airflow_provider_wolkvox.operators.records import UploadCampaignRecordsOperator

    source = spec["source"]
    if source["kind"] == "csv":
        where: dict[str, Any] = {"path": source["path"]}
    elif source["kind"] == "s3":
        from airflow.sdk import ObjectStoragePath

        where = {"path": ObjectStoragePath(source["url"], conn_id=source["conn_id"])}
    else:
        where = {"sql": source["sql"], "sql_conn_id": source["conn_id"]}
    op = UploadCampaignRecordsOperator(
        task_id="upload",
        campaign_id=spec["campaign_id"],
        type_campaign="preview",
        **where,
        **spec.get("options", {}),
    )
    summary: dict[str, Any] = op.execute({})  # type: ignore[arg-type]
    return summary


def baseline(spec: dict[str, Any]) -> dict[str, Any]:
    import csv
    import itertools
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    import requests

    chunk_size = int(spec.get("chunk_size", 10_000))
    session = requests.Session()
    session.headers.update(
        {"wolkvox-token": TOKEN, "wolkvox_server": "0042", "Content-Type": "application/json"}
    )
    endpoint = (
        f"{spec['url']}/api/v2/campaign.php?api=add_record&type_campaign=preview"
        f"&campaign_id={spec['campaign_id']}"
    )

    def post(body: bytes) -> int:
        response = session.post(endpoint, data=body, timeout=75)
        response.raise_for_status()
        return int(response.json()["data"][0]["total_added"])

    added = 0
    pending: deque[Any] = deque()
    with (
        open(spec["source"]["path"], newline="", encoding="utf-8") as handle,
        ThreadPoolExecutor(THREADS) as pool,
    ):
        reader = csv.DictReader(handle)
        while chunk := list(itertools.islice(reader, chunk_size)):
            if len(pending) >= THREADS:  # stream: never more chunks in memory than threads
                added += pending.popleft().result()
            pending.append(pool.submit(post, json.dumps(chunk).encode()))
        while pending:
            added += pending.popleft().result()
    return {"accepted": added}


def time_block(path: str, options: dict[str, Any]) -> dict[str, float]:
    """Hygiene.block() of a do-not-call file alone, with everything already imported."""
    from airflow_provider_wolkvox.client.hygiene import Hygiene
    from airflow_provider_wolkvox.operators.sources import read_numbers

    hygiene = Hygiene(default_region=options.get("default_region"))
    start = time.perf_counter()
    added = hygiene.block(read_numbers(path))
    return {"dnc_block_seconds": time.perf_counter() - start, "dnc_numbers": added}


def main() -> None:
    spec = json.loads(sys.argv[1])
    impl = spec["impl"]
    if impl == "baseline":
        import requests  # noqa: F401
    else:
        import airflow_provider_wolkvox.operators.records  # noqa: F401 - pulls in airflow.sdk
    run = {"ours": ours, "baseline": baseline}[impl]
    start = time.perf_counter()
    summary = run(spec)
    seconds = time.perf_counter() - start
    result: dict[str, Any] = {
        "seconds": seconds,
        "records": int(summary["accepted"]),
        "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "summary": {
            key: summary.get(key)
            for key in ("accepted", "requests", "api_calls", "valid_records", "rejected_by_reason", "hygiene")
        },
    }
    if spec.get("dnc_block"):
        result.update(time_block(spec["dnc_block"], spec.get("options", {})))
    emit(result)


if __name__ == "__main__":
    main()
