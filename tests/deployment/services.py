"""A throwaway PostgreSQL and Redis for the deployment test, from Debian's packages.

Both listen on 127.0.0.1 and a free port only, keep their data in a temporary directory, and
are stopped (and their directory removed) by :meth:`stop`, which is safe to call at any point
of a failed start. PostgreSQL is tests/postgres_server.py's (shared with the contact-source
tests), with the deployment's own directory prefix.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import postgres_server
from airflow_cli import free_port, stop_group
from postgres_server import postgres_bin


class Postgres(postgres_server.Postgres):
    """The metadata database of the deployment: user and database ``airflow``."""

    def __init__(self, password: str) -> None:
        super().__init__(password, prefix="wolkvox-deploy-pg-")


def missing_packages() -> list[str]:
    """The Debian packages this test needs and cannot find."""
    missing = []
    try:
        postgres_bin()
    except FileNotFoundError:
        missing.append("postgresql")
    if not shutil.which("redis-server"):
        missing.append("redis-server")
    return missing


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
