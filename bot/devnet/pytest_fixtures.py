"""Reusable pytest fixtures: ``from bot.devnet.pytest_fixtures import *`` in a conftest.

- ``devnet_session``: one anvil with the Aave deployment for the whole test session;
- ``devnet``: the same chain, rolled back (``evm_revert``) after each test;
- ``aave_reader``: a started ``AaveV3Reader`` on it, with its ``RpcPool``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.chain.aave_v3 import AaveV3Reader
from bot.chain.rpc import RpcPool
from bot.devnet.cache import start_devnet
from bot.devnet.devnet import Devnet

__all__ = ["aave_reader", "devnet", "devnet_session"]


@pytest.fixture(scope="session")
def devnet_session() -> Iterator[Devnet]:
    with start_devnet() as devnet:
        yield devnet


@pytest.fixture
def devnet(devnet_session: Devnet) -> Iterator[Devnet]:
    state = devnet_session.take_state()
    try:
        yield devnet_session
    finally:
        devnet_session.set_automine(True)
        devnet_session.unfreeze_time()
        devnet_session.revert_state(state)


@pytest.fixture
def aave_reader(devnet: Devnet) -> AaveV3Reader:
    rpc = RpcPool([devnet.rpc_url], devnet.chain_id, timeout_secs=10)
    reader = AaveV3Reader(rpc, devnet.deployment.addresses_provider, devnet.chain_id)
    reader.start()
    return reader
