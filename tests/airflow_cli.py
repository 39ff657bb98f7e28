"""Helpers for tests that run the real Airflow CLI and servers in a throwaway AIRFLOW_HOME."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
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
    """Create the SQLite metadata DB of ``env``'s AIRFLOW_HOME, and the `wolkvox` pool."""
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
