"""The provider in a production-shaped deployment (issue #12 item 1).

PostgreSQL + Redis + CeleryExecutor with two workers (see conftest.py), every run triggered
through the api-server's REST API, as a user or another system would:

1. the lifecycle example, with its sensor deferred to the triggerer;
2. the same DAG twice the same day and once with no logical date: all three succeed;
3. the shared-token load of ``tests/reliability/load_dags/`` (8 lanes on one token) across both
   workers: with the ``wolkvox`` pool exactly 2 calls in flight at the peak, without it the
   backoff gets every contact through once;
4. a task retry on the other worker, adopting the campaign and resuming the upload that the first
   try left half-done, through the task state store;
5. the token nowhere: not in a ``pg_dump`` of the metadata database, not in Redis, not in a log.

The tests run in this order on one deployment and print their figures as JSON lines.
"""

from __future__ import annotations

import base64
import collections
import datetime
import json
import time
from pathlib import Path

import pytest
import reliability_cases as cases
from deployment_harness import TOKEN, WORKERS, Deployment, emit
from test_shared_token_load import _assert_every_lane_exactly_once

from airflow_provider_wolkvox.emulator.server import token_label

try:
    from airflow import __version__ as AIRFLOW_VERSION
except ImportError:  # pragma: no cover
    AIRFLOW_VERSION = "0"

pytestmark = [
    pytest.mark.integration,
    pytest.mark.deployment,
    pytest.mark.skipif(
        tuple(int(part) for part in AIRFLOW_VERSION.split(".")[:2]) < (3, 3),
        reason="the deployment test runs Airflow 3.3 (task state store, the pinned Celery provider)",
    ),
]

LIFECYCLE = "example_wolkvox_lifecycle"
RETRY_DAG = "wolkvox_deployment_retry"
RUN_TIMEOUT = 300
#: Figures gathered by the tests, printed again by the last one.
FIGURES: dict[str, object] = {}


def _yesterday(hour: int) -> str:
    day = datetime.datetime.now(datetime.timezone.utc).date() - datetime.timedelta(days=1)
    return f"{day.isoformat()}T{hour:02d}:00:00+00:00"


def _failure(deployment: Deployment, dag_id: str, run_id: str) -> str:
    """The end of the failed tasks' logs, for an assertion message."""
    logs = sorted((deployment.home / "logs").rglob("*.log"))
    wanted = [log for log in logs if f"dag_id={dag_id}" in str(log) and f"run_id={run_id}" in str(log)]
    parts = []
    for log in wanted[-6:]:
        # Task logs are JSON lines: the error events, else the end.
        lines = log.read_text(errors="replace").splitlines()
        errors = [line[:800] for line in lines if '"error"' in line or "Error" in line][-8:]
        parts.append(f"--- {log}\n" + "\n".join(errors or [line[:800] for line in lines[-8:]]))
    return "\n".join(parts)


def _lifecycle_run(deployment: Deployment, run_id: str, seen: collections.defaultdict) -> str:
    def poll() -> None:
        for task, (state, _, _) in deployment.tasks(LIFECYCLE, run_id).items():
            seen[task].add(state)
        # The triggers a triggerer took on (a trigger row lives while its task is deferred).
        for (classpath,) in deployment.sql("SELECT classpath FROM trigger WHERE triggerer_id IS NOT NULL"):
            seen["triggers run by the triggerer"].add(classpath)

    return deployment.wait_run(LIFECYCLE, run_id, RUN_TIMEOUT, poll)


