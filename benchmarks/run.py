"""The performance suite (issue #6): every figure is ours against a baseline measured in this run.

    make bench                                  # full run, writes benchmarks/results/latest.{json,md}
    .venv/bin/python benchmarks/run.py --quick  # smoke run (tiny sizes, under a minute)
    .venv/bin/python benchmarks/run.py --only calls,upload --no-write

Groups: ``parse`` (operator import cost and DagBag parse), ``calls`` (hook per-call overhead and
the emulator's own rate), ``upload`` (1,000,000-record CSV, CPU-bound: throughput and peak RSS),
``latency`` (the emulator answering in 0.5 s a call), ``contacts`` (hygiene on vs off; peak RSS of
the S3 and PostgreSQL sources), ``task`` (``airflow tasks test`` wall time), ``triggers`` (500
deferred waits in one event loop: API calls per interval, event-loop lag, RSS), ``lifecycle``
(API calls of a create-upload-start-wait-stop rollout against the least possible). Each figure is the
median of several runs, interleaved with its baseline; the emulator runs in its own process.
Missed targets are reported, not fatal (``--strict`` makes them exit 1); a benchmark that crashes
always exits 1.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    BENCH_DIR,
    DAGS,
    PYTHON,
    REPO,
    WORKERS,
    EmulatorProcess,
    Figure,
    S3Process,
    Settings,
    child_env,
    median,
    run_child,
)
from datasets import write_csv, write_hygiene_data

RESULTS = BENCH_DIR / "results"
EXAMPLE_DAG = REPO / "example_dags" / "example_wolkvox_create_campaign.py"
BASELINE_DAG = DAGS / "http_create_campaign.py"
TASK_DAG_ID = "bench_task_overhead"
HTTP_MODULE = "airflow.providers.http.operators.http"
OPERATOR_MODULES = (
    "airflow_provider_wolkvox.operators.campaign",
    "airflow_provider_wolkvox.operators.records",
    "airflow_provider_wolkvox.sensors.campaign",
)
GROUPS = ("parse", "calls", "upload", "latency", "contacts", "task", "triggers", "lifecycle")

#: Every figure the suite reports, in table order (the smoke test checks they are all printed).
FIGURE_NAMES = {
    "parse": [
        *(f"import {m.split('.', 1)[1]}" for m in OPERATOR_MODULES),
        "dagbag parse example DAG",
    ],
    "calls": ["hook create_campaign per call", "emulator GET rate (headroom)"],
    "upload": [
        "upload throughput",
        "upload throughput on_invalid=skip",
        "upload serial read (dry run)",
        "upload peak RSS growth (CSV)",
    ],
    "latency": [
        "upload latency-bound",
        "upload latency-bound on_invalid=skip",
        "upload latency-bound serial read (dry run)",
    ],
    "contacts": [
        "hygiene on: cost per record",
        "upload peak RSS growth (S3)",
        "upload peak RSS growth (PostgreSQL)",
    ],
    "task": ["airflow tasks test wall time"],
    "triggers": [
        "triggers: API calls per interval, 1 connection",
        "triggers: API calls per interval, 5 connections",
        "triggers: worst event-loop lag, 1 connection",
        "triggers: worst event-loop lag, 5 connections",
        "triggers: RSS per 100 waits",
        "triggers: API calls per interval, 40 unshared",
    ],
    "lifecycle": ["lifecycle API calls (25,000 records)", "sensor poke calls per hour of waiting"],
}


class Context:
    def __init__(self, settings: Settings, tmp: Path, emulator: EmulatorProcess) -> None:
        self.settings = settings
        self.tmp = tmp
        self.emulator = emulator
        self.airflow_home = tmp / "airflow-home"
        self.airflow_home.mkdir()
        #: Connections of servers a group started (S3, PostgreSQL), for the children it runs.
        self.extra_env: dict[str, str] = {}
        self._csvs: dict[int, Path] = {}

    def csv(self, records: int) -> Path:
        """The upload figures' CSV of ``records`` records, written once per run."""
        if records not in self._csvs:
            path = self.tmp / f"records-{records}.csv"
            write_csv(path, records)
            self._csvs[records] = path
        return self._csvs[records]

    def env(self, **extra: str) -> dict[str, str]:
        return child_env(
            {
                "AIRFLOW_HOME": str(self.airflow_home),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
                "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
                "AIRFLOW_CONN_WOLKVOX_DEFAULT": self.emulator.wolkvox_conn(),
                "AIRFLOW_CONN_WOLKVOX_HTTP": self.emulator.http_conn(),
                **extra,
            }
        )


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- 1. parse cost


