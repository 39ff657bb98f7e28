"""Fixtures for the emulator's own contract tests: a fresh emulator and a thin HTTP helper."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from emulator_helpers import Api

from airflow_provider_wolkvox.emulator import WolkvoxEmulator
from airflow_provider_wolkvox.emulator.pytest_plugin import wolkvox_emulator

__all__ = ["wolkvox_emulator"]


@pytest.fixture
def emu(wolkvox_emulator: WolkvoxEmulator) -> WolkvoxEmulator:
    return wolkvox_emulator


@pytest.fixture
def api(emu: WolkvoxEmulator) -> Iterator[Api]:
    client = Api(emu.url)
    yield client
    client.session.close()
