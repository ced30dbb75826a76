"""The ``lending`` fixture: every test of the contract suite runs once per lending protocol,
each on its own anvil with the real deployment (Aave v3, the Venus core pool), rolled back
after each test."""

from __future__ import annotations

import pytest

from bot.devnet.pytest_fixtures import devnet, devnet_session
from bot.devnet.venus_fixtures import venus_devnet, venus_devnet_session
from tests.lending.scenes import AaveScene, LendingScene, VenusScene
from tests.protect.conftest import journal, journal_path

__all__ = ["devnet", "devnet_session", "journal", "journal_path", "lending", "venus_devnet",
           "venus_devnet_session"]  # fmt: skip


@pytest.fixture(
    params=[
        pytest.param("aave-v3", marks=pytest.mark.chain, id="aave-v3"),
        pytest.param("venus-core", marks=pytest.mark.venus, id="venus-core"),
    ]
)
def lending(request: pytest.FixtureRequest) -> LendingScene:
    if request.param == "aave-v3":
        return AaveScene(request.getfixturevalue("devnet"))
    return VenusScene(request.getfixturevalue("venus_devnet"))
