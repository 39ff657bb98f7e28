"""pytest fixture for tests that talk HTTP to a fresh emulator.

Use it from a rootdir conftest with ``pytest_plugins = ["airflow_provider_wolkvox.emulator.pytest_plugin"]``
(or import the fixture into a nested conftest). No pytest11 entry point is registered on
purpose: installing the provider must not add fixtures to unrelated test suites.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .server import WolkvoxEmulator

TEST_TOKEN = "test-token"


@pytest.fixture
def wolkvox_emulator() -> Iterator[WolkvoxEmulator]:
    """A started emulator on a free port accepting token "test-token"; stopped afterwards."""
    emulator = WolkvoxEmulator(port=0, tokens={TEST_TOKEN: 100_000})
    emulator.start()
    try:
        yield emulator
    finally:
        emulator.stop()
