"""The performance suite (issue #6): every figure is ours against a baseline measured in this run.

    make bench                                  # full run, writes benchmarks/results/latest.{json,md}
    .venv/bin/python benchmarks/run.py --quick  # smoke run (tiny sizes, under a minute)
    .venv/bin/python benchmarks/run.py --only calls,upload --no-write

Groups: ``parse`` (operator import cost and DagBag parse), ``calls`` (hook per-call overhead and
the emulator's own rate), ``upload`` (1,000,000-record CSV: throughput and peak RSS), ``task``
(``airflow tasks test`` wall time). Each figure is the median of several runs, interleaved with
its baseline; the emulator runs in its own process. Missed targets are reported, not fatal
(``--strict`` makes them exit 1); a benchmark that crashes always exits 1.
"""

from __future__ import annotations

import argparse
import csv
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

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    BENCH_DIR,
    DAGS,
    PYTHON,
    REPO,
    WORKERS,
    EmulatorProcess,
    Figure,
    Settings,
    child_env,
    median,
    run_child,
)

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
GROUPS = ("parse", "calls", "upload", "task")

#: Every figure the suite reports, in table order (the smoke test checks they are all printed).
FIGURE_NAMES = {
    "parse": [
        *(f"import {m.split('.', 1)[1]}" for m in OPERATOR_MODULES),
        "dagbag parse example DAG",
    ],
    "calls": ["hook create_campaign per call", "emulator GET rate (headroom)"],
    "upload": ["upload throughput", "upload peak RSS growth", "upload throughput on_invalid=skip"],
    "task": ["airflow tasks test wall time"],
}


class Context:
    def __init__(self, settings: Settings, tmp: Path, emulator: EmulatorProcess) -> None:
        self.settings = settings
        self.tmp = tmp
        self.emulator = emulator
        self.airflow_home = tmp / "airflow-home"
        self.airflow_home.mkdir()

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


def write_csv(path: Path, records: int) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["customer_name", "customer_id", "tel1", "opt1", "email"])
        for i in range(records):
            writer.writerow([f"Customer {i}", f"C{i:09d}", f"573{i:09d}", "Plan A", f"c{i}@example.com"])


def upload_once(ctx: Context, impl: str, path: Path, expected: int) -> dict[str, float]:
    ctx.emulator.reset()
    campaign_id = ctx.emulator.create_campaign("preview")
    result = run_child(
        [str(WORKERS / "upload.py"), impl, str(path), ctx.emulator.url, campaign_id], ctx.env()
    )
    stored = ctx.emulator.record_count(campaign_id)
    ctx.emulator.reset()  # the emulator would otherwise hold every record (about 1 GB per million)
    if result["records"] != expected or stored != expected:
        raise RuntimeError(
            f"{impl} upload stored {stored} records (reported {result['records']}), not {expected}"
        )
    return result


def bench_upload(ctx: Context) -> list[Figure]:
    names = FIGURE_NAMES["upload"]
    if importlib.util.find_spec("airflow_provider_wolkvox.operators.records") is None:
        note = "airflow_provider_wolkvox.operators.records does not exist yet"
        return [Figure(name, "", status="skipped", note=note) for name in names]
    big, small, rounds = (
        ctx.settings.upload_records,
        ctx.settings.upload_small_records,
        ctx.settings.upload_rounds,
    )
    big_csv, small_csv = ctx.tmp / "records-big.csv", ctx.tmp / "records-small.csv"
    log(f"upload: writing CSVs of {big:,} and {small:,} records")
    write_csv(big_csv, big)
    write_csv(small_csv, small)
    runs: dict[tuple[str, int], list[dict[str, float]]] = {}
    for r in range(rounds):
        order = ("ours", "baseline") if r % 2 == 0 else ("baseline", "ours")
        for impl in (*order, "ours-skip"):
            sizes = ((big, big_csv), (small, small_csv)) if impl != "ours-skip" else ((big, big_csv),)
            for size, path in sizes:
                log(f"upload: round {r + 1}/{rounds} {impl} {size:,} records")
                runs.setdefault((impl, size), []).append(upload_once(ctx, impl, path, size))

    def rate(impl: str) -> float:
        return median([big / run["seconds"] for run in runs[(impl, big)]])

    def rss_mb(impl: str, size: int) -> float:
        return median([run["maxrss_kb"] for run in runs[(impl, size)]]) / 1024

    ours_rate, base_rate, skip_rate = rate("ours"), rate("baseline"), rate("ours-skip")
    ours_growth = rss_mb("ours", big) - rss_mb("ours", small)
    base_growth = rss_mb("baseline", big) - rss_mb("baseline", small)
    return [
        Figure(
            names[0],
            "records/s",
            ours=ours_rate,
            baseline=base_rate,
            ratio=ours_rate / base_rate,
            target=(">=", 0.90),
            target_text=">= 0.90x",
            note=f"{big:,} CSV records, UploadCampaignRecordsOperator.execute() (defaults) vs "
            "DictReader + 10k chunks + json.dumps + 2 threads + one session",
            details={
                "ours_runs_s": [run["seconds"] for run in runs[("ours", big)]],
                "baseline_runs_s": [run["seconds"] for run in runs[("baseline", big)]],
            },
        ),
        Figure(
            names[1],
            "MB",
            ours=ours_growth,
            baseline=base_growth,
            target=("<=", 20.0),
            target_of="ours",
            target_text="ours <= 20 MB",
            note=f"peak RSS (ru_maxrss) at {big:,} minus at {small:,} records, each in its own process; "
            f"ours {rss_mb('ours', small):.0f} -> {rss_mb('ours', big):.0f} MB, "
            f"baseline {rss_mb('baseline', small):.0f} -> {rss_mb('baseline', big):.0f} MB",
            details={
                f"{impl}_{size}_maxrss_mb": [run["maxrss_kb"] / 1024 for run in runs[(impl, size)]]
                for impl, size in runs
            },
        ),
        Figure(
            names[2],
            "records/s",
            ours=skip_rate,
            baseline=base_rate,
            ratio=skip_rate / base_rate,
            note="diagnostic: the same operator with on_invalid='skip', i.e. without the validation "
            "pre-pass that the default on_invalid='fail' makes over the whole file",
            details={"ours_skip_runs_s": [run["seconds"] for run in runs[("ours-skip", big)]]},
        ),
    ]


# --------------------------------------------------------------------------- 4. task overhead


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


BENCHES: dict[str, Callable[[Context], list[Figure]]] = {
    "parse": bench_parse,
    "calls": bench_calls,
    "upload": bench_upload,
    "task": bench_task,
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
