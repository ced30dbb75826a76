"""Chain fixtures: one anvil per module loaded with the REAL Aave v3 deployment (``bot.devnet``),
each test starting from the same chain state (``evm_snapshot`` / ``evm_revert``)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Protocol

import pytest
from eth_account import Account
from web3 import Web3

from bot.chain.aave_v3 import AaveV3Reader
from bot.chain.rpc import RpcPool
from bot.devnet.cache import start_devnet
from bot.devnet.devnet import Devnet
from bot.journal import Journal
from bot.protect.aave_errors import explain_revert
from bot.wallet.fees import FeePolicy
from bot.wallet.signer import Signer, load_signer
from bot.wallet.txmanager import TxManager

ANVIL_MNEMONIC = "test test test test test test test test test test test junk"
BORROWER, RESERVE, LIQUIDATOR = 3, 4, 5


def anvil_key(index: int) -> str:
    Account.enable_unaudited_hdwallet_features()
    account = Account.from_mnemonic(ANVIL_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")
    return str(Web3.to_hex(account.key))


class HasAccounts(Protocol):
    def account(self, index: int) -> str: ...


def signer_for(devnet: HasAccounts, index: int) -> Signer:
    """The signer of anvil's account ``index`` (Aave's or Venus's devnet alike)."""
    return load_signer(
        expected_address=devnet.account(index), env={"HEDGEBOT_WALLET_KEY": anvil_key(index)}
    )


@pytest.fixture(scope="module")
def devnet_module() -> Iterator[Devnet]:
    with start_devnet() as devnet:
        yield devnet


@pytest.fixture
def devnet(devnet_module: Devnet) -> Iterator[Devnet]:
    state = devnet_module.take_state()
    try:
        yield devnet_module
    finally:
        devnet_module.set_automine(True)
        devnet_module.revert_state(state)


@pytest.fixture
def journal_path(tmp_path: Path) -> Path:
    return tmp_path / "journal.sqlite"


@pytest.fixture
def journal(journal_path: Path) -> Iterator[Journal]:
    with Journal.open(journal_path) as opened:
        yield opened


def fee_policy(**overrides: float) -> FeePolicy:
    values: dict[str, float] = {
        "receipt_timeout_secs": 30.0,
        "replace_after_secs": 5.0,
        "poll_interval_secs": 0.05,
    }
    values.update(overrides)
    return FeePolicy(
        max_fee_per_gas_wei=100 * 10**9,
        max_priority_fee_per_gas_wei=10 * 10**9,
        gas_margin=Decimal("1.25"),
        **values,  # type: ignore[arg-type]
    )


def make_txm(
    devnet: Devnet, journal: Journal, index: int = RESERVE, *, w3: Web3 | None = None, **kw: object
) -> TxManager:
    return TxManager(
        w3 or Web3(Web3.HTTPProvider(devnet.rpc_url)),
        signer_for(devnet, index),
        journal,
        kw.pop("policy", fee_policy()),  # type: ignore[arg-type]
        chain_id=devnet.chain_id,
        explain_revert=explain_revert,
        **kw,  # type: ignore[arg-type]
    )


def make_reader(devnet: Devnet) -> AaveV3Reader:
    rpc = RpcPool([devnet.rpc_url], devnet.chain_id)
    reader = AaveV3Reader(rpc, devnet.deployment.addresses_provider, devnet.chain_id)
    reader.start()
    return reader
