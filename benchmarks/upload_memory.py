"""Peak memory and throughput of UploadCampaignRecordsOperator on a large CSV.

Generates a CSV of N records, starts the emulator in a separate process (so its stored records
do not count towards this process's memory), runs the operator's execute() against it and prints
JSON: records, seconds, records_per_s, peak_rss_mb (ru_maxrss of this process). Run under
``/usr/bin/time -v`` for a second opinion::

    .venv/bin/python -m airflow_provider_wolkvox.emulator --port 8765 --token bench-token &
    /usr/bin/time -v .venv/bin/python benchmarks/upload_memory.py --records 1000000 --url http://127.0.0.1:8765

(Without ``--url`` the emulator is a child process and ``time -v`` reports its memory instead.)
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

TOKEN = "bench-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_csv(path: Path, records: int) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["customer_id", "customer_name", "customer_last_name", "city", "tel1", "email", "opt1"]
        )
        for i in range(records):
            writer.writerow(
                [f"{i:010d}", f"Name{i}", "García", "Medellín", f"3{i:09d}", f"c{i}@example.com", "Plan A"]
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--max-in-flight", type=int, default=2)
    parser.add_argument(
        "--url",
        help="use an emulator already running with token 'bench-token' (e.g. started by hand, so that "
        "/usr/bin/time -v does not count its memory, which it does for a child process)",
    )
    args = parser.parse_args()

    emulator = None
    url = args.url
    if url is None:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        emulator = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "airflow_provider_wolkvox.emulator",
                "--port",
                str(port),
                "--token",
                TOKEN,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    with tempfile.TemporaryDirectory() as tmp:
        try:
            path = Path(tmp) / "contacts.csv"
            write_csv(path, args.records)
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"{url}/_emulator/health", timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.1)
            os.environ["AIRFLOW_CONN_WOLKVOX_DEFAULT"] = json.dumps(
                {"conn_type": "wolkvox", "host": url, "password": TOKEN}
            )
            from airflow_provider_wolkvox.client import CampaignSpec, WolkvoxClient
            from airflow_provider_wolkvox.operators.records import UploadCampaignRecordsOperator

            spec = CampaignSpec.build(type_campaign="predictive", campaign_name="bench", skill_id=1)
            campaign_id = WolkvoxClient(url, TOKEN).create_campaign(spec).campaign_id
            op = UploadCampaignRecordsOperator(
                task_id="upload",
                campaign_id=campaign_id,
                type_campaign="predictive",
                path=str(path),
                max_in_flight=args.max_in_flight,
            )
            started = time.perf_counter()
            counts = op.execute({})
            seconds = time.perf_counter() - started
        finally:
            if emulator is not None:
                emulator.terminate()
                emulator.wait(timeout=30)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(
        json.dumps(
            {
                "records": counts["sent"],
                "requests": counts["requests"],
                "seconds": round(seconds, 2),
                "records_per_s": round(counts["sent"] / seconds),
                "peak_rss_mb": round(peak_kb / 1024, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
