"""CreateCampaignOperator against the emulator's fault injection: never a duplicate campaign."""

from __future__ import annotations

from unittest.mock import MagicMock

import pytest
from failing import fails_at_once
from task_store import FakeStore

from airflow_provider_wolkvox.emulator.pytest_plugin import TEST_TOKEN
from airflow_provider_wolkvox.operators.campaign import CreateCampaignOperator

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("fault", "creates_sent"),
    [
        ({"action": "drop_after"}, 1),  # applied, answer lost: found in the list, not sent again
        ({"action": "drop_before"}, 2),  # not applied, answer lost: not in the list, sent again
        ({"action": "respond", "status": 503}, 2),  # provably not applied: the client retries
        ({"action": "respond", "status": 502, "body": "<html>Bad Gateway</html>"}, 2),
    ],
    ids=["drop-after-apply", "drop-before-apply", "503", "502-html"],
)
def test_a_faulted_create_ends_with_exactly_one_campaign(
    set_connection, wolkvox_emulator, fault, creates_sent
):
    set_connection(
        host=wolkvox_emulator.url,
        password=TEST_TOKEN,
        extra={"retry_min_delay": 0.01, "retry_max_delay": 0.05, "timeout": 5},
    )
    wolkvox_emulator.inject_fault(api="create_campaign", times=1, **fault)
    op = CreateCampaignOperator(
        task_id="create", type_campaign="preview", campaign_name="Faulted", skill_id=3
    )

    campaign_id = op.execute({"ti": MagicMock(), "task_state_store": FakeStore()})

    campaigns = wolkvox_emulator.state(include_records=False)["campaigns"]
    assert [c["campaign_id"] for c in campaigns] == [campaign_id]
    assert wolkvox_emulator.request_counts["create_campaign"] == creates_sent


def _has_task_state_store() -> bool:
    from airflow import __version__

    return tuple(int(part) for part in __version__.split(".")[:2]) >= (3, 3)


@pytest.mark.parametrize(
    "store",
    [
        pytest.param(
            True, id="store", marks=pytest.mark.skipif(not _has_task_state_store(), reason="Airflow < 3.3")
        ),
        pytest.param(False, id="no-store"),
    ],
)
def test_a_retry_after_a_failed_list_read_never_returns_an_older_campaign(
    set_connection, wolkvox_emulator, store
):
    """Issue #11 item 3: try 1 fails reading the campaign list, try 2 has if_exists='fail'."""
    from airflow_provider_wolkvox.client import CampaignSpec, WolkvoxClient, WolkvoxServerError

    set_connection(
        host=wolkvox_emulator.url,
        password=TEST_TOKEN,
        extra={"retry_min_delay": 0.01, "retry_max_delay": 0.05, "retry_attempts": 2, "timeout": 5},
    )
    older = WolkvoxClient(wolkvox_emulator.url, TEST_TOKEN).create_campaign(
        CampaignSpec.build(type_campaign="preview", campaign_name="Daily", skill_id=3)
    )
    wolkvox_emulator.inject_fault(api="campaigns", times=2, action="respond", status=500)
    state = FakeStore() if store else None

    def run_try(try_number):
        context = {"ti": MagicMock(try_number=try_number)}
        if state is not None:
            context["task_state_store"] = state
        op = CreateCampaignOperator(
            task_id="create", type_campaign="preview", campaign_name="Daily", skill_id=3
        )
        return op.execute(context)

    with pytest.raises(WolkvoxServerError):  # both HTTP tries of the list read answered 500
        run_try(1)
    with fails_at_once() as info:
        run_try(2)

    assert f"id {older.campaign_id}" in str(info.value)
    campaigns = wolkvox_emulator.state(include_records=False)["campaigns"]
    assert [c["campaign_id"] for c in campaigns] == [older.campaign_id]
    assert wolkvox_emulator.request_counts.get("create_campaign", 0) == 1  # the older one only
