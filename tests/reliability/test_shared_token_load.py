"""Shared-token load: 8 lanes in separate task processes on one token (issue #5, part 3).

A real Airflow 3 deployment in a throwaway home (api-server, scheduler with the LocalExecutor,
dag-processor) runs ``load_dags/wolkvox_shared_token_load.py``: 8 lanes, each creating a
campaign and uploading its contacts, all on one token, against the emulator with a little
latency per call so that the lanes overlap.

- With the ``wolkvox`` pool (2 slots) the emulator never sees more than 2 calls in flight.
- Without a pool the token is overrun (the emulator refuses calls with the concurrency 403), and
  the provider's backoff alone (the DAGs have no task retries) gets every lane through in one
  try: 8 campaigns, every contact exactly once.
- Either way, no file the deployment wrote holds the token.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import reliability_cases as cases
from airflow_cli import AIRFLOW, airflow_env, free_port, migrate, stop_group

from airflow_provider_wolkvox._compat import AIRFLOW_V_3
from airflow_provider_wolkvox.emulator import WolkvoxEmulator
from airflow_provider_wolkvox.emulator.server import token_label

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not AIRFLOW_V_3, reason="the LocalExecutor runs on SQLite from Airflow 3 on"),
]

LOAD_DAGS = Path(__file__).with_name("load_dags")
TOKEN = "load-token-SECRET-4711"
LANES = cases.LOAD_LANES
RECORDS = cases.LOAD_RECORDS
CHUNK = cases.LOAD_CHUNK
RUN_TIMEOUT = 420


def _wait_for(what: str, check, timeout: float, procs: list[subprocess.Popen[bytes]], home: Path) -> None:
    deadline = time.monotonic() + timeout
    problem = f"timed out after {timeout} s waiting for {what}"
    while time.monotonic() < deadline:
        if check():
            return
        dead = [" ".join(map(str, p.args[1:])) for p in procs if p.poll() is not None]
        if dead:
            problem = f"{', '.join(dead)} exited while waiting for {what}"
            break
        time.sleep(0.5)
    logs = "\n".join(f"--- {log.name}\n{log.read_text()[-3000:]}" for log in sorted(home.glob("*.out")))
    pytest.fail(f"{problem}\n{logs}")


@dataclass
class Deployment:
    home: Path
    env: dict[str, str]
    emulator: WolkvoxEmulator

    def query(self, sql: str, *args: object) -> list[tuple]:
        with sqlite3.connect(self.home / "airflow.db", timeout=30) as db:
            return db.execute(sql, args).fetchall()

    def run(self, dag_id: str) -> tuple[str, dict[str, tuple[str, int]], float]:
        """Trigger ``dag_id`` and wait for its run: (run state, {task_id: (state, tries)}, seconds)."""
        started = time.monotonic()
        out = subprocess.run(
            [AIRFLOW, "dags", "trigger", dag_id, "--output", "json"],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        # The JSON is the last line; Airflow may log warnings before it.
        run_id = json.loads(out.stdout.strip().splitlines()[-1])[0]["dag_run_id"]
        deadline = started + RUN_TIMEOUT
        state = ""
        while time.monotonic() < deadline:
            rows = self.query("SELECT state FROM dag_run WHERE dag_id = ? AND run_id = ?", dag_id, run_id)
            state = rows[0][0] if rows else ""
            if state in ("success", "failed"):
                break
            time.sleep(1)
        tasks = self.query(
            "SELECT task_id, state, try_number FROM task_instance WHERE dag_id = ? AND run_id = ?",
            dag_id,
            run_id,
        )
        return state, {task: (ti_state, tries) for task, ti_state, tries in tasks}, time.monotonic() - started


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    emulator = WolkvoxEmulator(tokens={TOKEN: 1_000_000})
    home = tmp_path_factory.mktemp("airflow-load")
    port = free_port()
    env = airflow_env(
        home,
        LOAD_DAGS,
        AIRFLOW__CORE__EXECUTOR="LocalExecutor",
        AIRFLOW__CORE__PARALLELISM=str(2 * LANES),
        AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="False",
        AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"http://127.0.0.1:{port}/execution/",
        AIRFLOW__API_AUTH__JWT_SECRET="load-test-jwt-secret",
        AIRFLOW__API__HOST="127.0.0.1",
        AIRFLOW__API__PORT=str(port),
        AIRFLOW__API__WORKERS="1",
        WOLKVOX_LOAD_LANES=str(LANES),
        WOLKVOX_LOAD_RECORDS=str(RECORDS),
        WOLKVOX_LOAD_CHUNK=str(CHUNK),
    )
    procs: list[subprocess.Popen[bytes]] = []
    deployment = Deployment(home, env, emulator)
    try:
        emulator.start()
        # Backoff scaled down for a test: 12 tries, waits from 0.1 s doubling to at most 2 s, up to
        # 15 s of waiting in all, as with the production defaults (5 tries, waits of 1, 2, 4, 8 s).
        retries = {"retry_attempts": 12, "retry_min_delay": 0.1, "retry_max_delay": 2}
        env["AIRFLOW_CONN_WOLKVOX_DEFAULT"] = json.dumps(
            {
                "conn_type": "wolkvox",
                "host": emulator.url,
                "password": TOKEN,
                "extra": {"server_id": "0042", **retries},
            }
        )
        migrate(env)
        # The scheduler's log server would listen on every interface: not started.
        for component in (["api-server"], ["scheduler", "--skip-serve-logs"], ["dag-processor"]):
            with (home / f"{component[0]}.out").open("wb") as log:
                # Its own process group, so that stopping it stops its children too.
                proc = subprocess.Popen(
                    [AIRFLOW, *component],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
                procs.append(proc)
        _wait_for("the api-server", lambda: _healthy(port), 120, procs, home)
        serialized = "SELECT COUNT(*) FROM serialized_dag WHERE dag_id IN (?, ?)"
        dag_ids = ("wolkvox_load_pool", "wolkvox_load_no_pool")
        _wait_for(
            "the dag-processor to serialize the load DAGs",
            lambda: deployment.query(serialized, *dag_ids) == [(2,)],
            120,
            procs,
            home,
        )
        yield deployment
    finally:
        _stop(procs, home)
        emulator.stop()


def _stop(procs: list[subprocess.Popen[bytes]], home: Path) -> None:
    """Stop the components, then kill whatever still runs in this home (task processes too).

    Task processes run in process groups of their own, so they are found by their AIRFLOW_HOME.
    """
    for proc in procs:
        stop_group(proc)
    marker = f"AIRFLOW_HOME={home}\0".encode()
    for environ in Path("/proc").glob("[0-9]*/environ"):
        with contextlib.suppress(OSError):
            if marker in environ.read_bytes():
                os.kill(int(environ.parent.name), signal.SIGKILL)


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/monitor/health", timeout=2) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def _run_lanes(deployment: Deployment, dag_id: str) -> dict:
    """Run one load DAG on a fresh emulator; return what a reader of the test wants to see."""
    emulator = deployment.emulator
    emulator.reset()
    emulator.set_latency(cases.LOAD_LATENCY)
    state, tasks, seconds = deployment.run(dag_id)
    snapshot = emulator.state()
    label = token_label(TOKEN)
    figures = {
        "dag_id": dag_id,
        "seconds": round(seconds, 1),
        "peak_in_flight": snapshot["peak_in_flight"].get(label, 0),
        "rejections": snapshot["rejections"].get(label, {}),
        "task_tries": sorted(tries for _, tries in tasks.values()),
        "calls": sum(snapshot["requests"].values()),
    }
    print(json.dumps(figures))  # the figures for the closing note (pytest -s shows them)
    assert state == "success", f"{dag_id} ended {state!r}: {tasks}\nfigures: {figures}"
    assert {task: ti_state for task, (ti_state, _) in tasks.items()} == {
        f"{kind}_{lane}": "success" for lane in range(LANES) for kind in ("create", "upload")
    }
    _assert_every_lane_exactly_once(dag_id, snapshot["campaigns"])
    # Nothing the deployment wrote (task and component logs, the metadata DB with its XCom and
    # rendered fields) holds the token.
    files = [path for path in deployment.home.rglob("*") if path.is_file()]
    assert [str(path) for path in files if TOKEN.encode() in path.read_bytes()] == []
    return figures


def _assert_every_lane_exactly_once(dag_id: str, campaigns: list[dict]) -> None:
    names = sorted(c["campaign_name"] for c in campaigns)
    wanted = sorted(f"{dag_id} lane {lane}" for lane in range(LANES))
    assert names == wanted, "a lane's campaign is missing or was created twice"
    prefix = "9" if dag_id.endswith("no_pool") else "8"
    for campaign in campaigns:
        lane = int(campaign["campaign_name"].rsplit(" ", 1)[1])
        ids = [record["customer_id"] for record in campaign["records"]]
        expected = [f"{prefix}{lane:02d}{n:06d}" for n in range(RECORDS)]
        assert len(ids) == len(set(ids)), f"lane {lane}: {len(ids) - len(set(ids))} contacts stored twice"
        assert sorted(ids) == expected, f"lane {lane}: {len(set(expected) - set(ids))} contacts lost"


def test_with_the_wolkvox_pool_a_token_never_has_more_than_2_calls_in_flight(deployment: Deployment) -> None:
    figures = _run_lanes(deployment, "wolkvox_load_pool")
    # Exactly 2: the pool's two slots were used at once, and never a third call.
    assert figures["peak_in_flight"] == 2
    assert figures["rejections"] == {}


def test_without_a_pool_backoff_gets_every_lane_through_exactly_once(deployment: Deployment) -> None:
    figures = _run_lanes(deployment, "wolkvox_load_no_pool")
    # The lanes really did overrun the token: the emulator refused calls with the concurrency 403
    # (a refused call still counts in the peak), and the provider retried them.
    assert figures["peak_in_flight"] > 2
    assert figures["rejections"].get("concurrency", 0) > 0
    assert "quota" not in figures["rejections"]
    # ... and the client's backoff alone got every call through: no task needed a second try.
    assert figures["task_tries"] == [1] * (2 * LANES)
