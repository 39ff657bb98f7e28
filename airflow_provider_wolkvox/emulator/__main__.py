"""Console script: ``wolkvox-emulator`` / ``python -m airflow_provider_wolkvox.emulator``."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any

from .server import WolkvoxEmulator

DEFAULT_QUOTA = 100_000


def parse_token(spec: str) -> tuple[str, int]:
    """``name`` or ``name:daily_quota``."""
    name, sep, quota = spec.rpartition(":")
    if sep and quota.isdigit() and name:
        return name, int(quota)
    if not spec:
        raise argparse.ArgumentTypeError("a token cannot be empty")
    return spec, DEFAULT_QUOTA


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wolkvox-emulator", description="Run a local Wolkvox v2 API emulator."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port (0 = any free port; default 8765)")
    parser.add_argument(
        "--token",
        action="append",
        type=parse_token,
        metavar="NAME[:QUOTA]",
        help=f"accepted wolkvox-token and its daily quota (default {DEFAULT_QUOTA}); repeatable. "
        "Default: demo-token",
    )
    parser.add_argument("--state", metavar="FILE", help="SQLite file that keeps campaigns across restarts")
    parser.add_argument("--max-in-flight", type=int, default=2, help="concurrent requests per token (2)")
    parser.add_argument("--max-records", type=int, default=10_000, help="records per add_record (10000)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every API call")
    parser.add_argument(
        "--dial-rate",
        type=float,
        default=0.0,
        help="records a second a Started campaign calls (default 0: never)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    tokens = dict(args.token or [("demo-token", DEFAULT_QUOTA)])
    emulator = WolkvoxEmulator(
        host=args.host,
        port=args.port,
        tokens=tokens,
        state_file=args.state,
        max_in_flight=args.max_in_flight,
        max_records=args.max_records,
    )
    emulator.set_latency(args.latency)
    emulator.set_dial_rate(args.dial_rate)
    stopping = threading.Event()

    def _stop(signum: int, frame: Any) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    emulator.start()
    print(f"Wolkvox emulator listening on {emulator.url}", flush=True)
    try:
        while not stopping.wait(0.5):
            pass
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