def bench_parse(ctx: Context) -> list[Figure]:
    runs = ctx.settings.import_runs
    env = ctx.env()
    present = [m for m in OPERATOR_MODULES if importlib.util.find_spec(m) is not None]
    samples: dict[str, list[float]] = {m: [] for m in [HTTP_MODULE, *present]}
    modules_added: dict[str, int] = {}
    log(f"parse: import time of {len(present)} operator module(s) and HttpOperator, {runs} runs each")
    for _ in range(runs):  # interleaved: one fresh interpreter per module per run
        for module in samples:
            result = run_child([str(WORKERS / "parse_cost.py"), "import", module], env)
            samples[module].append(result["seconds"])
            modules_added[module] = result["modules_added"]
    http_ms = median(samples[HTTP_MODULE]) * 1000
    figures = []
    for module in OPERATOR_MODULES:
        name = f"import {module.split('.', 1)[1]}"
        if module not in present:
            figures.append(Figure(name, "ms", status="skipped", note=f"{module} does not exist"))
            continue
        ours_ms = median(samples[module]) * 1000
        figures.append(
            Figure(
                name,
                "ms",
                ours=ours_ms,
                baseline=http_ms,
                ratio=ours_ms / http_ms,
                target=("<=", 0.10),
                target_text="<= 0.10x",
                note=f"added on top of `import airflow.sdk`; {modules_added[module]} new modules "
                f"vs {modules_added[HTTP_MODULE]} for HttpOperator",
                details={
                    "ours_runs_ms": [s * 1000 for s in samples[module]],
                    "baseline_runs_ms": [s * 1000 for s in samples[HTTP_MODULE]],
                },
            )
        )

    runs = ctx.settings.dagbag_runs
    log(f"parse: DagBag of the example DAG and its HttpOperator twin, {runs} runs each")
    ours_s: list[float] = []
    base_s: list[float] = []
    for _ in range(runs):
        ours_s.append(run_child([str(WORKERS / "parse_cost.py"), "dagbag", str(EXAMPLE_DAG)], env)["seconds"])
        base_s.append(
            run_child([str(WORKERS / "parse_cost.py"), "dagbag", str(BASELINE_DAG)], env)["seconds"]
        )
    ours_ms, base_ms = median(ours_s) * 1000, median(base_s) * 1000
    figures.append(
        Figure(
            "dagbag parse example DAG",
            "ms",
            ours=ours_ms,
            baseline=base_ms,
            ratio=ours_ms / base_ms,
            target=("<=", 1.0),
            target_text="<= 1.0x",
            note="DagBag(file) in a fresh interpreter after importing airflow.sdk and DagBag; "
            f"baseline: {BASELINE_DAG.relative_to(REPO)}",
            details={
                "ours_runs_ms": [s * 1000 for s in ours_s],
                "baseline_runs_ms": [s * 1000 for s in base_s],
            },
        )
    )
    return figures


# --------------------------------------------------------------------------- 2. per-call overhead


def bench_calls(ctx: Context) -> list[Figure]:
    calls, rounds = ctx.settings.calls, ctx.settings.call_rounds
    log(f"calls: {rounds} interleaved rounds of {calls} create_campaign calls, hook vs raw requests")
    ctx.emulator.reset()
    result = run_child([str(WORKERS / "calls.py"), ctx.emulator.url, str(calls), str(rounds)], ctx.env())
    ctx.emulator.reset()
    ours_ms = result["ours_median"] / calls * 1000
    raw_ms = result["raw_median"] / calls * 1000
    per_round = [o / r for o, r in zip(result["ours_seconds"], result["raw_seconds"], strict=True)]
    get_rate = calls / result["get_median"]
    raw_rate = calls / result["raw_median"]
    return [
        Figure(
            "hook create_campaign per call",
            "ms/call",
            ours=ours_ms,
            baseline=raw_ms,
            ratio=ours_ms / raw_ms,
            target=("<=", 1.10),
            target_text="<= 1.10x",
            note=f"{calls} calls x {rounds} rounds, WolkvoxHook().create_campaign vs requests.Session().post",
            details={
                "ours_round_s": result["ours_seconds"],
                "baseline_round_s": result["raw_seconds"],
                "per_round_ratio": per_round,
            },
        ),
        Figure(
            "emulator GET rate (headroom)",
            "req/s",
            ours=get_rate,
            baseline=raw_rate,
            ratio=get_rate / raw_rate,
            note="ours = emulator's raw keep-alive GET rate; baseline = raw create_campaign loop rate; "
            "ratio > 1 means the emulator is not the bottleneck",
            details={"get_round_s": result["get_seconds"]},
        ),
    ]


# --------------------------------------------------------------------------- 3. bulk upload


def run_upload(ctx: Context, spec: dict[str, Any], expected: int | None) -> dict[str, Any]:
    """One upload (``workers/upload.py``) into a new campaign of an emptied emulator.

    Checks that the emulator stores what the upload reported as added (and ``expected``, when
    given), then empties the emulator again: it would otherwise hold every record (about 1 GB per
    million).
    """
    ctx.emulator.reset()
    campaign_id = ctx.emulator.create_campaign("preview")
    spec = {**spec, "url": ctx.emulator.url, "campaign_id": campaign_id}
    result = run_child([str(WORKERS / "upload.py"), json.dumps(spec)], ctx.env(**ctx.extra_env))
    stored = ctx.emulator.record_count(campaign_id)
    ctx.emulator.reset()
    if stored != result["records"] or (expected is not None and stored != expected):
        raise RuntimeError(
            f"{spec['impl']} upload of {spec['source']} stored {stored} records "
            f"(reported {result['records']}), not {expected}"
        )
    return result


