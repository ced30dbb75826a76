"""Reusable pytest fixtures for the Venus devnet: ``from bot.devnet.venus_fixtures import *``.

- ``venus_devnet_session``: one anvil with the Venus core pool for the whole test session;
- ``venus_devnet``: the same chain, rolled back (``evm_revert``) after each test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.devnet.venus_cache import start_venus_devnet
from bot.devnet.venus_devnet import VenusDevnet

__all__ = ["venus_devnet", "venus_devnet_session"]


@pytest.fixture(scope="session")
def venus_devnet_session() -> Iterator[VenusDevnet]:
    with start_venus_devnet() as devnet:
        yield devnet


@pytest.fixture
def venus_devnet(venus_devnet_session: VenusDevnet) -> Iterator[VenusDevnet]:
    state = venus_devnet_session.take_state()
    try:
        yield venus_devnet_session
    finally:
        venus_devnet_session.set_automine(True)
        venus_devnet_session.revert_state(state)
