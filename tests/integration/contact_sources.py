"""Real contact sources for the tests and benchmarks: an S3 server, PostgreSQL, SQLite.

Nothing needs to be running beforehand; each piece starts on 127.0.0.1 and stops again.

* **S3**: :class:`MotoS3` runs moto's S3 in server mode (``moto.server.ThreadedMotoServer``: a
  real HTTP server, in a thread of the test process) on 127.0.0.1 and a free port; with
  ``in_process=False`` (for memory benchmarks) it is a ``python -m moto.server`` subprocess
  instead. Airflow reaches it through an ``aws`` connection whose extra holds its
  ``endpoint_url`` (:meth:`MotoS3.connection`): the Amazon provider then serves ``s3://`` URLs and
  ``ObjectStoragePath`` for that connection with s3fs. moto and the provider are pinned in
  ``requirements/contacts-airflow-<minor>.txt`` (``.venv`` and ``.venv-2.10``).
* **PostgreSQL**: tests/postgres_server.py's throwaway server (Debian's ``postgresql`` package,
  installed by ``make system-packages``; the tests run ``initdb`` and ``postgres`` themselves, see
  that module), one per test session, reached through a ``postgres`` connection
  (:func:`postgres_connection`).
* **SQLite**: a database file in a temporary directory, through a ``sqlite`` connection
  (:func:`sqlite_connection`).

Connections are given to Airflow as ``AIRFLOW_CONN_<ID>`` environment variables (JSON).

The pytest fixtures built on these live in tests/integration/conftest.py: ``moto_s3`` (session),
``s3_bucket`` (a new bucket, and the ``aws`` connection :data:`AWS_CONN_ID` set for the test),
``postgres_server`` (session), ``postgres_conn_id`` (the ``postgres`` connection
:data:`POSTGRES_CONN_ID` set for the test) and ``sqlite_conn_id`` (:data:`SQLITE_CONN_ID`, an empty
database file of the test's own; its path is ``sqlite_path``). A benchmark outside pytest uses
the classes and functions here directly (put tests/ and tests/integration/ on ``sys.path``).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from airflow_cli import free_port, stop_group

#: The ids of the connections the fixtures define.
AWS_CONN_ID = "wolkvox_s3"
POSTGRES_CONN_ID = "wolkvox_pg"
SQLITE_CONN_ID = "wolkvox_sqlite"
#: moto accepts any credentials; these are what the `aws` connection carries.
S3_KEY_ID, S3_SECRET, S3_REGION = "testing", "testing", "us-east-1"


def env_name(conn_id: str) -> str:
    """The environment variable that defines connection ``conn_id``."""
    return f"AIRFLOW_CONN_{conn_id.upper()}"


class MotoS3:
    """moto's S3 served over HTTP on 127.0.0.1 and a free port (see the module docstring)."""

    def __init__(self, *, in_process: bool = True) -> None:
        self.in_process = in_process
        self.port = 0
        self._server: Any = None
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> MotoS3:
        if self.in_process:
            import logging

            from moto.server import ThreadedMotoServer

            logging.getLogger("werkzeug").setLevel(logging.WARNING)  # a line per request otherwise

            self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
            self._server.start()
            self.port = int(self._server.get_host_and_port()[1])
        else:
            self.port = free_port()
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            deadline = time.monotonic() + 60
            while not _listening(self.port):
                assert self._proc.poll() is None, "moto.server exited"
                assert time.monotonic() < deadline, "moto.server did not start"
                time.sleep(0.1)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._proc is not None:
            stop_group(self._proc, grace=10)
            self._proc = None

    def client(self) -> Any:
        """A boto3 S3 client of this server (to create buckets and read what a test wrote)."""
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=S3_KEY_ID,
            aws_secret_access_key=S3_SECRET,
            region_name=S3_REGION,
        )

    def new_bucket(self, prefix: str = "contacts") -> str:
        name = f"{prefix}-{secrets.token_hex(4)}"
        self.client().create_bucket(Bucket=name)
        return name

    def connection(self) -> str:
        """An ``aws`` connection to this server, as the JSON of an ``AIRFLOW_CONN_*`` variable."""
        return json.dumps(
            {
                "conn_type": "aws",
                "login": S3_KEY_ID,
                "password": S3_SECRET,
                "extra": {"endpoint_url": self.endpoint_url, "region_name": S3_REGION},
            }
        )


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@contextlib.contextmanager
def running_moto_s3(*, in_process: bool = True) -> Iterator[MotoS3]:
    server = MotoS3(in_process=in_process)
    try:
        yield server.start()
    finally:
        server.stop()


@contextlib.contextmanager
def running_postgres() -> Iterator[Any]:
    """A started tests/postgres_server.py server with user ``wolkvox`` and database ``contacts``."""
    import postgres_server

    server = postgres_server.Postgres(
        secrets.token_urlsafe(16), user="wolkvox", database="contacts", prefix="wolkvox-contacts-pg-"
    )
    try:
        server.start()
        yield server
    finally:
        server.stop()


def sqlite_connection(path: str | os.PathLike[str]) -> str:
    """A ``sqlite`` connection to the database file ``path``, as an ``AIRFLOW_CONN_*`` JSON value."""
    return json.dumps({"conn_type": "sqlite", "host": os.fspath(Path(path).resolve())})


def missing_python_packages() -> list[str]:
    """The pinned packages of requirements/contacts-airflow-<minor>.txt this venv lacks."""
    import importlib.util

    wanted = {
        "moto": "moto",
        "boto3": "boto3",
        "s3fs": "s3fs",
        "airflow.providers.amazon": "apache-airflow-providers-amazon",
        "airflow.providers.postgres": "apache-airflow-providers-postgres",
        "airflow.providers.sqlite": "apache-airflow-providers-sqlite",
    }
    missing = []
    for module, package in wanted.items():
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            missing.append(package)
    return missing
