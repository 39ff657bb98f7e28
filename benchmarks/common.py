"""Shared pieces of the performance suite: figures, statistics, child processes, the emulator.

Every measurement that could be disturbed by the runner itself (imports, HTTP clients, uploads,
Airflow CLI runs) happens in a child interpreter; this module only starts them and reads the one
``BENCH_RESULT {json}`` line each child prints last.
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
WORKERS = BENCH_DIR / "workers"
DAGS = BENCH_DIR / "dags"
PYTHON = sys.executable
RESULT_MARK = "BENCH_RESULT "
TOKEN = "demo-token"
#: The emulator's daily quota for the benchmark token: never the limiting factor.
TOKEN_QUOTA = 1_000_000_000


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


@dataclass
class Settings:
    """Sizes and repetitions; ``quick`` shrinks everything to a smoke run."""

    quick: bool
    import_runs: int
    dagbag_runs: int
    calls: int
    call_rounds: int
    upload_records: int
    upload_small_records: int
    upload_rounds: int
    task_runs: int
    #: Latency-bound upload: records, records per chunk, emulator seconds per call, rounds.
    latency_records: int
    latency_chunk: int
    latency_seconds: float
    latency_rounds: int
    #: Hygiene on vs off: records, do-not-call numbers in the user's list, rounds.
    hygiene_records: int
    hygiene_dnc: int
    hygiene_rounds: int
    #: Peak RSS of the S3 and PostgreSQL sources: the large and small sizes, rounds.
    source_records: int
    source_small_records: int
    source_rounds: int
    #: Deferred waits in one event loop: waits, their poll interval (s), intervals counted.
    trigger_waits: int
    trigger_interval: float
    trigger_intervals: int

    @classmethod
    def make(cls, quick: bool) -> Settings:
        if quick:
            return cls(
                quick=True,
                import_runs=2,
                dagbag_runs=2,
                calls=20,
                call_rounds=2,
                upload_records=20_000,
                upload_small_records=2_000,
                upload_rounds=1,
                task_runs=1,
                latency_records=20_000,
                latency_chunk=2_000,
                latency_seconds=0.5,
                latency_rounds=1,
                hygiene_records=5_000,
                hygiene_dnc=2_000,
                hygiene_rounds=1,
                source_records=20_000,
                source_small_records=2_000,
                source_rounds=1,
                trigger_waits=50,
                trigger_interval=0.5,
                trigger_intervals=2,
            )
        return cls(
            quick=False,
            import_runs=9,
            dagbag_runs=7,
            calls=500,
            call_rounds=5,
            upload_records=1_000_000,
            upload_small_records=100_000,
            upload_rounds=3,
            task_runs=5,
            latency_records=200_000,
            latency_chunk=10_000,
            latency_seconds=0.5,
            latency_rounds=3,
            hygiene_records=200_000,
            hygiene_dnc=100_000,
            hygiene_rounds=3,
            source_records=1_000_000,
            source_small_records=100_000,
            source_rounds=1,
            trigger_waits=500,
            trigger_interval=1.0,
            trigger_intervals=10,
        )


@dataclass
class Figure:
    """One row of the result table.

    ``ratio`` is ours / baseline unless the figure says otherwise; ``target`` is ``(op, value)``
    with op ``<=`` or ``>=`` applied to ``target_of`` (``ratio`` or ``ours``); no target means
    the figure is informational.
    """

    name: str
    unit: str
    ours: float | None = None
    baseline: float | None = None
    ratio: float | None = None
    target: tuple[str, float] | None = None
    target_of: str = "ratio"
    target_text: str = ""
    status: str = "info"  # pass | FAIL | info | skipped | error
    note: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def judge(self) -> Figure:
        if self.status in ("skipped", "error"):
            return self
        if self.target is None:
            self.status = "info"
            return self
        op, limit = self.target
        value = self.ratio if self.target_of == "ratio" else self.ours
        if value is None:
            self.status = "error"
            return self
        ok = value <= limit if op == "<=" else value >= limit
        self.status = "pass" if ok else "FAIL"
        return self

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["target"] = list(self.target) if self.target else None
        return data


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of every child: no inherited AIRFLOW_* settings, the repo importable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    env.update(extra or {})
    return env


def run_child(args: Sequence[str], env: dict[str, str], timeout: float = 900) -> dict[str, Any]:
    """Run a worker script; return the JSON it printed after RESULT_MARK. Raise with its stderr."""
    proc = subprocess.run(
        [PYTHON, *args], env=env, capture_output=True, text=True, timeout=timeout, cwd=str(REPO)
    )
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_MARK):
            if proc.returncode != 0:
                break
            return json.loads(line[len(RESULT_MARK) :])
    tail = (proc.stderr or proc.stdout)[-3000:]
    raise RuntimeError(f"{' '.join(args)} exited {proc.returncode}:\n{tail}")


def emit(result: dict[str, Any]) -> None:
    """What a worker prints as its last line."""
    print(RESULT_MARK + json.dumps(result), flush=True)


class EmulatorProcess:
    """The emulator's console script in its own process (so it never shares the client's GIL)."""

    def __init__(self, log_path: Path, extra_tokens: Sequence[str] = ()) -> None:
        self.log_path = log_path
        #: Tokens accepted besides TOKEN (the triggers group gives each connection its own).
        self.extra_tokens = tuple(extra_tokens)
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""

    def __enter__(self) -> EmulatorProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        cmd = [
            PYTHON,
            "-m",
            "airflow_provider_wolkvox.emulator",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--token",
            f"{TOKEN}:{TOKEN_QUOTA}",
            *(arg for token in self.extra_tokens for arg in ("--token", f"{token}:{TOKEN_QUOTA}")),
        ]
        self.proc = subprocess.Popen(
            cmd,
            env=child_env(),
            stdout=subprocess.PIPE,
            stderr=open(self.log_path, "w"),  # noqa: SIM115 - closed with the process
            text=True,
            cwd=str(REPO),
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if "listening on" not in line:
            self.stop()
            raise RuntimeError(f"the emulator did not start: {line!r}; see {self.log_path}")
        self.url = line.rsplit(" ", 1)[-1].strip()
        if not self.url.startswith("http://127.0.0.1:"):
            self.stop()
            raise RuntimeError(f"the emulator is not on 127.0.0.1: {self.url}")

    @property
    def port(self) -> int:
        return int(urllib.parse.urlsplit(self.url).port or 0)

    def admin(self, method: str, action: str, payload: Any = None) -> Any:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            body = json.dumps(payload).encode() if payload is not None else b""
            conn.request(method, f"/_emulator/{action}", body=body or None)
            response = conn.getresponse()
            return json.loads(response.read() or b"null")
        finally:
            conn.close()

    def reset(self) -> None:
        self.admin("POST", "reset")

    def set_latency(self, seconds: float) -> None:
        """Seconds the emulator sleeps in every API call (kept across resets)."""
        self.admin("POST", "latency", {"seconds": seconds})

    def create_campaign(self, type_campaign: str = "preview") -> str:
        """A campaign to upload into, created with a raw request (not timed)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            body = json.dumps({"campaign_name": "bench upload", "skill_id": "12"}).encode()
            conn.request(
                "POST",
                f"/api/v2/campaign.php?api=create_campaign&type_campaign={type_campaign}",
                body=body,
                headers={
                    "wolkvox-token": TOKEN,
                    "wolkvox_server": "0042",
                    "Content-Type": "application/json",
                },
            )
            answer = json.loads(conn.getresponse().read())
            return str(answer["data"][0]["id_campaign"])
        finally:
            conn.close()

    def record_count(self, campaign_id: str) -> int:
        state = self.admin("GET", "state?records=false")
        for campaign in state.get("campaigns", []):
            if str(campaign.get("campaign_id")) == campaign_id:
                return int(campaign.get("record_count", 0))
        return -1

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=15)
        if self.proc.stdout:
            self.proc.stdout.close()
        self.proc = None

    def wolkvox_conn(self) -> str:
        """AIRFLOW_CONN_WOLKVOX_DEFAULT for the emulator, with the default timeout and retry policy."""
        return json.dumps(
            {
                "conn_type": "wolkvox",
                "host": self.url,
                "password": TOKEN,
                "extra": {"server_id": "0042"},
            }
        )

    def http_conn(self) -> str:
        """AIRFLOW_CONN_WOLKVOX_HTTP: the same emulator for HttpOperator, token headers in extra."""
        return json.dumps(
            {
                "conn_type": "http",
                "host": "127.0.0.1",
                "port": self.port,
                "schema": "http",
                "password": TOKEN,
                "extra": {"wolkvox-token": TOKEN, "wolkvox_server": "0042"},
            }
        )


