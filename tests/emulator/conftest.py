"""Emulator fixtures: one in-process emulator per session, reset before every test.

Copy this pattern: ``emulator`` gives an ``EmulatorHandle`` (base_url, api_key, api_secret,
control) on a fresh state; ``client`` is python-binance's ``Client`` pointed at it. The wallet's
chain tests use the devnet's anvil (``devnet``: rolled back after each test).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from binance.client import Client

from bot.devnet.pytest_fixtures import devnet, devnet_session
from bot.emulator.testing import EmulatorHandle, python_binance_client, running_emulator
from tests.emulator.stream_helpers import twm_factory

__all__ = [
    "client",
    "devnet",
    "devnet_session",
    "emulator",
    "emulator_session",
    "twm_factory",
]


@pytest.fixture(scope="session")
def emulator_session() -> Iterator[EmulatorHandle]:
    with running_emulator() as handle:
        yield handle


@pytest.fixture
def emulator(emulator_session: EmulatorHandle) -> EmulatorHandle:
    emulator_session.control.reset_to_defaults()
    return emulator_session


@pytest.fixture
def client(emulator: EmulatorHandle) -> Client:
    return python_binance_client(emulator)
