"""Render docs/reliability.md from the tables in tests/reliability/reliability_cases.py.

    python scripts/reliability_doc.py          # (re)write docs/reliability.md
    python scripts/reliability_doc.py --check  # exit 1 if docs/reliability.md is not up to date

The tables are the ones the reliability tests run, so the document says what is tested.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "reliability.md"
sys.path.insert(0, str(REPO / "tests" / "reliability"))

import reliability_cases as cases  # noqa: E402


def cell(text: str) -> str:
    """Plain text for a Markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def code(value: object) -> str:
    """A value's repr as an inline code span that is safe in a table cell."""
    text = repr(value).replace("|", "\\|")
    fence = "``" if "`" in text else "`"
    pad = " " if fence == "``" else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def ordinal(n: int) -> str:
    return {1: "1st", 2: "2nd", 3: "3rd"}.get(n, f"{n}th")


def outcome_text(outcome: cases.Outcome) -> str:
    text = cell(outcome.result)
    if outcome.fails is None and outcome.tries and outcome.tries > 1:
        text += f" ({ordinal(outcome.tries)} try)"
    elif outcome.fails is not None and outcome.tries:
        text += f" (after {outcome.tries} {'try' if outcome.tries == 1 else 'tries'})"
    return text


def both(with_store: str, without_store: str) -> str:
    if with_store == without_store:
        return with_store
    return f"**3.3+:** {with_store}<br>**before 3.3:** {without_store}"


def fault_table() -> list[str]:
    lines = [
        "| case | call | fault | what happens | task outcome | server state afterwards |",
        "|---|---|---|---|---|---|",
    ]
    for case in cases.FAULT_CASES:
        happens = cell(case.happens)
        if case.bug:
            happens += f"<br>**Known bug** (test marked xfail): {cell(case.bug.removeprefix('BUG: '))}"
        outcome = both(outcome_text(case.with_store), outcome_text(case.without_store))
        state = both(cell(case.server_state(True)), cell(case.server_state(False)))
        lines.append(
            f"| `{case.id}` | {cell(case.call)} | {cell(case.fault)} | {happens} | {outcome} | {state} |"
        )
    return lines


def bad_input_table() -> list[str]:
    lines = [
        "| case | operator / connection | field | value | the error says |",
        "|---|---|---|---|---|",
    ]
    for case in cases.BAD_INPUTS:
        where = "connection" if case.target == cases.CONNECTION else f"`{case.target}`"
        field = f"`{case.named}`"
        if case.named != case.argument:
            field += f" (in `{case.argument}`)"
        says = cell(f"… {case.says} …")
        if case.bug:
            says += f"<br>**Known bug** (test marked xfail): {cell(case.bug.removeprefix('BUG: '))}"
        lines.append(f"| `{case.id}` | {where} | {field} | {code(case.value)} | {says} |")
    return lines


def load_section() -> list[str]:
    lines = [
        "## Shared-token load",
        "",
        "`tests/reliability/test_shared_token_load.py` starts a real Airflow 3 deployment in a "
        "throwaway home (api-server, scheduler with the LocalExecutor, dag-processor, SQLite) and "
        f"runs the DAGs of `tests/reliability/load_dags/`: {cases.LOAD_LANES} lanes, each creating a "
        f"preview campaign and uploading {cases.LOAD_RECORDS} contacts in chunks of {cases.LOAD_CHUNK}, "
        f"every task in its own process, all on one token, against the emulator with "
        f"{cases.LOAD_LATENCY} s added to every call so that the lanes overlap. After each run the "
        f"test checks that all {2 * cases.LOAD_LANES} tasks succeeded, that there is one campaign per "
        "lane and every contact exactly once, and that no file the deployment wrote (component and "
        "task logs, the metadata database with its XCom and rendered fields) holds the token.",
        "",
        "| DAG | how the tasks share the token | also checked |",
        "|---|---|---|",
    ]
    for run in cases.LOAD_RUNS:
        lines.append(f"| `{run.dag_id}` | {cell(run.setup)} | {cell(run.checked)} |")
    return lines


