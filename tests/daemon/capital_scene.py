"""The capital loop's scene: the emulator's wallet settling USDT on anvil (a withdrawal is a real
transfer from its hot wallet, a deposit is credited once anvil has mined its confirmations), and
the borrower's reserve and health factor as the chain reports them. Nothing is mocked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest

from bot.core.capital_model import CoinNetwork
from bot.devnet.aave import contract
from bot.devnet.devnet import Devnet
from bot.emulator.testing import EmulatorHandle
from bot.sim.backtest_params import bsc_stablecoin
from tests.daemon.harness import DaemonProcess
from tests.emulator.chain_helpers import HOT, anvil_key, coin, token_balance
from tests.emulator.chain_helpers import wait_for as wait_until

BORROWER = 2  # the anvil account holding the loan and its reserve
TRIGGER_HF = Decimal("1.3")  # daemon_config's protect.trigger_hf
STEP_DEADLINE_SECS = 90.0  # several capital passes and 6 s history reads, loaded machine
# The emulator's stablecoins on BSC as ``linked_wallet`` lists them (the backtest reads the same
# rules): 6 decimals on the devnet, so withdrawals in cents.
USDT_ON_BSC, USDC_ON_BSC = (
    bsc_stablecoin(c, withdraw_max=Decimal(100_000), withdraw_multiple=Decimal("0.01"))
    for c in ("USDT", "USDC")
)


@pytest.fixture
def linked(devnet: Devnet, emulator: EmulatorHandle) -> Iterator[EmulatorHandle]:
    """The emulator's wallet settling USDT withdrawals on anvil from a funded hot wallet, to the
    borrower only (the whitelist)."""
    with linked_wallet(devnet, emulator, USDT_ON_BSC):
        yield emulator


@contextmanager
def linked_wallet(
    devnet: Devnet,
    emulator: EmulatorHandle,
    net: CoinNetwork,
    *,
    min_confirm: int = 3,
    withdraw_delay_secs: float = 0,
) -> Iterator[None]:
    """The emulator's wallet settling ``net``'s withdrawals on anvil from a hot wallet holding
    a million of the coin, to the borrower only (the whitelist), ``withdraw_delay_secs`` after
    each request; a deposit is credited after ``min_confirm`` blocks."""
    devnet.fund(devnet.account(HOT), net.coin, Decimal(1_000_000))
    rules = {
        "withdraw_fee": str(net.withdraw_fee),
        "withdraw_min": str(net.withdraw_min),
        "withdraw_max": str(net.withdraw_max),
        "withdraw_multiple": str(net.withdraw_multiple),
        "deposit_dust": str(net.deposit_min),
        "min_confirm": min_confirm,
    }
    emulator.control.link_chain(
        rpc_url=devnet.rpc_url,
        hot_wallet_key=anvil_key(HOT),
        coins=[coin(devnet, net.coin, **rules)],
        withdraw_delay_secs=withdraw_delay_secs,
        whitelist=[devnet.account(BORROWER)],
        poll_interval_secs=0.2,
    )
    try:
        yield
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


def erc20(devnet: Devnet, symbol: str) -> Any:
    return contract(devnet.w3, "MintableERC20", devnet.deployment.token(symbol).underlying)


def hot_wallet_payments(devnet: Devnet, symbol: str, wallet: str, since_block: int) -> list[Any]:
    """The ``Transfer`` logs of ``symbol`` from the emulator's hot wallet to ``wallet`` (the
    chain's own record of the withdrawals paid)."""
    hot = devnet.account(HOT)
    found = (
        erc20(devnet, symbol)
        .events.Transfer()
        .get_logs(from_block=since_block, argument_filters={"from": hot, "to": wallet})
    )
    return list(found)


def balance(devnet: Devnet, symbol: str, wallet: str) -> Decimal:
    raw = token_balance(devnet, symbol, wallet)
    return Decimal(raw).scaleb(-devnet.deployment.token(symbol).decimals)


def health_factor(devnet: Devnet, wallet: str) -> Decimal:
    return Decimal(devnet.account_data(wallet)[-1]) / Decimal(10**18)


def settle_step(
    daemon: DaemonProcess,
    devnet: Devnet,
    wallet: str,
    *,
    block: int,
    after: int,
    quiet: Callable[[dict[str, Any]], bool],
    held_ok: bool = False,
) -> int:
    """A price step is over once the hedger has read ``block`` (the move), the guard has done
    what it can (the loan back above its trigger, or no reserve left), and two capital passes
    after that are ``quiet``. ``held_ok``: a cycle held on a position the venue closed (its
    liquidation) counts as the hedger's read. Returns the index of the last event waited for."""

    def hedger_read(e: dict[str, Any]) -> bool:
        if e.get("event") == "cycle done":
            return int(e.get("block", -1)) >= block
        return held_ok and e.get("event") == "cycle skipped" and "reports 0" in e["reason"]

    index, _ = daemon.wait_for(
        hedger_read, what=f"a hedger cycle at block {block} or later", after=after,
        timeout=STEP_DEADLINE_SECS,
    )  # fmt: skip
    wait_until(
        "the guard to repay what it can",
        lambda: health_factor(devnet, wallet) >= TRIGGER_HF or balance(devnet, "USDT", wallet) == 0,
        deadline_secs=STEP_DEADLINE_SECS,
    )
    start = max(index + 1, len(daemon.events()))
    index, _ = daemon.wait_for(
        quiet, what="a quiet capital pass", after=start, timeout=STEP_DEADLINE_SECS
    )
    index, _ = daemon.wait_for(
        quiet, what="a second quiet capital pass", after=index + 1, timeout=STEP_DEADLINE_SECS
    )
    return index
