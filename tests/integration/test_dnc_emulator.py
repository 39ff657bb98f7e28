"""The do-not-call operators and client over real HTTP against the emulator."""

from __future__ import annotations

import json
import time

import pytest

from airflow_provider_wolkvox.client import CampaignSpec, WolkvoxClient
from airflow_provider_wolkvox.emulator import WolkvoxEmulator
from airflow_provider_wolkvox.emulator.pytest_plugin import TEST_TOKEN, wolkvox_emulator  # noqa: F401
from airflow_provider_wolkvox.operators.dnc import AddDoNotCallOperator, RemoveDoNotCallOperator

pytestmark = pytest.mark.integration

OPTOUTS = [f"57300{i:07d}" for i in range(25)]


@pytest.fixture
def client(wolkvox_emulator: WolkvoxEmulator, monkeypatch: pytest.MonkeyPatch) -> WolkvoxClient:  # noqa: F811
    """`wolkvox_default` pointing at the emulator (operation 0042), and a client on the same."""
    connection = {
        "conn_type": "wolkvox",
        "host": wolkvox_emulator.url,
        "login": "0042",
        "password": TEST_TOKEN,
        "extra": {"retry_min_delay": 0.01, "retry_max_delay": 0.05},
    }
    monkeypatch.setenv("AIRFLOW_CONN_WOLKVOX_DEFAULT", json.dumps(connection))
    return WolkvoxClient(wolkvox_emulator.url, TEST_TOKEN, server_id="0042")


def test_numbers_pushed_are_read_back_then_removed(
    wolkvox_emulator: WolkvoxEmulator,  # noqa: F811
    client: WolkvoxClient,
) -> None:
    given = [*OPTOUTS, f"+57 300 {0:03d} {0:04d}", OPTOUTS[3]]  # the first again, written otherwise
    added = AddDoNotCallOperator(task_id="block", numbers=given, chunk_size=10).execute({})

    assert added == {"numbers": 25, "duplicates": 2, "added": 25, "requests": 3, "type_call": "outbound"}
    assert wolkvox_emulator.request_counts["add_dnc"] == 3
    assert client.get_dnc("outbound") == OPTOUTS
    assert client.get_dnc("all") == OPTOUTS
    assert client.get_dnc("inbound") == []

    removed = RemoveDoNotCallOperator(task_id="unblock", numbers=OPTOUTS[:12], chunk_size=5).execute({})

    assert removed == {"numbers": 12, "duplicates": 0, "removed": 12, "requests": 3, "type_call": "outbound"}
    assert client.get_dnc() == OPTOUTS[12:]


def test_types_as_the_emulator_reads_them(client: WolkvoxClient) -> None:
    """all blocks both ways; removing with "outbound" leaves a number blocked with "all"; "all" removes it."""
    assert client.add_dnc(OPTOUTS[:2], type_call="all") == 2
    assert client.add_dnc(OPTOUTS[2:3], type_call="inbound") == 1
    assert client.get_dnc("inbound") == OPTOUTS[:3]
    assert client.get_dnc("outbound") == OPTOUTS[:2]

    assert client.remove_dnc(OPTOUTS[:2], type_call="outbound") == 0
    assert client.remove_dnc(OPTOUTS[:1], type_call="outboud") == 0  # the collection's spelling, read alike
    assert client.remove_dnc(OPTOUTS[:3], type_call="all") == 3
    assert client.get_dnc("all") == []


def test_a_number_blocked_by_the_operator_is_not_dialled(
    wolkvox_emulator: WolkvoxEmulator,  # noqa: F811
    client: WolkvoxClient,
) -> None:
    spec = CampaignSpec.build(type_campaign="predictive", campaign_name="Opt-outs", skill_id=12)
    cid = client.create_campaign(spec).campaign_id
    contacts = [{"customer_id": f"C{i}", "tel1": OPTOUTS[i]} for i in range(4)]
    client.add_records("predictive", cid, contacts)
    AddDoNotCallOperator(task_id="block", numbers=[OPTOUTS[1]]).execute({})

    wolkvox_emulator.set_dial_rate(500)
    client.start_campaign(None, cid)
    deadline = time.monotonic() + 5
    while client.get_campaign(cid).records and time.monotonic() < deadline:
        time.sleep(0.02)

    results = {row["customer_id"]: row["result"] for row in client.find_record(cid, customer_id="C1")}
    assert results == {"C1": "do-not-call_clean"}
    others = [client.find_record(cid, customer_id=f"C{i}")[0]["result"] for i in (0, 2, 3)]
    assert "do-not-call_clean" not in others and all(others)
