"""SQLite state file: campaigns and records survive a restart; the console script serves."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import requests
from emulator_helpers import Api, assert_envelope, records

from airflow_provider_wolkvox.emulator import WolkvoxEmulator, run_emulator


def test_state_survives_restart(tmp_path: Path) -> None:
    state_file = str(tmp_path / "wolkvox.db")
    tokens = {"t": 1000}
    with run_emulator(tokens=tokens, state_file=state_file) as emu:
        api = Api(emu.url, token="t")
        first = api.create("kept", campaign_description="d", opt1="Balance")
        second = api.create("deleted")
        api.add(first, [*records(3), *records(2, start=3, result="busy")])
        api.campaign("PUT", "start", type_campaign="predictive", campaign_id=first)
        api.campaign("PUT", "speed", json={"speed": "40"}, type_campaign="predictive", campaign_id=first)
        api.campaign(
            "DELETE",
            "remove_record",
            json={"customer_id": "C0"},
            type_campaign="predictive",
            campaign_id=first,
        )
        api.campaign("DELETE", "clear_campaign", type_campaign="predictive", campaign_id=first, result="busy")
        api.campaign("DELETE", "delete_campaign", type_campaign="predictive", campaign_id=second)
        before = emu.state()["campaigns"]

    with run_emulator(tokens=tokens, state_file=state_file) as emu:
        api = Api(emu.url, token="t")
        assert emu.state()["campaigns"] == before
        row = api.campaigns()[0]
        assert (row["campaign_id"], row["status"], row["speed"], row["records"]) == (
            first,
            "Started",
            "40",
            "2",
        )
        assert [r["customer_id"] for r in before[0]["records"]] == ["C1", "C2"]
        assert api.create("new") == "1003"  # ids are never reused


def test_console_script(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    cmd = [
        sys.executable,
        "-m",
        "airflow_provider_wolkvox.emulator",
        "--port",
        "0",
        "--token",
        "cli-token",
        "--token",
        "other:5",
        "--state",
        str(tmp_path / "s.db"),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line.startswith("Wolkvox emulator listening on http://127.0.0.1:"), line
        url = line.rsplit(" ", 1)[1]
        assert requests.get(f"{url}/_emulator/health", timeout=5).status_code == 200
        assert_envelope(Api(url, token="cli-token").info("campaigns"), 200)
        info = Api(url, token="other").info("token_info").json()["data"][0]
        assert info["token_limit"] == "5"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_same_instance_restarts_with_its_state(tmp_path: Path) -> None:
    state_file = str(tmp_path / "again.db")
    emu = WolkvoxEmulator(tokens={"t": 100}, state_file=state_file)
    with emu:
        api = Api(emu.url, token="t")
        cid = api.create("one")
    with emu:  # started again: same state, still written through
        api = Api(emu.url, token="t")
        assert [r["campaign_id"] for r in api.campaigns()] == [cid]
        api.add(cid, records(2))
    with run_emulator(tokens={"t": 100}, state_file=state_file) as fresh:
        assert Api(fresh.url, token="t").campaigns()[0]["records"] == "2"


def test_add_token(emu: WolkvoxEmulator) -> None:
    emu.add_token("late", 1)
    assert_envelope(Api(emu.url, token="late").info("token_info"), 200)
    assert_envelope(Api(emu.url, token="late").info("token_info"), 403, "TOKEN LIMIT EXCEEDED")


def test_the_collections_changes_survive_restart(tmp_path: Path) -> None:
    """edit_campaign, recall_records, campaign_filter and a multi-id remove_record are written through."""
    state_file = str(tmp_path / "wolkvox.db")
    tokens = {"t": 1000}
    with run_emulator(tokens=tokens, state_file=state_file) as emu:
        api = Api(emu.url, token="t")
        cid = api.create("old")
        api.add(cid, [*records(3, result="failed"), *records(1, start=3)])
        api.campaign("PUT", "edit_campaign", json={"campaign_name": "new"}, campaign_id=cid)
        api.campaign(
            "PUT", "recall_records", json={"field": "Cod_Machine", "value": "FAILED"}, campaign_id=cid
        )
        api.campaign(
            "DELETE",
            "remove_record",
            json={"customer_id": "C0,C3"},
            type_campaign="predictive",
            campaign_id=cid,
        )
        api.campaign(
            "PUT",
            "campaign_filter",
            json={"filter_active": "no"},
            type_campaign="predictive",
            campaign_id=cid,
        )
        before = emu.state()["campaigns"]

    with run_emulator(tokens=tokens, state_file=state_file) as emu:
        assert emu.state()["campaigns"] == before
        row = Api(emu.url, token="t").campaigns()[0]
        assert (row["campaign_name"], row["records"]) == ("new", "2")
        assert before[0]["campaign_filter"]["active"] is False
