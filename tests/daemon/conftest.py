"""Fixtures for the daemon's end-to-end tests: the session's anvil (rolled back after each test)
and the session's emulator (reset before each test), as in tests/emulator/conftest.py; the
emulator's wallet linked to anvil for the capital loop's tests; the embedded PostgreSQL server
for the secrets canary's journal (started only when it runs)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.devnet.pytest_fixtures import devnet, devnet_session
from bot.emulator.testing import EmulatorHandle, running_emulator
from tests.daemon.capital_scene import linked
from tests.postgres_fixture import postgres_server

__all__ = [
    "devnet",
    "devnet_session",
    "emulator",
    "emulator_session",
    "linked",
    "postgres_server",
]


@pytest.fixture(scope="session")
def emulator_session() -> Iterator[EmulatorHandle]:
    with running_emulator() as handle:
        yield handle


@pytest.fixture
def emulator(emulator_session: EmulatorHandle) -> Iterator[EmulatorHandle]:
    emulator_session.control.reset_to_defaults()
    yield emulator_session
    emulator_session.control.clear_faults()
