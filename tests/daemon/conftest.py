"""Fixtures for the daemon's end-to-end tests: the session's anvil (rolled back after each test)
and the session's emulator (reset before each test), as in tests/emulator/conftest.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.devnet.pytest_fixtures import devnet, devnet_session
from bot.emulator.testing import EmulatorHandle, running_emulator

__all__ = ["devnet", "devnet_session", "emulator", "emulator_session"]


@pytest.fixture(scope="session")
def emulator_session() -> Iterator[EmulatorHandle]:
    with running_emulator() as handle:
        yield handle


@pytest.fixture
def emulator(emulator_session: EmulatorHandle) -> Iterator[EmulatorHandle]:
    emulator_session.control.reset()
    emulator_session.control.configure(
        weight_per_minute=2400,
        orders_per_10s=300,
        orders_per_minute=1200,
        ban_after_rejections=3,
        ban_secs=120,
        server_skew_ms=0,
        strict_signatures=False,
        allow_coinm_stop_orders=False,
    )
    yield emulator_session
    emulator_session.control.clear_faults()