def interleaved(
    rounds: int, variants: dict[str, Callable[[int], dict[str, Any]]], label: str
) -> dict[str, list[dict[str, Any]]]:
    """Run every variant once a round, the order reversed every other round; results by variant."""
    names = list(variants)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for r in range(rounds):
        for name in names if r % 2 == 0 else names[::-1]:
            log(f"{label}: round {r + 1}/{rounds} {name}")
            runs[name].append(variants[name](r))
    return runs


def seconds_of(runs: list[dict[str, Any]]) -> list[float]:
    return [run["seconds"] for run in runs]


def bench_upload(ctx: Context) -> list[Figure]:
    names = FIGURE_NAMES["upload"]
    big, small, rounds = (
        ctx.settings.upload_records,
        ctx.settings.upload_small_records,
        ctx.settings.upload_rounds,
    )
    log(f"upload: CSVs of {big:,} and {small:,} records, {rounds} interleaved rounds, no latency")
    big_csv, small_csv = ctx.csv(big), ctx.csv(small)

    def csv_upload(impl: str, path: Path, size: int, **options: Any) -> Callable[[int], dict[str, Any]]:
        spec = {"impl": impl, "source": {"kind": "csv", "path": str(path)}, "options": options}
        return lambda _round: run_upload(ctx, spec, size)

    b, m = f"{big:,}", f"{small:,}"
    runs = interleaved(
        rounds,
        {
            f"ours {b}": csv_upload("ours", big_csv, big),
            f"baseline {b}": csv_upload("baseline", big_csv, big),
            f"ours on_invalid=skip {b}": csv_upload("ours", big_csv, big, on_invalid="skip"),
            f"ours dry run {b}": csv_upload("ours", big_csv, 0, dry_run=True),
            f"ours {m}": csv_upload("ours", small_csv, small),
            f"baseline {m}": csv_upload("baseline", small_csv, small),
        },
        "upload",
    )

    def rate(name: str) -> float:
        return median([big / s for s in seconds_of(runs[name])])

    def rss_mb(name: str) -> float:
        return median([run["maxrss_kb"] for run in runs[name]]) / 1024

    ours_rate, base_rate, skip_rate = (
        rate(f"ours {b}"),
        rate(f"baseline {b}"),
        rate(f"ours on_invalid=skip {b}"),
    )
    dry_rate = rate(f"ours dry run {b}")
    ours_growth = rss_mb(f"ours {b}") - rss_mb(f"ours {m}")
    base_growth = rss_mb(f"baseline {b}") - rss_mb(f"baseline {m}")
    return [
        Figure(
            names[0],
            "records/s",
            ours=ours_rate,
            baseline=base_rate,
            ratio=ours_rate / base_rate,
            target=(">=", 0.95),
            target_text=">= 0.95x",
            note=f"{big:,} CSV records, UploadCampaignRecordsOperator.execute() with its defaults "
            "(on_invalid='fail': reads once, checks every row and spools the encoded chunks before "
            "sending any; verify='warn': two campaign reads) vs DictReader + 10k chunks + json.dumps "
            "+ 2 threads + one session; CPU-bound (no emulator latency)",
            details={
                "ours_runs_s": seconds_of(runs[f"ours {b}"]),
                "baseline_runs_s": seconds_of(runs[f"baseline {b}"]),
            },
        ),
        Figure(
            names[1],
            "records/s",
            ours=skip_rate,
            baseline=base_rate,
            ratio=skip_rate / base_rate,
            note="diagnostic: the same operator with on_invalid='skip', which sends while it reads "
            "(no spool)",
            details={"ours_skip_runs_s": seconds_of(runs[f"ours on_invalid=skip {b}"])},
        ),
        Figure(
            names[2],
            "records/s",
            ours=dry_rate,
            baseline=base_rate,
            ratio=dry_rate / base_rate,
            note=f"diagnostic: the operator with dry_run=True on the same {big:,} records: read, check, "
            f"encode and spool, nothing sent ({big / dry_rate:.1f} s). The default on_invalid='fail' does "
            "all of this before its first request, so its time is about this plus a send phase as long "
            "as on_invalid='skip''s; the raw loop and on_invalid='skip' read while the emulator works",
            details={"ours_dry_run_runs_s": seconds_of(runs[f"ours dry run {b}"])},
        ),
        Figure(
            names[3],
            "MB",
            ours=ours_growth,
            baseline=base_growth,
            target=("<=", 20.0),
            target_of="ours",
            target_text="ours <= 20 MB",
            note=f"local CSV: peak RSS (ru_maxrss) at {big:,} minus at {small:,} records, each in its own "
            f"process; ours {rss_mb(f'ours {m}'):.0f} -> {rss_mb(f'ours {b}'):.0f} MB, "
            f"baseline {rss_mb(f'baseline {m}'):.0f} -> {rss_mb(f'baseline {b}'):.0f} MB",
            details={f"{name}_maxrss_mb": [run["maxrss_kb"] / 1024 for run in runs[name]] for name in runs},
        ),
    ]


# --------------------------------------------------------------------------- 4. latency-bound upload


