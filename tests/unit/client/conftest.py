"""Shared fixtures for the WolkvoxClient unit tests: a client on a fake server and a fake sleep."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from wolkvox_client_data import TOKEN

from airflow_provider_wolkvox.client import RetrySettings, WolkvoxClient


@pytest.fixture
def sleeps() -> list[float]:
    """Every delay the client asked to wait, in order (nothing really sleeps)."""
    return []


@pytest.fixture
def make_client(sleeps: list[float]) -> Callable[..., WolkvoxClient]:
    """Build a client for server 0042 whose retries record their delay instead of sleeping."""

    def factory(attempts: int = 1, **kwargs: Any) -> WolkvoxClient:
        kwargs.setdefault("retry", RetrySettings(attempts=attempts))
        kwargs.setdefault("sleep", sleeps.append)
        return WolkvoxClient(kwargs.pop("server", "0042"), kwargs.pop("token", TOKEN), **kwargs)

    return factory


@pytest.fixture
def client(make_client: Callable[..., WolkvoxClient]) -> WolkvoxClient:
    """A client that never retries."""
    return make_client()
