"""The capital loop's scene: the emulator's wallet settling USDT on anvil (a withdrawal is a real
transfer from its hot wallet, a deposit is credited once anvil has mined its confirmations), and
the borrower's reserve and health factor as the chain reports them. Nothing is mocked.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest
from web3 import Web3

from bot.core.capital import CoinNetwork
from bot.devnet.aave import contract
from bot.devnet.devnet import Devnet
from bot.emulator.testing import EmulatorHandle
from tests.emulator.chain_helpers import HOT, anvil_key, coin

BORROWER = 2  # the anvil account holding the loan and its reserve
# The emulator's USDT on BSC as ``linked`` lists it (the backtest reads the same rules).
USDT_ON_BSC = CoinNetwork(
    coin="USDT",
    network="BSC",
    withdraw_fee=Decimal("0.8"),
    withdraw_min=Decimal(10),
    withdraw_max=Decimal(100_000),
    withdraw_multiple=Decimal("0.01"),
    deposit_min=Decimal("0.01"),
)


@pytest.fixture
def linked(devnet: Devnet, emulator: EmulatorHandle) -> Iterator[EmulatorHandle]:
    """The emulator's wallet settling USDT withdrawals on anvil from a funded hot wallet, to the
    borrower only (the whitelist)."""
    hot = Web3().eth.account.from_key(anvil_key(HOT)).address
    devnet.fund(hot, "USDT", Decimal(1_000_000))
    net = USDT_ON_BSC
    rules = {
        "withdraw_fee": str(net.withdraw_fee),
        "withdraw_min": str(net.withdraw_min),
        "withdraw_max": str(net.withdraw_max),
        "withdraw_multiple": str(net.withdraw_multiple),
        "deposit_dust": str(net.deposit_min),
    }
    emulator.control.link_chain(
        rpc_url=devnet.rpc_url,
        hot_wallet_key=anvil_key(HOT),
        coins=[coin(devnet, net.coin, **rules)],
        withdraw_delay_secs=1,
        whitelist=[devnet.account(BORROWER)],
        poll_interval_secs=0.2,
    )
    try:
        yield emulator
    finally:
        emulator.control.unlink_chain()


@contextmanager
def interval_mining(devnet: Devnet, secs: int = 1) -> Iterator[None]:
    """A block every ``secs`` beside automine: the exchange credits a deposit only after
    its confirmations."""
    devnet.w3.provider.make_request("evm_setIntervalMining", [secs])  # type: ignore[arg-type]
    try:
        yield
    finally:
        devnet.w3.provider.make_request("evm_setIntervalMining", [0])  # type: ignore[arg-type]


def usdt(devnet: Devnet) -> Any:
    return contract(devnet.w3, "MintableERC20", devnet.deployment.token("USDT").underlying)


def reserve_usdt(devnet: Devnet, wallet: str) -> Decimal:
    raw = int(usdt(devnet).functions.balanceOf(Web3.to_checksum_address(wallet)).call())
    return Decimal(raw).scaleb(-6)


def health_factor(devnet: Devnet, wallet: str) -> Decimal:
    return Decimal(devnet.account_data(wallet)[-1]) / Decimal(10**18)