def bench_latency(ctx: Context) -> list[Figure]:
    names = FIGURE_NAMES["latency"]
    records, chunk, latency, rounds = (
        ctx.settings.latency_records,
        ctx.settings.latency_chunk,
        ctx.settings.latency_seconds,
        ctx.settings.latency_rounds,
    )
    chunks = -(-records // chunk)
    log(
        f"latency: {records:,} CSV records in {chunks} chunks of {chunk:,}, emulator latency {latency} s a "
        f"call, {rounds} interleaved rounds"
    )
    path = ctx.csv(records)
    source = {"kind": "csv", "path": str(path)}

    def upload(impl: str, expected: int, **options: Any) -> Callable[[int], dict[str, Any]]:
        spec = {
            "impl": impl,
            "source": source,
            "chunk_size": chunk,
            "options": {"chunk_size": chunk, **options},
        }
        return lambda _round: run_upload(ctx, spec, expected)

    ctx.emulator.set_latency(latency)
    try:
        runs = interleaved(
            rounds,
            {
                "ours": upload("ours", records),
                "baseline": upload("baseline", records),
                "ours on_invalid=skip": upload("ours", records, on_invalid="skip"),
                "ours dry run": upload("ours", 0, dry_run=True),
            },
            "latency",
        )
    finally:
        ctx.emulator.set_latency(0)
    ours, base = median(seconds_of(runs["ours"])), median(seconds_of(runs["baseline"]))
    skip, dry = median(seconds_of(runs["ours on_invalid=skip"])), median(seconds_of(runs["ours dry run"]))
    calls = runs["ours"][0]["summary"]["api_calls"]
    model = base + dry + (calls - chunks) * latency
    sizes = f"{records:,} CSV records, chunk_size {chunk:,} ({chunks} add_record calls), {latency} s a call"
    return [
        Figure(
            names[0],
            "s",
            ours=ours,
            baseline=base,
            ratio=ours / base,
            target=("<=", 1.05),
            target_text="<= 1.05x",
            note=f"{sizes}, 2 in flight: the operator's defaults (on_invalid='fail', verify='warn': "
            f"{calls} API calls) vs the raw loop ({chunks} calls, reading overlapped with sending). "
            f"Model: raw + serial read (dry run) + {calls - chunks} verification reads x {latency} s = "
            f"{model:.1f} s",
            details={
                "ours_runs_s": seconds_of(runs["ours"]),
                "baseline_runs_s": seconds_of(runs["baseline"]),
            },
        ),
        Figure(
            names[1],
            "s",
            ours=skip,
            baseline=base,
            ratio=skip / base,
            note=f"diagnostic: {sizes}; on_invalid='skip' sends while it reads, as the raw loop does",
            details={"ours_skip_runs_s": seconds_of(runs["ours on_invalid=skip"])},
        ),
        Figure(
            names[2],
            "s",
            ours=dry,
            baseline=base,
            ratio=dry / base,
            note=f"diagnostic: the operator with dry_run=True on the same {records:,} records: read, check, "
            "encode and spool, nothing sent. With on_invalid='fail' this all happens before the first "
            "add_record, so it adds to the sending time instead of overlapping with it",
            details={"ours_dry_run_runs_s": seconds_of(runs["ours dry run"])},
        ),
    ]


# --------------------------------------------------------------------------- 5. contacts: hygiene, sources


def bench_contacts(ctx: Context) -> list[Figure]:
    return [bench_hygiene(ctx), *bench_sources(ctx)]


def bench_hygiene(ctx: Context) -> Figure:
    name = FIGURE_NAMES["contacts"][0]
    if importlib.util.find_spec("phonenumbers") is None:
        return Figure(name, "", status="skipped", note="phonenumbers is not installed (the [contacts] extra)")
    records, dnc, rounds = ctx.settings.hygiene_records, ctx.settings.hygiene_dnc, ctx.settings.hygiene_rounds
    csv_path, dnc_path = ctx.tmp / f"hygiene-{records}.csv", ctx.tmp / f"dnc-{dnc}.txt"
    data = write_hygiene_data(csv_path, dnc_path, records, dnc)
    log(
        f"hygiene: {records:,} records ({data.duplicates:,} duplicates, {data.blocked:,} on a do-not-call "
        f"list of {dnc:,}), on vs off, {rounds} interleaved rounds"
    )
    source = {"kind": "csv", "path": str(csv_path)}
    on_options = {"default_region": "CO", "dedupe": "phone", "dnc_lists": str(dnc_path)}

    def hygiene_on(round_: int) -> dict[str, Any]:
        spec = {"impl": "ours", "source": source, "options": on_options}
        if round_ == 0:  # time the do-not-call list's loading alone once, after the upload
            spec["dnc_block"] = str(dnc_path)
        return run_upload(ctx, spec, data.expected_accepted)

    def hygiene_off(_round: int) -> dict[str, Any]:
        return run_upload(ctx, {"impl": "ours", "source": source}, records)

    runs = interleaved(rounds, {"hygiene on": hygiene_on, "hygiene off": hygiene_off}, "hygiene")
    on_s, off_s = median(seconds_of(runs["hygiene on"])), median(seconds_of(runs["hygiene off"]))
    block_s = runs["hygiene on"][0]["dnc_block_seconds"]
    counts = runs["hygiene on"][0]["summary"]["hygiene"]
    per_on, per_off = on_s / records * 1e6, off_s / records * 1e6
    per_row_only = (on_s - block_s) / records * 1e6
    return Figure(
        name,
        "us/record",
        ours=per_on,
        baseline=per_off,
        ratio=per_on / per_off,
        note=f"{records:,} CSV records (phones in 5 national/international styles, 30% with a fixed "
        f"tel2), the operator with default_region='CO' + dedupe='phone' + dnc_lists (a {dnc:,}-number "
        f"file) vs the same without hygiene: {records / on_s:,.0f} vs {records / off_s:,.0f} records/s. "
        f"Of the hygiene run, loading the do-not-call list takes {block_s:.1f} s "
        f"({block_s / dnc * 1e6:.0f} us a number); the rows alone {per_row_only:.0f} us a record, "
        f"{per_row_only / per_off:.2f}x. Counts: {counts}",
        details={
            "on_runs_s": seconds_of(runs["hygiene on"]),
            "off_runs_s": seconds_of(runs["hygiene off"]),
            "dnc_block_s": block_s,
        },
    )


def bench_sources(ctx: Context) -> list[Figure]:
    """Peak RSS growth from the small to the large size for the S3 and PostgreSQL sources."""
    names = FIGURE_NAMES["contacts"][1:]
    big, small, rounds = (
        ctx.settings.source_records,
        ctx.settings.source_small_records,
        ctx.settings.source_rounds,
    )
    variants: dict[str, Callable[[int], dict[str, Any]]] = {}
    skipped: dict[str, str] = {}

    def upload(source: dict[str, Any], size: int) -> Callable[[int], dict[str, Any]]:
        return lambda _round: run_upload(ctx, {"impl": "ours", "source": source}, size)

    with contextlib.ExitStack() as stack:
        if importlib.util.find_spec("moto") is None or importlib.util.find_spec("s3fs") is None:
            skipped["s3"] = "moto or s3fs is not installed (requirements/contacts-airflow-3.3.txt)"
        else:
            files = [ctx.csv(big), ctx.csv(small)]
            log(f"sources: moto S3 server on 127.0.0.1 with CSVs of {big:,} and {small:,} records")
            s3 = stack.enter_context(S3Process(ctx.tmp / "s3.log", "bench", files))
            ctx.extra_env["AIRFLOW_CONN_BENCH_S3"] = s3.aws_conn()
            for size, file in zip((big, small), files, strict=True):
                source = {"kind": "s3", "url": f"s3://bench/{file.name}", "conn_id": "bench_s3"}
                variants[f"s3 {size:,}"] = upload(source, size)
        try:
            pg = start_postgres(ctx, stack, (big, small))
        except FileNotFoundError as exc:
            skipped["sql"] = str(exc)
        else:
            ctx.extra_env["AIRFLOW_CONN_BENCH_PG"] = pg
            for size in (big, small):
                source = {"kind": "sql", "sql": f"SELECT * FROM contacts_{size}", "conn_id": "bench_pg"}
                variants[f"sql {size:,}"] = upload(source, size)
        log(f"sources: {rounds} round(s) of {', '.join(variants)}")
        runs = interleaved(rounds, variants, "sources")
        ctx.extra_env.pop("AIRFLOW_CONN_BENCH_S3", None)
        ctx.extra_env.pop("AIRFLOW_CONN_BENCH_PG", None)

    figures = []
    for name, kind, what in zip(
        names,
        ("s3", "sql"),
        (
            "S3 (moto server on 127.0.0.1): path=ObjectStoragePath('s3://bench/...', conn_id=aws "
            "connection with endpoint_url), read in 8 MiB blocks",
            "PostgreSQL on 127.0.0.1: sql='SELECT * FROM contacts_N' (a table of N rows) through the "
            "postgres connection's hook, a server-side cursor",
        ),
        strict=True,
    ):
        if kind in skipped:
            figures.append(Figure(name, "", status="skipped", note=skipped[kind]))
            continue
        by_size = {size: runs[f"{kind} {size:,}"] for size in (big, small)}
        big_runs, small_runs = by_size[big], by_size[small]
        big_mb = median([run["maxrss_kb"] for run in big_runs]) / 1024
        small_mb = median([run["maxrss_kb"] for run in small_runs]) / 1024
        figures.append(
            Figure(
                name,
                "MB",
                ours=big_mb - small_mb,
                target=("<=", 20.0),
                target_of="ours",
                target_text="ours <= 20 MB",
                note=f"{what}; the operator's defaults; peak RSS at {big:,} minus at {small:,} records, each "
                f"in its own process: {small_mb:.0f} -> {big_mb:.0f} MB; "
                f"{big / median(seconds_of(big_runs)):,.0f} records/s at {big:,}",
                details={
                    f"{size}_maxrss_mb": [r["maxrss_kb"] / 1024 for r in rs] for size, rs in by_size.items()
                }
                | {f"{size}_runs_s": seconds_of(rs) for size, rs in by_size.items()},
            )
        )
    return figures


def start_postgres(ctx: Context, stack: contextlib.ExitStack, sizes: tuple[int, ...]) -> str:
    """A throwaway PostgreSQL server on 127.0.0.1 (the tests' starter) with a table per size;
    returns the AIRFLOW_CONN_ value of a postgres connection to it. FileNotFoundError when
    PostgreSQL is not installed."""
    sys.path.insert(0, str(REPO / "tests"))
    from postgres_server import Postgres

    server = Postgres("bench-password", database="contacts", prefix="wolkvox-bench-pg-")
    stack.callback(server.stop)
    log(f"sources: PostgreSQL {server.bin.parent.name} on 127.0.0.1:{server.port}, tables of {sizes} rows")
    server.start()
    for size in sizes:
        server.psql(
            f"CREATE TABLE contacts_{size} AS SELECT 'Customer ' || i AS customer_name, "
            "'C' || lpad(i::text, 9, '0') AS customer_id, '573' || lpad(i::text, 9, '0') AS tel1, "
            f"'Plan A' AS opt1, 'c' || i || '@example.com' AS email FROM generate_series(0, {size - 1}) AS i"
        )
    return server.airflow_connection()


# --------------------------------------------------------------------------- 6. task overhead


def bench_task(ctx: Context) -> list[Figure]:
    airflow = str(Path(PYTHON).with_name("airflow"))
    env = ctx.env()
    log("task: airflow db migrate (once)")
    subprocess.run([airflow, "db", "migrate"], env=env, check=True, capture_output=True, timeout=600)
    runs = ctx.settings.task_runs
    samples: dict[str, list[float]] = {"wolkvox_create": [], "http_create": []}
    for r in range(runs):
        order = ("wolkvox_create", "http_create") if r % 2 == 0 else ("http_create", "wolkvox_create")
        for task_id in order:
            log(f"task: run {r + 1}/{runs} airflow tasks test {TASK_DAG_ID} {task_id}")
            # Empty campaign list for both: CreateCampaignOperator looks the name up before creating
            # (if_exists="fail" would refuse a second 'Bench <ds>', and a longer list costs more).
            ctx.emulator.reset()
            start = time.perf_counter()
            proc = subprocess.run(
                [airflow, "tasks", "test", TASK_DAG_ID, task_id, "2026-11-28"],
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
            )
            seconds = time.perf_counter() - start
            if proc.returncode != 0 or "state=success" not in proc.stdout + proc.stderr:
                raise RuntimeError(f"tasks test {task_id} failed:\n{(proc.stdout + proc.stderr)[-3000:]}")
            samples[task_id].append(seconds)
    ctx.emulator.reset()
    ours, base = median(samples["wolkvox_create"]), median(samples["http_create"])
    spread = max(samples["http_create"]) - min(samples["http_create"])
    return [
        Figure(
            "airflow tasks test wall time",
            "s",
            ours=ours,
            baseline=base,
            ratio=ours / base,
            target=("<=", 1.0),
            target_text="<= 1.0x",
            note=f"CreateCampaignOperator (default if_exists='fail': a campaign-list GET, then the POST) "
            f"vs HttpOperator (the POST only), {runs} interleaved runs each; "
            f"baseline spread {spread:.2f} s",
            details={"ours_runs_s": samples["wolkvox_create"], "baseline_runs_s": samples["http_create"]},
        )
    ]


# --------------------------------------------------------------------------- 7. deferred waits

#: Connections of the 5-connection figure: each its own token (and so its own shared poller).
TRIGGER_TOKENS = [f"bench-conn-{i}" for i in range(5)]


def bench_triggers(ctx: Context) -> list[Figure]:
    """Many WolkvoxCampaignTriggers in one event loop (``workers/triggers.py``) on their own emulator."""
    names = FIGURE_NAMES["triggers"]
    waits, interval, intervals = (
        ctx.settings.trigger_waits,
        ctx.settings.trigger_interval,
        ctx.settings.trigger_intervals,
    )
    with EmulatorProcess(ctx.tmp / "emulator-triggers.log", extra_tokens=TRIGGER_TOKENS) as emulator:
        log(f"triggers: creating {waits} campaigns to wait on")
        campaign_ids = [emulator.create_campaign("preview") for _ in range(waits)]

        def run(tokens: list[str], count: int, shared: bool) -> dict[str, Any]:
            log(
                f"triggers: {count} waits on {len(tokens)} connection(s), shared={shared}, "
                f"{interval} s interval"
            )
            spec = {
                "url": emulator.url,
                "tokens": tokens,
                "campaign_ids": campaign_ids,
                "waits": count,
                "interval": interval,
                "intervals": intervals,
                "shared": shared,
            }
            return run_child([str(WORKERS / "triggers.py"), json.dumps(spec)], ctx.env())

        one = run(TRIGGER_TOKENS[:1], waits, True)
        five = run(TRIGGER_TOKENS, waits, True)
        unshared = run(TRIGGER_TOKENS[:1], min(40, waits), False)
    per_wait_unshared = unshared["calls_per_interval"] / unshared["waits"]
    window = f"counted over {intervals} intervals of {interval} s, emulator per-token counters"

    def calls(name: str, result: dict[str, Any], limit: float) -> Figure:
        by_connection = result["calls_per_interval_by_connection"]
        return Figure(
            name,
            "calls",
            ours=result["calls_per_interval"],
            baseline=per_wait_unshared * result["waits"],
            ratio=result["calls_per_interval"] / (per_wait_unshared * result["waits"]),
            target=("<=", limit),
            target_of="ours",
            target_text=f"<= {limit:g} per interval",
            note=f"{result['waits']} deferred waits in one event loop on {result['connections']} "
            f"connection(s); by connection {[round(c, 2) for c in by_connection]}; "
            f"{window}. Baseline: the unshared cost, {per_wait_unshared:.2f} calls per wait per interval "
            "(measured with 40 unshared waits) x the waits",
            details=result,
        )

    def lag(name: str, result: dict[str, Any]) -> Figure:
        return Figure(
            name,
            "ms",
            ours=result["worst_lag_ms"],
            target=("<=", 50.0),
            target_of="ours",
            target_text="<= 50 ms",
            note=f"how late a 5 ms sleep woke, worst over the whole run ({result['waits']} waits starting "
            f"over one interval, then {intervals} intervals of shared reads): "
            f"{result['worst_lag_ms']:.0f} ms, of which the longest garbage-collector pass "
            f"{result['worst_gc_pause_ms']:.0f} ms; outside GC passes "
            f"{result['worst_lag_outside_gc_ms']:.0f} ms. "
            f"While counting only: {result['window_worst_lag_ms']:.0f} ms "
            f"({result['window_worst_lag_outside_gc_ms']:.0f} ms outside GC passes)",
            details=result,
        )

    return [
        calls(names[0], one, 1.0),
        calls(names[1], five, 5.0),
        lag(names[2], one),
        lag(names[3], five),
        Figure(
            names[4],
            "MB",
            ours=one["rss_per_100_waits_mb"],
            note=f"process RSS with {one['waits']} waits ({one['rss_with_waits_mb']:.1f} MB) minus before "
            f"any ({one['rss_before_mb']:.1f} MB, Airflow and httpx loaded), per 100 waits; 5 connections: "
            f"{five['rss_per_100_waits_mb']:.2f} MB",
            details={"one": one, "five": five},
        ),
        Figure(
            names[5],
            "calls",
            ours=unshared["calls_per_interval"],
            note=f"{unshared['waits']} waits, each trigger with its own poller (the cost before sharing: one "
            f"read per trigger per interval); {window}. Besides these, the emulator refused "
            f"{unshared['rejected_per_interval']:.1f} calls per interval for a 3rd request in flight on "
            "the token (they cost no quota but fail that trigger's check)",
            details=unshared,
        ),
    ]


# --------------------------------------------------------------------------- 8. lifecycle calls

LIFECYCLE_RECORDS = 25_000
#: The emulator dials 10,000 records a second and the sensor pokes every second, so the wait
#: takes a few polls; what the wait costs an hour at the default interval is scaled from them.
LIFECYCLE_DIAL_RATE = 10_000
LIFECYCLE_POKE_INTERVAL = 1.0


def bench_lifecycle(ctx: Context) -> list[Figure]:
    from airflow_provider_wolkvox.sensors.campaign import DEFAULT_POKE_INTERVAL

    log(f"lifecycle: create, upload {LIFECYCLE_RECORDS:,}, start, wait, stop; counting API calls")
    result = run_child(
        [
            str(WORKERS / "lifecycle_calls.py"),
            ctx.emulator.url,
            str(LIFECYCLE_RECORDS),
            str(LIFECYCLE_DIAL_RATE),
            str(LIFECYCLE_POKE_INTERVAL),
        ],
        ctx.env(),
    )
    steps, polls, least = result["steps"], result["polls"], result["minimum_same_polls"]
    pokes_an_hour = 3600 / DEFAULT_POKE_INTERVAL
    breakdown = ", ".join(f"{step} {calls}" for step, calls in steps.items())
    adds = least - polls - 3
    lifecycle_note = (
        f"every operator's defaults: {breakdown} "
        f"(client count = emulator count {result['emulator_counted']}); "
        f"baseline = the least for the same work and {polls} polls: 1 create + {adds} add_record (10,000 a "
        f"request) + 1 start + {polls} polls + 1 stop ({result['minimum_one_poll']} with a single poll). "
        "The 3 extra calls: the name lookup of if_exists='fail' and the two count reads of verify='warn'"
    )
    poke_note = (
        f"{result['calls_per_poke']:.0f} call per poke x {pokes_an_hour:.0f} pokes an hour at the default "
        f"{DEFAULT_POKE_INTERVAL:.0f} s interval, per sensor waiting in poke or reschedule mode "
        "(N sensors: N times that). Deferred, the triggers on one connection share one read per "
        "interval (issue 14 item 1): that much per connection, whatever the number of sensors"
    )
    return [
        Figure(
            "lifecycle API calls (25,000 records)",
            "calls",
            ours=result["ours"],
            baseline=least,
            ratio=result["ours"] / least,
            note=lifecycle_note,
            details=result,
        ),
        Figure(
            "sensor poke calls per hour of waiting",
            "calls/h",
            ours=result["calls_per_poke"] * pokes_an_hour,
            note=poke_note,
        ),
    ]


BENCHES: dict[str, Callable[[Context], list[Figure]]] = {
    "parse": bench_parse,
    "calls": bench_calls,
    "upload": bench_upload,
    "latency": bench_latency,
    "contacts": bench_contacts,
    "task": bench_task,
    "triggers": bench_triggers,
    "lifecycle": bench_lifecycle,
}


# --------------------------------------------------------------------------- output


def fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}" if abs(value) < 1 else f"{value:.2f}"


