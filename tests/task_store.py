"""An in-memory stand-in for Airflow 3.3's task state store (``context["task_state_store"]``)."""

from __future__ import annotations

import json
from typing import Any


class FakeStore:
    """get/set in a dict, JSON round-tripped like the real store; survives 'tries' in a test and
    counts its writes."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}
        self.writes = 0

    def get(self, key: str, default: Any = None) -> Any:
        return json.loads(json.dumps(self.data[key])) if key in self.data else default

    def set(self, key: str, value: Any, *, retention: Any = None) -> None:
        self.writes += 1
        self.data[key] = json.loads(json.dumps(value))
