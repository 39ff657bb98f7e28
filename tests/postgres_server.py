"""A throwaway PostgreSQL server from Debian's packages, for any test that needs a real one.

How the tests find or start it: nothing needs to be running. :class:`Postgres` finds Debian's
server binaries (``/usr/lib/postgresql/<major>/bin``, installed by ``make system-packages`` from
``requirements/apt-packages.txt``; else ``initdb`` on PATH), creates a new cluster with ``initdb``
in a temporary directory, and starts ``postgres`` listening on 127.0.0.1 only, on a free port,
with scram-sha-256 password logins; :meth:`Postgres.stop` stops it and removes the directory, and
is safe to call at any point of a failed start. PostgreSQL refuses to run as root, so as root it
runs as the ``postgres`` user the Debian package creates (``runuser``). Durability is switched
off (``fsync=off``...): the data is thrown away anyway.

Users: the deployment test (tests/deployment/services.py) and the contact-source tests
(tests/integration/contact_sources.py, the ``postgres_server`` fixture).
"""

from __future__ import annotations

import glob
import json
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from airflow_cli import free_port, stop_group


def postgres_bin() -> Path:
    """Debian's newest PostgreSQL server binaries (they are not on PATH there)."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3].split(".")[0])
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    raise FileNotFoundError("PostgreSQL is not installed: apt-get install postgresql (make system-packages)")


class Postgres:
    """``postgres`` with scram-sha-256 password logins over TCP on 127.0.0.1 only."""

    def __init__(
        self, password: str, *, user: str = "airflow", database: str = "airflow", prefix: str = "wolkvox-pg-"
    ) -> None:
        self.password = password
        self.user = user
        self.database = database
        self.bin = postgres_bin()
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix=prefix))
        self.data = self.dir / "data"
        self.log = self.dir / "postgres.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self._as: list[str] = []
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.dir, owner.pw_uid, owner.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]

    @property
    def url(self) -> str:
        return f"postgresql+psycopg2://{self.user}:{self.password}@127.0.0.1:{self.port}/{self.database}"

    def airflow_connection(self) -> str:
        """A ``postgres`` connection to this server, as the JSON of an ``AIRFLOW_CONN_*`` variable."""
        return json.dumps(
            {
                "conn_type": "postgres",
                "host": "127.0.0.1",
                "port": self.port,
                "login": self.user,
                "password": self.password,
                "schema": self.database,
            }
        )

    def client_env(self) -> dict[str, str]:
        return {**os.environ, "PGPASSWORD": self.password, "PGHOST": "127.0.0.1", "PGPORT": str(self.port)}

    def start(self) -> None:
        pwfile = self.dir / "pwfile"
        pwfile.write_text(self.password)
        if self._as:
            shutil.chown(pwfile, "postgres")
        initdb = [str(self.bin / "initdb"), "-D", str(self.data), "-U", self.user, f"--pwfile={pwfile}"]
        initdb += ["--auth-host=scram-sha-256", "--auth-local=scram-sha-256", "-E", "UTF8", "--no-locale"]
        done = subprocess.run([*self._as, *initdb], capture_output=True, text=True, timeout=120)
        pwfile.unlink()
        assert done.returncode == 0, f"initdb failed: {done.stdout[-2000:]}{done.stderr[-2000:]}"
        settings = {
            "listen_addresses": "127.0.0.1",
            "port": str(self.port),
            "unix_socket_directories": str(self.dir),
            # A test database: durability buys nothing here and costs the 2 cores time.
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "200",
        }
        args = [arg for key, value in settings.items() for arg in ("-c", f"{key}={value}")]
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [*self._as, str(self.bin / "postgres"), "-D", str(self.data), *args],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while True:
            ready = subprocess.run(
                [str(self.bin / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)], capture_output=True
            )
            if ready.returncode == 0:
                break
            assert self.proc.poll() is None, f"postgres exited: {self.log.read_text()[-2000:]}"
            assert time.monotonic() < deadline, f"postgres did not start: {self.log.read_text()[-2000:]}"
            time.sleep(0.2)
        self.psql(f"CREATE DATABASE {self.database}", database="postgres")

    def psql(self, sql: str, database: str | None = None) -> str:
        done = subprocess.run(
            [str(self.bin / "psql"), "-U", self.user, "-d", database or self.database, "-XAtq", "-c", sql],
            env=self.client_env(),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def dump(self) -> bytes:
        """A plain-SQL ``pg_dump`` of the database, with every table's data."""
        done = subprocess.run(
            [str(self.bin / "pg_dump"), "-U", self.user, "-d", self.database, "--no-owner"],
            env=self.client_env(),
            capture_output=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr.decode(errors="replace")
        return done.stdout

    def stop(self) -> None:
        if self.proc is not None:
            # SIGTERM (smart shutdown) then SIGKILL: every client is gone by now.
            stop_group(self.proc, grace=20)
        shutil.rmtree(self.dir, ignore_errors=True)