def deployment_section() -> list[str]:
    lines = [
        "## Production-shaped deployment",
        "",
        "`tests/deployment/test_celery_deployment.py` starts PostgreSQL and Redis (Debian's packages) and "
        "an Airflow 3.3 deployment with the CeleryExecutor: api-server, scheduler, dag-processor, "
        f"triggerer and {len(cases.DEPLOYMENT_WORKERS)} Celery workers with "
        f"{cases.DEPLOYMENT_CONCURRENCY} task processes each, the connections in the metadata database "
        "(encrypted with a Fernet key), everything on 127.0.0.1 only. Every run is triggered through "
        "the api-server's REST API. The tests run in this order on one deployment; the figures are from "
        f"runs on a 2-core machine shared with other work ({cell(cases.DEPLOYMENT_TIMES)}).",
        "",
        "| test | runs | asserts | measured |",
        "|---|---|---|---|",
    ]
    for check in cases.DEPLOYMENT_CHECKS:
        lines.append(
            f"| `{check.test}` | {cell(check.runs)} | {cell(check.asserted)} | {cell(check.measured)} |"
        )
    return lines


def render() -> str:
    faults = cases.FAULT_CASES
    survived = sum(
        1 for case in faults for store in (True, False) if case.outcome(store).fails is None and not case.bug
    )
    lines = [
        "# Reliability: faults, bad input, and what the provider guarantees",
        "",
        "<!-- Generated by scripts/reliability_doc.py from tests/reliability/reliability_cases.py; "
        "do not edit by hand. -->",
        "",
        "What happens when the network, a proxy or Wolkvox itself misbehaves in the middle of a "
        "campaign creation or a contact upload, and which inputs are refused before anything is sent. "
        "Every row below is a test case: `tests/reliability/test_fault_matrix.py` runs the faults "
        "against the local emulator, `tests/reliability/test_shared_token_load.py` the shared-token "
        "load, `tests/reliability/test_hostile_inputs.py` the bad inputs, and "
        "`tests/reliability/test_reliability_doc.py` checks that this page matches the tables.",
        "",
        "## Faults",
        "",
        f"Each fault is injected into the emulator and the real operator runs: `CreateCampaignOperator` "
        f"with the fault on its `create_campaign` request, `UploadCampaignRecordsOperator` "
        f"({cases.RECORDS} records in chunks of {cases.CHUNK_SIZE}, one request in flight) with the "
        f"fault on its 2nd `add_record` request, after chunk 1 was stored. The connection has "
        f"`timeout` 1 s. Airflow's task retries are simulated (up to {cases.MAX_TRIES} tries; an "
        "`AirflowFailException` is not retried). Each case runs with the task state store of Airflow "
        "3.3+ and without it, as on Airflow before 3.3 (with `ti.try_number` counting the tries); where "
        "the two differ both are shown. After every case the test checks the emulator: no campaign "
        "and no record (by `customer_id`) is there twice, and at most 2 requests were in flight.",
        "",
        f"{len(faults)} cases, {2 * len(faults)} runs; {survived} runs end with the task succeeding "
        "and every campaign and record exactly once, the others with a failure that says what the "
        "server may hold.",
        "",
        *fault_table(),
        "",
        *load_section(),
        "",
        *deployment_section(),
        "",
        "## Bad input",
        "",
        "Each value replaces one valid argument of the operator (or one field or extra of the "
        "`wolkvox` connection, run through `StartCampaignOperator`). The task must fail at once with "
        "`AirflowFailException`, the message must name the field and contain the quoted words, and "
        f"no request may be sent (requests-mock answers every URL and records none). "
        f"{len(cases.BAD_INPUTS)} cases.",
        "",
        *bad_input_table(),
        "",
        "## Guarantees and limits",
        "",
    ]
    for guarantee in cases.GUARANTEES:
        lines += [f"**{guarantee.title}.** {guarantee.text}", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is not up to date")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = DOC.read_text(encoding="utf-8") if DOC.exists() else None
        if current != text:
            print(f"{DOC.relative_to(REPO)} is out of date; run python scripts/reliability_doc.py")
            return 1
        return 0
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text, encoding="utf-8")
    print(f"wrote {DOC.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
