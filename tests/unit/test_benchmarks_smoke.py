"""Smoke test of the performance suite: ``benchmarks/run.py --quick --no-write`` runs end to end.

Only that it completes and prints every figure is checked; whether targets pass is noise on a
shared CI machine and is left to ``make bench``. A figure whose optional pieces are missing
(phonenumbers, moto, a PostgreSQL server) prints as ``skipped``, which passes; ``error`` fails.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import airflow
import pytest

REPO = Path(__file__).resolve().parents[2]
RUN = REPO / "benchmarks" / "run.py"
AIRFLOW_VERSION = tuple(int(part) for part in airflow.__version__.split(".")[:2])
FIGURES = (
    "import operators.campaign",
    "import operators.records",
    "import sensors.campaign",
    "dagbag parse example DAG",
    "hook create_campaign per call",
    "emulator GET rate (headroom)",
    "upload throughput",
    "upload throughput on_invalid=skip",
    "upload serial read (dry run)",
    "upload peak RSS growth (CSV)",
    "upload latency-bound",
    "upload latency-bound on_invalid=skip",
    "upload latency-bound serial read (dry run)",
    "hygiene on: cost per record",
    "upload peak RSS growth (S3)",
    "upload peak RSS growth (PostgreSQL)",
    "airflow tasks test wall time",
    "triggers: API calls per interval, 1 connection",
    "triggers: API calls per interval, 5 connections",
    "triggers: worst event-loop lag, 1 connection",
    "triggers: worst event-loop lag, 5 connections",
    "triggers: RSS per 100 waits",
    "triggers: API calls per interval, 40 unshared",
    "lifecycle API calls (25,000 records)",
    "sensor poke calls per hour of waiting",
)


@pytest.mark.integration
@pytest.mark.skipif(AIRFLOW_VERSION < (3, 3), reason="the performance suite measures the Airflow 3.3 target")
def test_quick_benchmark_run_prints_every_figure() -> None:
    proc = subprocess.run(
        [sys.executable, str(RUN), "--quick", "--no-write"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    table = proc.stdout
    rows = {line.split("  ", 1)[0]: line.split()[-1] for line in table.splitlines() if "  " in line}
    for name in FIGURES:
        assert name in rows, f"{name!r} missing from:\n{table}"
        assert rows[name] in ("pass", "FAIL", "info", "skipped"), f"{name!r}: {rows[name]}\n{table}"
