"""Child for the per-call overhead figures, run against the emulator in another process.

``calls.py URL CALLS ROUNDS``: ROUNDS interleaved rounds (the order alternates every round) of
CALLS create_campaign calls through one ``WolkvoxHook().create_campaign(spec)`` (connection from
AIRFLOW_CONN_WOLKVOX_DEFAULT) and through a raw ``requests.Session().post`` loop sending the same
URL, headers and JSON body. Then ROUNDS rounds of a raw http.client keep-alive loop of small GETs
(``/_emulator/health``): the emulator's own request rate.
"""

from __future__ import annotations

import http.client
import json
import sys
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import TOKEN, emit, median

SPEC = {
    "type_campaign": "predictive",
    "campaign_name": "Outbound 2026-11-28",
    "campaign_description": "Daily collections rollout",
    "skill_id": 12,
    "start_time": "08:00",
    "end_time": "18:00",
    "opts": ["Plan", "Balance due"],
    "amd": "COL",
    "enable_edition": False,
}


def hook_round(spec, calls: int) -> float:
    from airflow_provider_wolkvox.hooks.wolkvox import WolkvoxHook

    start = time.perf_counter()
    hook = WolkvoxHook()
    for _ in range(calls):
        campaign = hook.create_campaign(spec)
    seconds = time.perf_counter() - start
    assert campaign.campaign_id
    hook.client.close()
    return seconds


def raw_round(url: str, body: dict, headers: dict, calls: int) -> float:
    import requests

    start = time.perf_counter()
    session = requests.Session()
    for _ in range(calls):
        data = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        response = session.post(url, data=data, headers=headers, timeout=75)
        response.raise_for_status()
        campaign_id = response.json()["data"][0]["id_campaign"]
    seconds = time.perf_counter() - start
    assert campaign_id
    session.close()
    return seconds


def emulator_round(base: str, calls: int) -> float:
    parts = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    start = time.perf_counter()
    for _ in range(calls):
        conn.request("GET", "/_emulator/health")
        response = conn.getresponse()
        response.read()
        assert response.status == 200
    seconds = time.perf_counter() - start
    conn.close()
    return seconds


def main() -> None:
    import requests

    from airflow_provider_wolkvox import __version__
    from airflow_provider_wolkvox.client import CampaignSpec

    base, calls, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    spec = CampaignSpec.build(**SPEC)
    url = f"{base}/api/v2/campaign.php?api=create_campaign&type_campaign=predictive"
    headers = {
        "wolkvox-token": TOKEN,
        "wolkvox_server": "0042",
        "User-Agent": f"airflow-provider-wolkvox/{__version__} python-requests/{requests.__version__}",
        "Accept": "application/json",
        "Content-Type": "application/json",
    }
    body = spec.to_body()
    warm = max(5, calls // 10)
    hook_round(spec, warm)
    raw_round(url, body, headers, warm)
    emulator_round(base, warm)
    ours: list[float] = []
    raw: list[float] = []
    for r in range(rounds):
        if r % 2 == 0:
            ours.append(hook_round(spec, calls))
            raw.append(raw_round(url, body, headers, calls))
        else:
            raw.append(raw_round(url, body, headers, calls))
            ours.append(hook_round(spec, calls))
    gets = [emulator_round(base, calls) for _ in range(rounds)]
    emit(
        {
            "calls": calls,
            "ours_seconds": ours,
            "raw_seconds": raw,
            "get_seconds": gets,
            "ours_median": median(ours),
            "raw_median": median(raw),
            "get_median": median(gets),
        }
    )


if __name__ == "__main__":
    main()
