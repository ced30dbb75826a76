"""The demo's Venus liquidator on the real core pool (anvil): a refusal sends nothing, a
liquidation is read from its ``LiquidateBorrow`` event, and the repay is cut down so the
seizure fits a small collateral (Venus would revert ``LIQUIDATE_SEIZE_TOO_MUCH``)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.demo.liquidator import Liquidation
from bot.demo.venus_chain import VenusDemoChain
from bot.demo.venus_liquidator import VenusLiquidator
from bot.devnet.venus_devnet import VenusDevnet
from bot.devnet.venus_fixtures import venus_devnet, venus_devnet_session  # noqa: F401

pytestmark = pytest.mark.venus
D = Decimal
BORROWER, LIQUIDATOR = 2, 3


def _bot(devnet: VenusDevnet) -> VenusLiquidator:
    chain = VenusDemoChain(devnet)
    chain.arm_liquidator(devnet.account(LIQUIDATOR), "USDT", D(1_000_000))
    bot = chain.liquidator(
        liquidator=devnet.account(LIQUIDATOR), borrower=devnet.account(BORROWER), debt="USDT"
    )
    assert isinstance(bot, VenusLiquidator)
    return bot


def test_a_healthy_position_is_refused_without_sending_anything(
    venus_devnet: VenusDevnet,  # noqa: F811
) -> None:
    devnet = venus_devnet
    collateral = {"BTCB": D(1), "ETH": D(5), "BNB": D(25)}
    devnet.open_position(devnet.account(BORROWER), collateral=collateral, debt={"USDT": D(48000)})
    bot = _bot(devnet)
    block = devnet.block_number()
    bot._attempt()
    stats = bot.stats()
    assert devnet.block_number() == block  # nothing was mined
    assert (stats.attempts, stats.reverted, stats.succeeded) == (1, 1, 0)
    assert "COMPTROLLER_REJECTION" in stats.last_revert_reason


def test_each_liquidation_seizes_what_the_collateral_holds_and_no_more(
    venus_devnet: VenusDevnet,  # noqa: F811
) -> None:
    devnet = venus_devnet
    borrower = devnet.account(BORROWER)
    collateral = {"BTCB": D(1), "ETH": D(5), "BNB": D(25)}
    devnet.open_position(borrower, collateral=collateral, debt={"USDT": D(48000)})
    devnet.set_prices({"BTCB": D(33000), "ETH": D(1650), "BNB": D(450)})  # HF 0.875
    bot = _bot(devnet)
    first = bot._try_once()
    assert isinstance(first, Liquidation), first
    assert first.collateral == "BTCB"  # the largest
    assert first.debt_covered == D(24000)  # the close factor's half of the debt
    # Worth more than the debt it covered, at most the 10 % incentive more (the comptroller's
    # liquidateCalculateSeizeTokens gives a hair under repay x 1.1 / price).
    assert D(24000) < first.collateral_usd <= D(24000) * D("1.1")
    # The largest collateral is now BNB, worth less than half the debt plus the incentive:
    # the repay is cut so the seizure fits, and the call succeeds rather than reverting.
    second = bot._try_once()
    assert isinstance(second, Liquidation), second
    assert second.collateral == "BNB"
    assert second.debt_covered < D(12000)
    assert second.collateral_amount <= D(25)
    assert devnet.v_token_balance(borrower, "BNB") > 0
