"""CreateCampaignOperator against the emulator's fault injection: never a duplicate campaign."""

from __future__ import annotations

from unittest.mock import MagicMock

import pytest

from airflow_provider_wolkvox.emulator.pytest_plugin import TEST_TOKEN
from airflow_provider_wolkvox.operators.campaign import CreateCampaignOperator

pytestmark = pytest.mark.integration


class FakeStore:
    def __init__(self):
        self.data = {}

    def get(self, key, default=None):
        return self.data.get(key, default)

    def set(self, key, value, retention=None):
        self.data[key] = value


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