def timed(fn: Any, *args: Any, **kwargs: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn(*args, **kwargs)
    return time.perf_counter() - start, value


class S3Process:
    """moto's S3 server on 127.0.0.1 in its own process (``workers/s3_server.py``), holding ``files``."""

    def __init__(self, log_path: Path, bucket: str, files: Sequence[Path]) -> None:
        self.log_path = log_path
        self.bucket = bucket
        self.files = list(files)
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""

    def __enter__(self) -> S3Process:
        cmd = [PYTHON, str(WORKERS / "s3_server.py"), self.bucket, *map(str, self.files)]
        self.proc = subprocess.Popen(
            cmd,
            env=child_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=open(self.log_path, "w"),
            text=True,
            cwd=str(REPO),
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.startswith("S3_READY http://127.0.0.1:"):
            self.__exit__()
            raise RuntimeError(f"the S3 server did not start: {line!r}; see {self.log_path}")
        self.url = line.split()[1]
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is None:
            return
        if self.proc.stdin:
            self.proc.stdin.close()  # the server stops when its stdin closes
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.terminate()
            self.proc.wait(timeout=15)
        if self.proc.stdout:
            self.proc.stdout.close()
        self.proc = None

    def aws_conn(self) -> str:
        """An Airflow aws connection for this server (endpoint_url in extra)."""
        return json.dumps(
            {
                "conn_type": "aws",
                "login": "bench",
                "password": "bench",
                "extra": {"endpoint_url": self.url, "region_name": "us-east-1"},
            }
        )
