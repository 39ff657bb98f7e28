"""Provider metadata read by Airflow through the ``apache_airflow_provider`` entry point."""

from __future__ import annotations

from typing import Any

from airflow_provider_wolkvox import __version__

#: The connection form, shared with the hook's legacy (Airflow 2) UI methods so both agree.
HIDDEN_FIELDS = ["schema", "port"]
#: The server id lives in Login, not in Extra: Airflow 3 registers every Extra value as a secret
#: and warns "Skipping masking for a secret as it's too short" in every task log for "0042".
RELABELING = {"host": "Server (code or URL)", "login": "Server id", "password": "API token"}
PLACEHOLDERS = {
    "host": "0042, or a URL such as http://127.0.0.1:8765",
    "login": "only when Server is a URL (emulator, proxy): the server code, e.g. 0042",
    "password": "the token from wolkvox Manager > Configuration > Integrations > Tokens",
    "extra": '{"timeout": 75, "retry_attempts": 5}',
}
#: The Airflow 3 form's "Extra Fields". Each has the hook's default as its default: the form saves
#: every field it shows, and an empty one as null ({"timeout": null} in Extra).
CONN_FIELDS: dict[str, dict[str, Any]] = {
    "timeout": {
        "label": "Timeout (seconds)",
        "description": "How long to wait for an answer. Wolkvox stops calls after 60 s; default 75.",
        "schema": {"type": ["number", "null"], "minimum": 1, "maximum": 3600, "default": 75},
    },
    "retry_attempts": {
        "label": "HTTP attempts",
        "description": "Tries per call, the first included, for failures that are safe to retry. Default 5.",
        "schema": {"type": ["integer", "null"], "minimum": 1, "maximum": 20, "default": 5},
    },
}


def get_provider_info() -> dict[str, Any]:
    return {
        "package-name": "airflow-provider-wolkvox",
        "name": "Wolkvox",
        "description": "Wolkvox contact-center campaigns: create, load contacts, start, stop and wait.",
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": "Wolkvox",
                "external-doc-url": "https://www.wolkvox.com/en/apis-v2-2/4-campaign-creation/",
                "tags": ["service"],
            }
        ],
        "hooks": [
            {"integration-name": "Wolkvox", "python-modules": ["airflow_provider_wolkvox.hooks.wolkvox"]}
        ],
        "operators": [
            {
                "integration-name": "Wolkvox",
                "python-modules": [
                    "airflow_provider_wolkvox.operators.campaign",
                    "airflow_provider_wolkvox.operators.dnc",
                    "airflow_provider_wolkvox.operators.records",
                ],
            }
        ],
        "sensors": [
            {"integration-name": "Wolkvox", "python-modules": ["airflow_provider_wolkvox.sensors.campaign"]}
        ],
        "triggers": [
            {"integration-name": "Wolkvox", "python-modules": ["airflow_provider_wolkvox.triggers.campaign"]}
        ],
        "connection-types": [
            {
                "connection-type": "wolkvox",
                "hook-class-name": "airflow_provider_wolkvox.hooks.wolkvox.WolkvoxHook",
                "hook-name": "Wolkvox",
                "ui-field-behaviour": {
                    "hidden-fields": HIDDEN_FIELDS,
                    "relabeling": RELABELING,
                    "placeholders": PLACEHOLDERS,
                },
                "conn-fields": CONN_FIELDS,
            }
        ],
    }