def test_lifecycle_example_with_the_sensor_deferred_to_the_triggerer(deployment: Deployment) -> None:
    emulator = deployment.emulator
    emulator.reset()
    # 50 contacts take ~17 s: even on a loaded machine the sensor finds contacts left, defers, polls.
    emulator.set_dial_rate(3)
    started = time.monotonic()
    run_id = deployment.trigger(LIFECYCLE, _yesterday(10))
    seen: collections.defaultdict[str, set[str]] = collections.defaultdict(set)
    state = _lifecycle_run(deployment, run_id, seen)
    tasks = deployment.tasks(LIFECYCLE, run_id)
    emit(
        "lifecycle",
        seconds=round(time.monotonic() - started, 1),
        state=state,
        sensor_states=sorted(seen["wait_until_called"] - {None}),
        triggers=sorted(seen["triggers run by the triggerer"]),
        tasks_per_worker=dict(collections.Counter(host for _, _, host in tasks.values())),
    )
    assert state == "success", f"{tasks}\n{_failure(deployment, LIFECYCLE, run_id)}"
    # The sensor went through 'deferred': the wait ran in the triggerer, not in a worker slot.
    assert "deferred" in seen["wait_until_called"]
    assert any(
        path.startswith("airflow_provider_wolkvox.triggers.")
        for path in seen["triggers run by the triggerer"]
    )
    assert {host for _, _, host in tasks.values()} <= set(WORKERS)
    (campaign,) = emulator.state()["campaigns"]
    assert campaign["status"] == "Stopped"
    assert campaign["pending_count"] == 0


def test_lifecycle_twice_the_same_day_and_once_without_a_logical_date(deployment: Deployment) -> None:
    """The README's promise: trigger the example again the same day, and with no logical date (the
    REST API's and `airflow dags trigger`'s default); every run succeeds with a campaign of its own."""
    started = time.monotonic()
    runs = [deployment.trigger(LIFECYCLE, _yesterday(11)), deployment.trigger(LIFECYCLE, None)]
    seen: collections.defaultdict[str, set[str]] = collections.defaultdict(set)
    states = {run_id: _lifecycle_run(deployment, run_id, seen) for run_id in runs}
    emit("lifecycle-again", seconds=round(time.monotonic() - started, 1), states=states)
    for run_id, state in states.items():
        assert state == "success", f"{run_id}: {deployment.tasks(LIFECYCLE, run_id)}\n" + _failure(
            deployment, LIFECYCLE, run_id
        )
    names = [c["campaign_name"] for c in deployment.emulator.state(include_records=False)["campaigns"]]
    assert len(names) == len(set(names)) >= len(runs), names


def _run_lanes(deployment: Deployment, dag_id: str) -> dict:
    emulator = deployment.emulator
    emulator.reset()
    emulator.set_latency(cases.LOAD_LATENCY)
    started = time.monotonic()
    run_id = deployment.trigger(dag_id, None)
    state = deployment.wait_run(dag_id, run_id, RUN_TIMEOUT)
    seconds = time.monotonic() - started
    emulator.set_latency(0)
    tasks = deployment.tasks(dag_id, run_id)
    snapshot = emulator.state()
    label = token_label(TOKEN)
    figures = {
        "dag_id": dag_id,
        "seconds": round(seconds, 1),
        "peak_in_flight": snapshot["peak_in_flight"].get(label, 0),
        "rejections": snapshot["rejections"].get(label, {}),
        "tasks_per_worker": dict(sorted(collections.Counter(host for _, _, host in tasks.values()).items())),
        "task_tries": sorted(tries for _, tries, _ in tasks.values()),
    }
    emit("load", **figures)
    FIGURES[dag_id] = figures
    assert state == "success", f"{dag_id} ended {state!r}: {tasks}\nfigures: {figures}"
    assert {task: ti_state for task, (ti_state, _, _) in tasks.items()} == {
        f"{kind}_{lane}": "success" for lane in range(cases.LOAD_LANES) for kind in ("create", "upload")
    }
    _assert_every_lane_exactly_once(dag_id, snapshot["campaigns"])
    assert set(figures["tasks_per_worker"]) <= set(WORKERS)
    return figures


def test_load_with_the_wolkvox_pool_peaks_at_2_in_flight_across_both_workers(deployment: Deployment) -> None:
    figures = _run_lanes(deployment, "wolkvox_load_pool")
    # The pool is global: two workers with 4 slots each still never put a 3rd call in flight.
    assert figures["peak_in_flight"] == 2
    assert figures["rejections"] == {}


