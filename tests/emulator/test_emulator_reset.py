"""POST /_emulator/reset: forgets the data, keeps the emulator's dialing and latency unless asked."""

from __future__ import annotations

import time

from emulator_helpers import Api, records

from airflow_provider_wolkvox.emulator import WolkvoxEmulator


def test_reset_keeps_dialing_and_latency_and_says_what_it_reset(emu: WolkvoxEmulator, api: Api) -> None:
    assert api.admin("POST", "dialing", json={"records_per_second": 50}).status_code == 200
    assert api.admin("POST", "latency", json={"seconds": 0.01}).status_code == 200
    api.create()

    answer = api.admin("POST", "reset")

    assert answer.status_code == 200
    body = answer.json()
    assert body["ok"] is True
    assert "campaigns" in body["reset"] and "faults" in body["reset"]
    assert body["kept"] == {"records_per_second": 50.0, "latency": 0.01}
    assert emu.state()["campaigns"] == [] and emu.state()["latency"] == 0.01
    # Dialing still runs: a campaign started after the reset gets its records called.
    cid = api.create()
    api.add(cid, records(5))
    assert api.campaign("PUT", "start", type_campaign="predictive", campaign_id=cid).ok
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and api.campaigns()[0]["records"] != "0":
        time.sleep(0.05)
    assert api.campaigns()[0]["records"] == "0"


def test_reset_with_dialing_true_also_turns_dialing_and_latency_off(emu: WolkvoxEmulator, api: Api) -> None:
    emu.set_dial_rate(50)
    emu.set_latency(0.01)

    answer = api.admin("POST", "reset", json={"dialing": True})

    assert answer.status_code == 200
    assert {"dialing", "latency"} <= set(answer.json()["reset"])
    assert answer.json()["kept"] == {}
    assert emu.store.dial_rate == 0 and emu.state()["latency"] == 0


def test_reset_from_python_keeps_settings_unless_asked(emu: WolkvoxEmulator) -> None:
    emu.set_dial_rate(7)
    emu.set_latency(0.02)
    emu.reset()
    assert (emu.store.dial_rate, emu.latency) == (7, 0.02)
    emu.reset(dialing=True)
    assert (emu.store.dial_rate, emu.latency) == (0, 0)


def test_reset_refuses_a_body_it_does_not_understand(api: Api) -> None:
    for body, named in (({"dialing": "yes"}, "dialing"), ({"everything": True}, "everything")):
        answer = api.admin("POST", "reset", json=body)
        assert answer.status_code == 400
        assert named in answer.json()["error"]
