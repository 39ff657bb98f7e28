"""The deployment of tests/deployment: PostgreSQL + Redis + CeleryExecutor, two workers (issue #12).

PostgreSQL and Redis from Debian's packages (``make system-packages``), the Celery provider and
the drivers pinned in ``requirements/deployment-airflow-3.3.txt``; an Airflow home of its own with
an api-server, a scheduler, a dag-processor, a triggerer and two Celery workers (``worker-a`` and
``worker-b``), the connections in the metadata database (encrypted with a Fernet key), and the
Wolkvox emulator. Everything listens on 127.0.0.1 only: the components that would serve logs on
every interface are started with ``--skip-serve-logs`` (they share one home, so the api-server
reads every log from disk). Everything is torn down even when the set-up fails half-way.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from airflow_cli import (
    AIRFLOW,
    airflow_env,
    api_healthy,
    free_port,
    kill_home_processes,
    migrate,
    start_component,
    stop_group,
    wait_until,
)

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tests" / "reliability"))  # reliability_cases, the load DAGs' sizes

import reliability_cases as cases  # noqa: E402
import services  # noqa: E402

#: The token of the deployment's connections; the test searches for it everywhere afterwards.
TOKEN = "deploy-token-SECRET-5150"
WORKERS = cases.DEPLOYMENT_WORKERS
CONCURRENCY = cases.DEPLOYMENT_CONCURRENCY
#: The DAGs the deployment runs, each folder linked into its dags folder.
DAG_FOLDERS = {
    "example_dags": REPO / "example_dags",
    "load_dags": REPO / "tests" / "reliability" / "load_dags",
    "deployment_dags": HERE / "dags",
}
DAG_IDS = (
    "example_wolkvox_lifecycle",
    "wolkvox_load_pool",
    "wolkvox_load_no_pool",
    "wolkvox_deployment_retry",
)
ADMIN = "admin"


#: The JSON lines :func:`emit` printed, repeated in pytest's terminal summary (conftest.py).
EMITTED: list[str] = []


def emit(what: str, **figures: Any) -> None:
    """One JSON line of figures for the closing note (``pytest -s`` shows them as they come)."""
    line = json.dumps({"deployment": what, **figures})
    EMITTED.append(line)
    print(line, flush=True)


@dataclass
class Deployment:
    home: Path
    env: dict[str, str]
    port: int
    postgres: Any
    redis: Any
    emulator: Any
    password: str
    procs: dict[str, Any] = field(default_factory=dict)
    _jwt: str = ""

    # --- the metadata database -----------------------------------------------------------------

    def sql(self, query: str, *args: object) -> list[tuple]:
        import psycopg2

        with (
            psycopg2.connect(
                host="127.0.0.1",
                port=self.postgres.port,
                user=self.postgres.user,
                password=self.postgres.password,
                dbname=self.postgres.database,
            ) as db,
            db.cursor() as cursor,
        ):
            cursor.execute(query, args)
            rows = cursor.fetchall()
        db.close()
        return rows

    def run_state(self, dag_id: str, run_id: str) -> str:
        rows = self.sql("SELECT state FROM dag_run WHERE dag_id = %s AND run_id = %s", dag_id, run_id)
        return rows[0][0] if rows else ""

    def tasks(self, dag_id: str, run_id: str) -> dict[str, tuple[str, int, str]]:
        """{task_id: (state, try_number, hostname)} of a run."""
        rows = self.sql(
            "SELECT task_id, state, try_number, hostname FROM task_instance "
            "WHERE dag_id = %s AND run_id = %s",
            dag_id,
            run_id,
        )
        return {task: (state, tries, host) for task, state, tries, host in rows}

    def tries(self, dag_id: str, run_id: str, task_id: str) -> list[tuple[int, str, str]]:
        """[(try_number, state, hostname)] of every try of a task, earlier tries from the history."""
        earlier = self.sql(
            "SELECT try_number, state, hostname FROM task_instance_history "
            "WHERE dag_id = %s AND run_id = %s AND task_id = %s",
            dag_id,
            run_id,
            task_id,
        )
        state, tries, host = self.tasks(dag_id, run_id)[task_id]
        return sorted({*earlier, (tries, state, host)})

    def wait_run(self, dag_id: str, run_id: str, timeout: float, poll=None) -> str:
        """Wait for a run to end (calling ``poll()`` every half second meanwhile); its state."""
        deadline = time.monotonic() + timeout
        state = ""
        while time.monotonic() < deadline:
            if poll is not None:
                poll()
            state = self.run_state(dag_id, run_id)
            if state in ("success", "failed"):
                return state
            dead = [name for name, proc in self.procs.items() if proc.poll() is not None]
            assert not dead, f"{dead} exited during {dag_id} {run_id}"
            time.sleep(0.5)
        return state

    # --- the REST API ------------------------------------------------------------------------

    def api(self, method: str, path: str, body: Any = None) -> Any:
        if not self._jwt:
            self._jwt = self._request("POST", "/auth/token", {"username": ADMIN, "password": self.password})[
                "access_token"
            ]
        return self._request(method, path, body, {"Authorization": f"Bearer {self._jwt}"})

    def _request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> Any:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}",
            data=None if body is None else json.dumps(body).encode(),
            method=method,
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                return json.loads(answer.read() or b"null")
        except urllib.error.HTTPError as exc:
            raise AssertionError(f"{method} {path}: {exc.code} {exc.read()[:2000]!r}") from exc

    def trigger(self, dag_id: str, logical_date: str | None) -> str:
        """Trigger ``dag_id`` through the REST API (``logical_date`` None: sent as null); the run id."""
        run = self.api("POST", f"/api/v2/dags/{dag_id}/dagRuns", {"logical_date": logical_date})
        return str(run["dag_run_id"])

    # --- the Celery workers --------------------------------------------------------------------

    def start_worker(self, name: str) -> None:
        env = {**self.env, "WOLKVOX_DEPLOYMENT_WORKER": name}
        self.procs[name] = start_component(
            env,
            self.home,
            "celery",
            "worker",
            "--celery-hostname",
            f"{name}@%h",
            "--concurrency",
            str(CONCURRENCY),
            "--skip-serve-logs",
            "--without-mingle",
            "--without-gossip",
            name=name,
        )

    def stop_worker(self, name: str) -> float:
        """Stop a worker (warm shutdown: it has no task running); the seconds it took."""
        started = time.monotonic()
        stop_group(self.procs.pop(name), grace=30)
        return time.monotonic() - started

    def worker_ready(self, name: str) -> bool:
        return b"ready." in (self.home / f"{name}.out").read_bytes()


@contextlib.contextmanager
def running(home: Path) -> Iterator[Deployment]:
    """Start the deployment in the empty directory ``home``; stop all of it on the way out."""
    from airflow_provider_wolkvox.emulator import WolkvoxEmulator

    started = time.monotonic()
    dags = home / "dags"
    dags.mkdir()
    for name, folder in DAG_FOLDERS.items():
        (dags / name).symlink_to(folder, target_is_directory=True)
    password = secrets.token_urlsafe(16)
    passwords = home / "simple_auth_manager_passwords.json"
    passwords.write_text(json.dumps({ADMIN: password}))
    postgres = services.Postgres(secrets.token_urlsafe(16))
    redis_server = services.Redis()
    emulator = WolkvoxEmulator(tokens={TOKEN: 1_000_000})
    port = free_port()
    deployment: Deployment | None = None
    timings: dict[str, float] = {}
    try:
        postgres.start()
        redis_server.start()
        emulator.start()
        timings["postgres_redis_seconds"] = round(time.monotonic() - started, 1)
        env = airflow_env(
            home,
            dags,
            AIRFLOW__CORE__EXECUTOR="CeleryExecutor",
            AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=postgres.url,
            AIRFLOW__CELERY__BROKER_URL=redis_server.url,
            AIRFLOW__CELERY__RESULT_BACKEND="db+" + postgres.url,
            AIRFLOW__CORE__FERNET_KEY=base64.urlsafe_b64encode(os.urandom(32)).decode(),
            AIRFLOW__CORE__PARALLELISM=str(2 * cases.LOAD_LANES),
            AIRFLOW__CORE__HOSTNAME_CALLABLE="worker_hostname.hostname",
            AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"http://127.0.0.1:{port}/execution/",
            AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS=f"{ADMIN}:admin",
            AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE=str(passwords),
            AIRFLOW__API_AUTH__JWT_SECRET=secrets.token_urlsafe(32),
            AIRFLOW__API__SECRET_KEY=secrets.token_urlsafe(32),
            AIRFLOW__API__HOST="127.0.0.1",
            AIRFLOW__API__PORT=str(port),
            AIRFLOW__API__WORKERS="1",
            WOLKVOX_LOAD_LANES=str(cases.LOAD_LANES),
            WOLKVOX_LOAD_RECORDS=str(cases.LOAD_RECORDS),
            WOLKVOX_LOAD_CHUNK=str(cases.LOAD_CHUNK),
            WOLKVOX_RETRY_RECORDS=str(cases.DEPLOYMENT_RETRY_RECORDS),
            WOLKVOX_RETRY_CHUNK=str(cases.DEPLOYMENT_RETRY_CHUNK),
            PYTHONPATH=os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")])),
        )
        deployment = Deployment(home, env, port, postgres, redis_server, emulator, password)
        step = time.monotonic()
        migrate(env)
        # Backoff scaled down for a test, as in tests/reliability/test_shared_token_load.py.
        backoff = {"retry_attempts": 12, "retry_min_delay": 0.1, "retry_max_delay": 2}
        for conn_id, extra in (
            ("wolkvox_default", backoff),
            # One attempt per call: the retry test's faults reach the task, not the HTTP layer.
            ("wolkvox_deployment_retry", {"retry_attempts": 1}),
        ):
            conn = {"conn_type": "wolkvox", "host": emulator.url, "password": TOKEN, "extra": extra}
            done = _airflow(env, "connections", "add", conn_id, "--conn-json", json.dumps(conn))
            assert done.returncode == 0, done.stderr[-2000:]
        timings["migrate_seconds"] = round(time.monotonic() - step, 1)
        step = time.monotonic()
        for component in (
            ["api-server"],
            ["scheduler", "--skip-serve-logs"],
            ["dag-processor"],
            ["triggerer", "--skip-serve-logs"],
        ):
            deployment.procs[component[0]] = start_component(env, home, *component)
        for worker in WORKERS:
            deployment.start_worker(worker)
        procs = list(deployment.procs.values())
        wait_until("the api-server", lambda: api_healthy(port), 180, procs, home)
        serialized = "SELECT COUNT(*) FROM serialized_dag WHERE dag_id = ANY(%s)"
        wait_until(
            "the dag-processor to serialize the DAGs",
            lambda: deployment.sql(serialized, list(DAG_IDS)) == [(len(DAG_IDS),)],
            180,
            procs,
            home,
        )
        # New DAGs are paused, as by default; the ones the tests run are unpaused through the API
        # (the example folder holds a @daily DAG too, which must not run on its own).
        for dag_id in DAG_IDS:
            assert (
                deployment.api("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": False})["is_paused"] is False
            )
        wait_until(
            "both Celery workers", lambda: all(map(deployment.worker_ready, WORKERS)), 180, procs, home
        )
        timings["components_seconds"] = round(time.monotonic() - step, 1)
        emit(
            "set-up",
            seconds=round(time.monotonic() - started, 1),
            **timings,
            components=sorted(deployment.procs),
        )
        yield deployment
    finally:
        procs = list(deployment.procs.values()) if deployment else []
        for proc in procs:  # all at once, then wait for each
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            stop_group(proc)
        kill_home_processes(home)
        emulator.stop()
        redis_server.stop()
        postgres.stop()


def _airflow(env: dict[str, str], *args: str):
    return subprocess.run([AIRFLOW, *args], env=env, capture_output=True, text=True, timeout=300)