def test_load_without_a_pool_backoff_gets_every_lane_through_exactly_once(deployment: Deployment) -> None:
    figures = _run_lanes(deployment, "wolkvox_load_no_pool")
    assert figures["peak_in_flight"] > 2
    assert figures["rejections"].get("concurrency", 0) > 0
    assert "quota" not in figures["rejections"]
    assert figures["task_tries"] == [1] * (2 * cases.LOAD_LANES)


def test_both_workers_ran_load_tasks(deployment: Deployment) -> None:
    ran = collections.Counter()
    for dag_id in ("wolkvox_load_pool", "wolkvox_load_no_pool"):
        figures = FIGURES.get(dag_id)
        if not isinstance(figures, dict):
            pytest.skip(f"{dag_id} did not run")
        ran.update(figures["tasks_per_worker"])
    emit("tasks-per-worker", **dict(sorted(ran.items())))
    assert set(ran) == set(WORKERS), f"tasks per worker: {dict(ran)}"


def _wait_task(deployment: Deployment, run_id: str, task_id: str, states: set[str]) -> tuple[str, int, str]:
    deadline = time.monotonic() + RUN_TIMEOUT
    while time.monotonic() < deadline:
        task = deployment.tasks(RETRY_DAG, run_id).get(task_id)
        if task and task[0] in states:
            return task
        assert deployment.run_state(RETRY_DAG, run_id) != "failed", deployment.tasks(RETRY_DAG, run_id)
        time.sleep(0.3)
    raise AssertionError(f"{task_id} never reached {states}: {deployment.tasks(RETRY_DAG, run_id)}")


def _retry_elsewhere(deployment: Deployment, run_id: str, task_id: str) -> dict:
    """Wait for ``task_id``'s first try to fail, stop the worker that ran it, wait for the retry
    to succeed (on the other worker, the only one left), start the stopped worker again."""
    _, _, first = _wait_task(deployment, run_id, task_id, {"up_for_retry"})
    stop_seconds = deployment.stop_worker(first)
    state, tries, second = _wait_task(deployment, run_id, task_id, {"success", "failed"})
    deployment.start_worker(first)
    return {"first_try": first, "retry": second, "state": state, "tries": tries, "stop_seconds": stop_seconds}