def table_rows(figures: list[Figure]) -> list[list[str]]:
    rows = [["figure", "ours", "baseline", "ratio", "target", "result"]]
    for f in figures:
        unit = f" {f.unit}" if f.unit and f.ours is not None else ""
        rows.append(
            [
                f.name,
                fmt(f.ours) + unit,
                fmt(f.baseline) + (f" {f.unit}" if f.baseline is not None else ""),
                f"{f.ratio:.3f}x" if f.ratio is not None else "-",
                f.target_text or "info",
                f.status,
            ]
        )
    return rows


def render_text(figures: list[Figure]) -> str:
    rows = table_rows(figures)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def render_markdown(figures: list[Figure], meta: dict[str, object]) -> str:
    rows = table_rows(figures)
    out = [
        "# Benchmark results",
        "",
        f"Run {meta['finished']} ({'quick' if meta['quick'] else 'full'} run, {meta['seconds']:.0f} s) on "
        f"{meta['machine']}, Python {meta['python']}, Airflow {meta['airflow']}, commit {meta['commit']}.",
        "Regenerate with `make bench`. Ratios are ours / baseline, each side the median of several runs "
        "measured in the same run, interleaved. See `benchmarks/README.md` for what each figure measures.",
        "",
        "| " + " | ".join(rows[0]) + " |",
        "|" + "---|" * len(rows[0]),
    ]
    out += ["| " + " | ".join(row) + " |" for row in rows[1:]]
    out += ["", "## Notes", ""]
    out += [f"- **{f.name}**: {f.note}" for f in figures if f.note]
    return "\n".join(out) + "\n"


