"""The fault matrix (issue #5 part 2): real operators against the emulator's injected faults.

Every case of ``reliability_cases.FAULT_CASES`` runs the operator's ``execute()`` against a fresh
emulator, simulating Airflow's task retries (a new operator object and ``execute()`` again, up
to 3 tries, unless a try raised ``AirflowFailException``), then checks the task's outcome and
what the server holds: every campaign and record exactly once.

Where the fault lands: faults count down per api, the oldest matching one first. For create
cases the fault hits the (only) ``create_campaign`` request; for upload cases a no-op fault
(``action="delay", latency=0``) is queued first, so the 1st ``add_record`` request consumes
it and the real fault hits the 2nd (chunk 2), after chunk 1 was stored.

Two modes: ``store`` (Airflow 3.3+: a task state store shared by the tries) and ``no-store``
(Airflow before 3.3: no store; the retry's ``ti.try_number`` is 2, 3). The ``store`` mode is
skipped on Airflow before 3.3, where no such store exists.
"""

from __future__ import annotations

import collections
import socket
import time
from dataclasses import dataclass
from typing import Any
from unittest.mock import MagicMock

import pytest
from failing import airflow_fails_at_once
from reliability_cases import APPLY_THEN_RESPOND, CHUNK_SIZE, CREATE, FAULT_CASES, MAX_TRIES, RECORDS
from task_store import FakeStore

from airflow_provider_wolkvox.client import CampaignSpec, WolkvoxClient
from airflow_provider_wolkvox.emulator.pytest_plugin import TEST_TOKEN
from airflow_provider_wolkvox.emulator.server import Reply
from airflow_provider_wolkvox.operators.campaign import CreateCampaignOperator
from airflow_provider_wolkvox.operators.records import UploadCampaignRecordsOperator

pytestmark = pytest.mark.integration


def _has_task_state_store() -> bool:
    from airflow import __version__

    major, minor = (int(part) for part in __version__.split(".")[:2])
    return (major, minor) >= (3, 3)


HAS_STORE = _has_task_state_store()
MODES = [
    pytest.param(True, id="store", marks=pytest.mark.skipif(not HAS_STORE, reason="Airflow < 3.3")),
    pytest.param(False, id="no-store"),
]


def fault_params() -> list[Any]:
    return [
        pytest.param(
            case,
            id=case.id,
            marks=[pytest.mark.xfail(strict=True, reason=case.bug)] if case.bug else [],
        )
        for case in FAULT_CASES
    ]


@dataclass
class TaskRun:
    tries: int
    result: Any = None
    error: BaseException | None = None


def run_task(make_operator, store: FakeStore | None) -> TaskRun:
    """Run a task like Airflow with retries=2: a fresh operator per try, the same store."""
    error: BaseException | None = None
    for try_number in range(1, MAX_TRIES + 1):
        ti = MagicMock()
        ti.try_number = try_number
        context: dict[str, Any] = {"ti": ti}
        if store is not None:
            context["task_state_store"] = store
        try:
            return TaskRun(try_number, result=make_operator().execute(context))
        except Exception as exc:
            if airflow_fails_at_once(exc):  # AirflowFailException, or the 3.3+ retry policy says fail
                return TaskRun(try_number, error=exc)
            error = exc  # Airflow retries any other error
    return TaskRun(MAX_TRIES, error=error)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def apply_then_respond(emulator, api: str, nth: int, status: int, body: str) -> None:
    """The ``nth`` call to ``api`` is applied, then answered ``status`` with ``body`` as it is."""
    original = emulator._dispatch
    calls = {"n": 0}

    def dispatch(method, path, call):
        reply = original(method, path, call)
        if call.api == api:
            calls["n"] += 1
            if calls["n"] == nth:
                return Reply(status, body.encode(), "text/html; charset=utf-8")
        return reply

    emulator._dispatch = dispatch


def inject(emulator, case) -> None:
    api = "create_campaign" if case.call == CREATE else "add_record"
    nth = 1 if case.call == CREATE else 2
    if not case.inject:
        return
    fault = dict(case.inject)
    if fault.get("action") == APPLY_THEN_RESPOND:
        apply_then_respond(emulator, api, nth, fault["status"], fault["body"])
        return
    if nth == 2:
        emulator.inject_fault(api=api, times=1, action="delay", latency=0)
    emulator.inject_fault(api=api, times=1, **fault)


def contacts() -> list[dict[str, str]]:
    return [
        {"customer_id": f"R{i:03d}", "customer_name": f"Contact {i}", "tel1": f"300{i:07d}"}
        for i in range(RECORDS)
    ]


@pytest.mark.parametrize("store", MODES)
@pytest.mark.parametrize("case", fault_params())
def test_fault(case, store, wolkvox_emulator, set_connection):
    emulator = wolkvox_emulator
    host = f"http://127.0.0.1:{closed_port()}" if case.refused else emulator.url
    set_connection(
        host=host,
        password=TEST_TOKEN,
        extra={"retry_min_delay": 0.01, "retry_max_delay": 0.05, "timeout": 1},
    )
    if case.call == CREATE:

        def make_operator():
            return CreateCampaignOperator(
                task_id="create", type_campaign="preview", campaign_name="Reliability", skill_id=3
            )

    else:
        client = WolkvoxClient(emulator.url, TEST_TOKEN)
        spec = CampaignSpec.build(type_campaign="predictive", campaign_name="Reliability", skill_id=3)
        campaign_id = client.create_campaign(spec).campaign_id
        records = contacts()

        def make_operator():
            return UploadCampaignRecordsOperator(
                task_id="upload",
                campaign_id=campaign_id,
                type_campaign="predictive",
                records=records,
                chunk_size=CHUNK_SIZE,
                max_in_flight=1,
            )

    inject(emulator, case)
    expected = case.outcome(store)
    started = time.monotonic()

    run = run_task(make_operator, FakeStore() if store else None)

    elapsed = time.monotonic() - started
    state = emulator.state()
    campaigns = state["campaigns"]
    # The task's outcome.
    if expected.fails is None:
        assert run.error is None, f"the task failed: {run.error!r}"
    else:
        assert run.error is not None, f"the task succeeded: {run.result!r}"
        message = str(run.error)
        for fragment in expected.says:
            assert fragment in message, message
        assert TEST_TOKEN not in message
    if expected.tries is not None:
        assert run.tries == expected.tries
    assert elapsed >= case.min_seconds
    # What the server holds: nothing twice.
    if case.call == CREATE:
        assert len(campaigns) == expected.stored
        if expected.fails is None:
            assert [c["campaign_id"] for c in campaigns] == [run.result]
        sends = state["requests"].get("create_campaign", 0)
    else:
        [campaign] = campaigns
        ids = collections.Counter(record["customer_id"] for record in campaign["records"])
        duplicates = {cid: n for cid, n in ids.items() if n > 1}
        assert not duplicates, f"{sum(duplicates.values()) - len(duplicates)} duplicate records"
        assert sum(ids.values()) == expected.stored
        assert sorted(ids) == [r["customer_id"] for r in contacts()[: expected.stored]]
        if expected.fails is None:
            assert run.result["accepted"] == RECORDS
        sends = state["requests"].get("add_record", 0)
    assert sends == expected.sends
    assert max(state["peak_in_flight"].values(), default=0) <= 2
