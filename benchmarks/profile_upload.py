"""Where the default upload's serial phase goes: the read-check-encode-spool pass, stage by stage.

With ``on_invalid="fail"`` (the default) RecordUpload reads, checks, encodes and spools every
record before its first request, because nothing may be sent while a later row could still be
invalid. That pass is what a dry run does. This script times it on a generated CSV, cumulatively
by stage, in one process with no Airflow (the engine is plain Python), then profiles it::

    .venv/bin/python benchmarks/profile_upload.py --records 1000000
    .venv/bin/python benchmarks/profile_upload.py --records 200000 --top 20

Stages (each includes the ones before): ``csv.reader`` alone; ``read_records`` (the validator's
CSV fast path: cleaned record dicts); ``+ chunks encoded and hashed`` (json.dumps of 10,000
records and the chunk's blake2b, as RecordUpload does); ``RecordUpload dry run`` (the engine's own
pass: the generators, counting, spooling to a temporary file). Each stage is the best of
``--repeat`` runs, so other load on the machine inflates it as little as possible.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import hashlib
import io
import logging
import pstats
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from datasets import write_csv

from airflow_provider_wolkvox.client.records import RecordValidator, encode_chunk
from airflow_provider_wolkvox.client.upload import RecordUpload

CHUNK = 10_000


def stages(path: Path) -> dict[str, Callable[[], None]]:
    validator = RecordValidator("preview")

    def reader() -> None:
        with open(path, newline="", encoding="utf-8") as handle:
            for _ in csv.reader(handle):
                pass

    def records() -> None:
        for _ in validator.read_records(path):
            pass

    def encoded() -> None:
        buffer = []
        for _, record in validator.read_records(path):
            buffer.append(record)
            if len(buffer) == CHUNK:
                hashlib.blake2b(encode_chunk(buffer), digest_size=16).hexdigest()
                buffer = []

    def dry_run() -> None:
        RecordUpload(
            client_factory=lambda: None,  # type: ignore[arg-type, return-value]  # never called
            campaign_id="1",
            type_campaign="preview",
            rows=validator.read_records(path),
            dry_run=True,
            verify="off",
            log=logging.getLogger("profile"),
        ).run()

    return {
        "csv.reader": reader,
        "read_records (cleaned dicts)": records,
        "+ chunks encoded and hashed": encoded,
        "RecordUpload dry run (+ engine, spool)": dry_run,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--top", type=int, default=12, help="functions listed by the profile")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wolkvox-profile-") as tmp:
        path = Path(tmp) / "records.csv"
        write_csv(path, args.records)
        previous = 0.0
        print(f"{args.records:,} records, best of {args.repeat}:")
        for name, stage in stages(path).items():
            best = float("inf")
            for _ in range(args.repeat):
                start = time.perf_counter()
                stage()
                best = min(best, time.perf_counter() - start)
            per = best / args.records * 1e6
            print(f"  {name:40s} {best:6.2f} s  {per:5.2f} us/record  (+{(best - previous):.2f} s)")
            previous = best
        profile = cProfile.Profile()
        profile.enable()
        stages(path)["RecordUpload dry run (+ engine, spool)"]()
        profile.disable()
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(args.top)
        print("\ncProfile of the dry run (tottime; the profiler itself slows it down about 2x):")
        print("\n".join(line for line in out.getvalue().splitlines() if line.strip()))


if __name__ == "__main__":
    main()