def metadata(settings: Settings, started: float, load: float) -> dict[str, object]:
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True).stdout.strip()
        except OSError:
            return "unknown"

    try:
        from importlib.metadata import version

        airflow_version = version("apache-airflow")
    except Exception:
        airflow_version = "unknown"
    return {
        "finished": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "quick": settings.quick,
        "seconds": time.time() - started,
        "python": platform.python_version(),
        "airflow": airflow_version,
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average {load:.2f} at start",
        "commit": git("rev-parse", "--short", "HEAD") + (" (dirty)" if git("status", "--porcelain") else ""),
        "settings": vars(settings),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Wolkvox provider performance suite (issue #6).")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run of under a minute")
    parser.add_argument("--no-write", action="store_true", help="do not write benchmarks/results/latest.*")
    parser.add_argument(
        "--only", default=",".join(GROUPS), help=f"comma-separated groups: {','.join(GROUPS)}"
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--output-dir", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    groups = [g.strip() for g in args.only.split(",") if g.strip()]
    unknown = set(groups) - set(GROUPS)
    if unknown:
        parser.error(f"unknown group(s): {', '.join(sorted(unknown))}")

    settings = Settings.make(args.quick)
    started = time.time()
    load_at_start = os.getloadavg()[0]
    figures: list[Figure] = []
    crashed = False
    with tempfile.TemporaryDirectory(prefix="wolkvox-bench-") as tmp_name:
        tmp = Path(tmp_name)
        with EmulatorProcess(tmp / "emulator.log") as emulator:
            ctx = Context(settings, tmp, emulator)
            for group in groups:
                try:
                    figures += [f.judge() for f in BENCHES[group](ctx)]
                except Exception as exc:
                    crashed = True
                    traceback.print_exc()
                    figures += [
                        Figure(name, "", status="error", note=f"{type(exc).__name__}: {str(exc)[:300]}")
                        for name in FIGURE_NAMES[group]
                    ]
    meta = metadata(settings, started, load_at_start)
    print(render_text(figures))
    if not args.no_write:
        args.output_dir.mkdir(parents=True, exist_ok=True)
        payload = {"meta": meta, "figures": [f.to_dict() for f in figures]}
        (args.output_dir / "latest.json").write_text(json.dumps(payload, indent=2) + "\n")
        (args.output_dir / "latest.md").write_text(render_markdown(figures, meta))
        print(f"\nwrote {args.output_dir / 'latest.json'} and {args.output_dir / 'latest.md'}")
    missed = [f.name for f in figures if f.status == "FAIL"]
    if missed:
        print(f"\ntargets missed: {', '.join(missed)}")
    if crashed:
        return 1
    return 1 if (args.strict and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
