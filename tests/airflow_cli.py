"""Helpers for tests that run the real Airflow CLI and servers in a throwaway AIRFLOW_HOME."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterable
from pathlib import Path

#: The `airflow` command of the virtualenv running the tests.
AIRFLOW = str(Path(sys.executable).with_name("airflow"))


def airflow_env(home: Path, dags_folder: Path, **settings: str) -> dict[str, str]:
    """This process's environment without its AIRFLOW* variables, for an Airflow in ``home``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AIRFLOW")}
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__DAGS_FOLDER=str(dags_folder),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__LOGGING__LOGGING_LEVEL="INFO",
    )
    env.update(settings)
    return env


def migrate(env: dict[str, str], *, wolkvox_pool: bool = True) -> None:
    """Create the metadata DB of ``env`` (SQLite in its AIRFLOW_HOME unless ``env`` names another),
    and the `wolkvox` pool."""
    commands = [["db", "migrate"]]
    if wolkvox_pool:
        commands.append(["pools", "set", "wolkvox", "2", "Wolkvox: 2 requests in flight per token"])
    for command in commands:
        done = subprocess.run([AIRFLOW, *command], env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop_group(process: subprocess.Popen[bytes], grace: float = 15.0) -> None:
    """SIGTERM the process group of a server started with ``start_new_session=True``, then
    SIGKILL whatever is left of it (servers fork workers into their group)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=grace)


# --- whole deployments (api-server, scheduler, workers...) in a throwaway home ----------------


def start_component(
    env: dict[str, str], home: Path, *args: str, name: str | None = None
) -> subprocess.Popen[bytes]:
    """Start ``airflow <args>`` with its output in ``home/<name>.out``, in a process group of its
    own so that :func:`stop_group` stops the processes it forks too."""
    name = name or args[0]
    with (home / f"{name}.out").open("ab") as log:
        return subprocess.Popen(
            [AIRFLOW, *args], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )


def api_healthy(port: int) -> bool:
    """Whether the api-server on 127.0.0.1:``port`` answers its health check."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/monitor/health", timeout=2) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def wait_until(
    what: str,
    check: Callable[[], object],
    timeout: float,
    procs: Iterable[subprocess.Popen[bytes]] = (),
    logs: Path | None = None,
) -> None:
    """Poll ``check`` until it is true; AssertionError (with the tail of ``logs/*.out``) when
    ``timeout`` seconds pass or one of ``procs`` exits first."""
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
    tails = ""
    if logs is not None:
        tails = "\n".join(
            f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}" for log in sorted(logs.glob("*.out"))
        )
    raise AssertionError(f"{problem}\n{tails}")


def kill_home_processes(home: Path) -> None:
    """SIGKILL every process whose environment has AIRFLOW_HOME=``home`` (task processes run in
    process groups of their own, so stopping the components' groups can leave them behind)."""
    marker = f"AIRFLOW_HOME={home}\0".encode()
    for environ in Path("/proc").glob("[0-9]*/environ"):
        with contextlib.suppress(OSError):
            if marker in environ.read_bytes():
                os.kill(int(environ.parent.name), signal.SIGKILL)