def test_a_retry_on_the_other_worker_reuses_the_campaign_and_resumes_the_upload(
    deployment: Deployment,
) -> None:
    emulator = deployment.emulator
    emulator.reset()
    # create, 1st try: the campaign list is read (a no-op fault takes that call), the create is
    # applied but its answer lost, and the list cannot be read to look for it (502): the try
    # fails with the creation pending in the task state store.
    emulator.inject_fault(api="campaigns", times=1, action="delay", latency=0)
    emulator.inject_fault(api="campaigns", times=1, status=502)
    emulator.inject_fault(api="create_campaign", times=1, action="drop_after")
    # upload, 1st try: chunks 1-3 stored (no-op faults), chunk 4 stored but its answer lost.
    stored = cases.DEPLOYMENT_RETRY_STORED
    emulator.inject_fault(api="add_record", times=stored - 1, action="delay", latency=0)
    emulator.inject_fault(api="add_record", times=1, action="drop_after")
    started = time.monotonic()
    run_id = deployment.trigger(RETRY_DAG, None)
    create = _retry_elsewhere(deployment, run_id, "create")
    # The restarted worker must be up again before the upload's retry, so that either can take it.
    wait_until_ready = time.monotonic() + 120
    while not deployment.worker_ready(create["first_try"]) and time.monotonic() < wait_until_ready:
        time.sleep(0.5)
    upload = _retry_elsewhere(deployment, run_id, "upload")
    state = deployment.wait_run(RETRY_DAG, run_id, RUN_TIMEOUT)
    snapshot = emulator.state()
    xcom = "SELECT value FROM xcom WHERE dag_id = %s AND run_id = %s AND task_id = 'upload' AND key = %s"
    rows = deployment.sql(xcom, RETRY_DAG, run_id, "return_value")
    summary = rows[0][0] if rows else {}
    summary = json.loads(summary) if isinstance(summary, str) else summary
    tries = {task: deployment.tries(RETRY_DAG, run_id, task) for task in ("create", "upload")}
    resumed = sum(1 for t in (create, upload) if t["state"] == "success" and t["first_try"] != t["retry"])
    figures = {
        "seconds": round(time.monotonic() - started, 1),
        "create": create,
        "upload": upload,
        "retries_resumed_on_another_worker": resumed,
        "chunks_already_stored": summary.get("chunks_already_stored"),
        "chunks_sent_by_the_retry": summary.get("chunks_sent_this_try"),
        "campaigns": len(snapshot["campaigns"]),
    }
    emit("retry-on-another-worker", **figures)
    FIGURES["retry"] = figures
    assert state == "success", f"{tries}\n{_failure(deployment, RETRY_DAG, run_id)}"
    for task, each in (("create", create), ("upload", upload)):
        # Two tries: the first failed on one worker, the retry succeeded on the other.
        assert [n for n, _, _ in tries[task]] == [1, 2], tries[task]
        assert each["first_try"] in WORKERS and each["retry"] in WORKERS
        assert [host for _, _, host in tries[task]] == [each["first_try"], each["retry"]], tries[task]
        assert each["first_try"] != each["retry"], each
    assert resumed == 2
    # One campaign: the retry adopted the one the first try created.
    (campaign,) = snapshot["campaigns"]
    ids = [record["customer_id"] for record in campaign["records"]]
    records, chunk = cases.DEPLOYMENT_RETRY_RECORDS, cases.DEPLOYMENT_RETRY_CHUNK
    assert sorted(ids) == [f"7{n:06d}" for n in range(records)], "a contact is missing or stored twice"
    # The retry sent only what the first try had not stored: chunks 1-4 of 6 were kept.
    assert summary.get("chunks_already_stored") == stored, summary
    assert summary.get("chunks_sent_this_try") == records // chunk - stored, summary
    logs = "".join(
        log.read_text(errors="replace")
        for log in (deployment.home / "logs").rglob("*.log")
        if f"dag_id={RETRY_DAG}" in str(log) and f"run_id={run_id}" in str(log)
    )
    assert "created by a request whose answer was lost" in logs


def _occurrences(data: bytes, token: str) -> int:
    """How often ``token`` is in ``data`` as it is, hex-encoded (PostgreSQL bytea), or base64-encoded
    at any alignment (Celery message bodies)."""
    raw = token.encode()
    forms = {raw, raw.hex().encode()}
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw)
        # The characters made of the token's bits only (each character holds 6 bits).
        forms.add(encoded[(8 * shift + 5) // 6 : 8 * (shift + len(raw)) // 6])
    return sum(data.count(form) for form in forms)


def test_the_token_is_in_no_dump_key_or_log(deployment: Deployment) -> None:
    started = time.monotonic()
    dump = deployment.postgres.dump()
    keys, redis_data = deployment.redis.everything()
    files = [p for p in deployment.home.rglob("*") if p.is_file() and not p.is_symlink()]
    files += [deployment.postgres.log, deployment.redis.log]
    logs = {str(path): _occurrences(path.read_bytes(), TOKEN) for path in files}
    figures = {
        "seconds": round(time.monotonic() - started, 1),
        "pg_dump_bytes": len(dump),
        "pg_dump": _occurrences(dump, TOKEN),
        "redis_keys": keys,
        "redis": _occurrences(redis_data, TOKEN),
        "files": len(files),
        "log_files": sum(1 for path in files if path.suffix in (".log", ".out")),
        "files_with_token": sorted(path for path, n in logs.items() if n),
    }
    emit("token-occurrences", **figures)
    # The search looks at real data: the dump holds the connections (their passwords encrypted)
    # and the runs, Redis holds Celery's keys, and the logs are there.
    assert b"wolkvox_default" in dump and RETRY_DAG.encode() in dump
    assert keys > 0
    assert any(Path(path).suffix == ".log" for path in logs)
    assert _occurrences(b"x" + base64.b64encode(b"ab" + TOKEN.encode()), TOKEN) == 1  # the search works
    assert figures["pg_dump"] == 0
    assert figures["redis"] == 0
    assert figures["files_with_token"] == []
