"""The README's demo: run the example DAGs for real against a local Wolkvox emulator.

Starts the emulator, makes a throwaway AIRFLOW_HOME on SQLite (under .demo/), points
AIRFLOW_CONN_WOLKVOX_DEFAULT at the emulator, runs each example DAG with `airflow dags test`,
prints what a person wants to see, and stops the emulator whatever happens.
Run it with `make demo` (which builds the virtualenv first).
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from airflow_provider_wolkvox.emulator import run_emulator

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / ".demo"
AIRFLOW = str(Path(sys.executable).with_name("airflow"))
TOKEN = "demo-token"
DAGS = ("example_wolkvox_create_campaign", "example_wolkvox_lifecycle")


def airflow(env: dict[str, str], *args: str, log: Path | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([AIRFLOW, *args], env=env, capture_output=True, text=True, timeout=900)
    if log is not None:
        log.write_text(result.stdout + result.stderr)
    return result


def main() -> int:
    shutil.rmtree(WORK, ignore_errors=True)
    home = WORK / "airflow-home"
    home.mkdir(parents=True)
    dags = [dag for dag in DAGS if (REPO / "example_dags" / f"{dag}.py").exists()]
    today = datetime.date.today().isoformat()
    failed = False
    # Simulated dialing (10 records a second) gives the lifecycle DAG's sensor something to wait for.
    with run_emulator(tokens={TOKEN: 100_000}, dial_rate=10) as emulator:
        print(f"Wolkvox emulator listening on {emulator.url} (token {TOKEN!r}, server 0042)")
        env = {key: value for key, value in os.environ.items() if not key.startswith("AIRFLOW")}
        env.update(
            AIRFLOW_HOME=str(home),
            AIRFLOW__CORE__DAGS_FOLDER=str(REPO / "example_dags"),
            AIRFLOW__CORE__LOAD_EXAMPLES="False",
            AIRFLOW_CONN_WOLKVOX_DEFAULT=json.dumps(
                {
                    "conn_type": "wolkvox",
                    "host": emulator.url,
                    "login": "0042",  # the Server id field: the operation's code, sent as wolkvox_server
                    "password": TOKEN,
                }
            ),
        )
        print(f"Airflow home: {home} (SQLite); migrating the database ...")
        for args in (
            ("db", "migrate"),
            ("pools", "set", "wolkvox", "2", "Wolkvox: 2 requests in flight per token"),
        ):
            result = airflow(env, *args, log=WORK / f"{args[0]}.log")
            if result.returncode != 0:
                print(f"`airflow {' '.join(args)}` failed; see {WORK / (args[0] + '.log')}")
                return 1
        for dag_id in dags:
            log = WORK / f"{dag_id}.log"
            print(f"\n== airflow dags test {dag_id} {today}")
            result = airflow(env, "dags", "test", dag_id, today, log=log)
            print(f"   exit code {result.returncode}; full log: {log.relative_to(REPO)}")
            failed |= result.returncode != 0
            for task_id, state in task_states(env, dag_id):
                print(f"   {task_id:<24} {state}")
        state = emulator.state(include_records=False)
    print("\n== What the emulator holds now")
    for campaign in state["campaigns"]:
        print(
            f"   campaign {campaign['campaign_id']} {campaign['campaign_name']!r}: "
            f"{campaign['type_campaign']}, {campaign['status']}, {campaign.get('record_count', 0)} records"
        )
    requests_seen = ", ".join(f"{api} {count}" for api, count in sorted(state["requests"].items()))
    print(f"   requests: {requests_seen}")
    print(f"   peak requests in flight per token: {max(state['peak_in_flight'].values(), default=0)}")
    print("\nEmulator stopped. " + ("Some DAG runs FAILED." if failed else "All DAG runs succeeded."))
    return 1 if failed else 0


def task_states(env: dict[str, str], dag_id: str) -> list[tuple[str, str]]:
    try:
        run_id = json_output(airflow(env, "dags", "list-runs", dag_id, "-o", "json"))[0]["run_id"]
        states = json_output(airflow(env, "tasks", "states-for-dag-run", dag_id, run_id, "-o", "json"))
        return [(row["task_id"], row["state"]) for row in states]
    except (ValueError, LookupError, TypeError) as exc:
        return [("(task states unavailable)", repr(exc))]


def json_output(result: subprocess.CompletedProcess[str]) -> list[dict[str, str]]:
    """The JSON document in a CLI's stdout (Airflow may print warnings before it)."""
    lines = [line for line in result.stdout.splitlines() if line.startswith("[")]
    return json.loads(lines[-1])


if __name__ == "__main__":
    sys.exit(main())
