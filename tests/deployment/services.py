"""A throwaway PostgreSQL and Redis for the deployment test, from Debian's packages.

Both listen on 127.0.0.1 and a free port only, keep their data in a temporary directory, and
are stopped (and their directory removed) by :meth:`stop`, which is safe to call at any point
of a failed start. PostgreSQL refuses to run as root, so as root it runs as the ``postgres``
user the Debian package creates (``runuser``); as anyone else it runs as that user.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from airflow_cli import free_port, stop_group


def _postgres_bin() -> Path:
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


def missing_packages() -> list[str]:
    """The Debian packages this test needs and cannot find."""
    missing = []
    try:
        _postgres_bin()
    except FileNotFoundError:
        missing.append("postgresql")
    if not shutil.which("redis-server"):
        missing.append("redis-server")
    return missing


class Postgres:
    """``postgres`` with scram-sha-256 password logins over TCP on 127.0.0.1 only."""

    user = "airflow"
    database = "airflow"

    def __init__(self, password: str) -> None:
        self.password = password
        self.bin = _postgres_bin()
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="wolkvox-deploy-pg-"))
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
        """A plain-SQL ``pg_dump`` of the metadata database, with every table's data."""
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


class Redis:
    """``redis-server`` on 127.0.0.1 only, with no persistence (nothing written to disk)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="wolkvox-deploy-redis-"))
        self.log = self.dir / "redis.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = ["--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"]
        # Uncompressed DUMP payloads, so that the token search reads every value as it is.
        args += ["--rdbcompression", "no", "--dir", str(self.dir), "--logfile", str(self.log)]
        self.proc = subprocess.Popen(
            ["redis-server", *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while self.cli("PING").strip() != "PONG":
            assert self.proc.poll() is None, f"redis-server exited: {self._log_tail()}"
            assert time.monotonic() < deadline, f"redis-server did not start: {self._log_tail()}"
            time.sleep(0.2)

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            ["redis-cli", "-h", "127.0.0.1", "-p", str(self.port), *args],
            capture_output=True,
            text=True,
            timeout=30,
        )
        return done.stdout

    def everything(self) -> tuple[int, bytes]:
        """(number of keys, every key and value of every database, as bytes) for the token search:
        each value read by its type (GET, LRANGE, HGETALL, SMEMBERS, ZRANGE, XRANGE) and DUMPed."""
        import redis

        keys = 0
        chunks: list[bytes] = []
        for db in range(16):
            client = redis.Redis(host="127.0.0.1", port=self.port, db=db)
            for key in client.scan_iter(count=1000):
                keys += 1
                chunks += [key, repr(_read(client, key)).encode(), client.dump(key) or b""]
            client.close()
        return keys, b"\n".join(chunks)

    def _log_tail(self) -> str:
        with contextlib.suppress(OSError):
            return self.log.read_text(errors="replace")[-2000:]
        return ""

    def stop(self) -> None:
        if self.proc is not None:
            stop_group(self.proc, grace=10)
        shutil.rmtree(self.dir, ignore_errors=True)


def _read(client, key: bytes) -> object:
    """A Redis value, read by its type."""
    kind = client.type(key).decode()
    if kind == "string":
        return client.get(key)
    if kind == "list":
        return client.lrange(key, 0, -1)
    if kind == "hash":
        return client.hgetall(key)
    if kind == "set":
        return client.smembers(key)
    if kind == "zset":
        return client.zrange(key, 0, -1, withscores=True)
    if kind == "stream":
        return client.xrange(key)
    return kind
