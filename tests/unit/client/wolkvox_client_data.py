"""Constants shared by the WolkvoxClient unit tests (server 0042, a distinctive token, canned answers)."""

from __future__ import annotations

from typing import Any

from airflow_provider_wolkvox.client import CampaignSpec

#: A token distinctive enough that finding it in a message or a log proves a leak.
TOKEN = "tok-SECRET-123456"
BASE = "https://wv0042.wolkvox.com/api/v2"
CAMPAIGN_URL = f"{BASE}/campaign.php"
INFO_URL = f"{BASE}/information.php"
TOKEN_INFO_URL = f"{INFO_URL}?api=token_info"
CAMPAIGNS_URL = f"{INFO_URL}?api=campaigns"
CREATE_URL = f"{CAMPAIGN_URL}?api=create_campaign&type_campaign=predictive"

TOKEN_INFO_OK = {
    "code": 200,
    "error": None,
    "msg": "1 records were found",
    "data": [
        {
            "description": "airflow",
            "token_limit": "1000",
            "token_use_today": "12",
            "all_token_today": "40",
            "available_consumption_options": "988",
        }
    ],
}
CREATED_OK = {
    "code": 201,
    "error": None,
    "msg": "Campaign created",
    "data": [{"id_campaign": "777", "name_campaign": "Spring sale"}],
}


def predictive_spec(**overrides: Any) -> CampaignSpec:
    """A valid predictive campaign, with any field replaced."""
    values: dict[str, Any] = {
        "type_campaign": "predictive",
        "campaign_name": "Spring sale",
        "campaign_description": "Q2 outbound",
        "skill_id": 12,
        "start_time": "08:00",
        "end_time": "18:00:00",
        "opts": ["Plan", "Balance"],
        "amd": "col",
        "enable_edition": True,
    }
    values.update(overrides)
    return CampaignSpec.build(**values)


def preview_spec(**overrides: Any) -> CampaignSpec:
    """A valid preview campaign (no dialing window, no AMD), with any field replaced."""
    values: dict[str, Any] = {
        "type_campaign": "preview",
        "campaign_name": "Renewals",
        "skill_id": "7",
    }
    values.update(overrides)
    return CampaignSpec.build(**values)
