"""The predicted liquidation price is where Pool.liquidationCall starts to succeed on-chain."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

import pytest

from bot.chain.aave_v3 import AaveV3Reader
from bot.core.liquidation import liquidation_price
from bot.devnet.devnet import Devnet, LiquidationReverted

pytestmark = pytest.mark.chain
D = Decimal
STEP = D("0.0001")  # 0.01 % price steps
HF_NOT_BELOW_THRESHOLD = "45"  # Aave v3 Errors.HEALTH_FACTOR_NOT_BELOW_THRESHOLD


def liquidation_succeeds(devnet: Devnet, borrower: str, debt: str) -> bool:
    """Try the real liquidationCall, then roll the chain back so the position stays as it was."""
    state = devnet.take_state()
    reason = None
    try:
        devnet.liquidate(devnet.account(9), borrower, collateral="WBTC", debt=debt)
    except LiquidationReverted as e:
        reason = e.reason
    finally:
        devnet.revert_state(state)
    assert reason is None or HF_NOT_BELOW_THRESHOLD in reason, reason  # refused for health only
    return reason is None


def walk_down(devnet: Devnet, borrower: str, debt: str, predicted: Decimal) -> list[Decimal]:
    """Lower the WBTC feed in 0.01 % steps from 5 steps above the prediction; at each step the
    liquidation must revert above the predicted price and succeed once below it."""
    price = (predicted * (1 + 5 * STEP)).quantize(D("0.00000001"), rounding=ROUND_DOWN)
    prices = []
    while True:
        devnet.set_price("WBTC", price)
        ok = liquidation_succeeds(devnet, borrower, debt)
        assert ok == (price < predicted), f"WBTC at {price}, predicted {predicted}: ok={ok}"
        prices.append(price)
        if ok:
            return prices
        price = (price * (1 - STEP)).quantize(D("0.00000001"), rounding=ROUND_DOWN)


def check_boundary(devnet: Devnet, borrower: str, debt: str, predicted: Decimal) -> None:
    """To the last oracle unit: safe at the predicted price, liquidatable one 1e-8 below."""
    devnet.set_price("WBTC", predicted)
    assert not liquidation_succeeds(devnet, borrower, debt)
    devnet.set_price("WBTC", predicted - D("0.00000001"))
    assert liquidation_succeeds(devnet, borrower, debt)


def test_single_collateral(devnet: Devnet, aave_reader: AaveV3Reader) -> None:
    borrower = devnet.account(10)
    devnet.open_position(borrower, collateral={"WBTC": D("2.5")}, debt={"USDC": D("100000")})
    devnet.freeze_time()  # the prediction is for this block's interest indexes
    _, now = devnet.latest_block()
    predicted = liquidation_price(aave_reader.snapshot(borrower, now=now), "WBTC")
    assert predicted is not None
    # readable form: 100000 / (2.5 * 0.78) = 51282.05...
    assert abs(predicted - D("51282.05128205")) < D("0.01")
    prices = walk_down(devnet, borrower, "USDC", predicted)
    assert len(prices) == 6  # 5 steps above plus the first one below, within one 0.01 % step
    check_boundary(devnet, borrower, "USDC", predicted)


def test_several_assets_after_interest(devnet: Devnet, aave_reader: AaveV3Reader) -> None:
    borrower = devnet.account(11)
    devnet.open_position(
        borrower,
        collateral={"WBTC": D("1.5"), "WETH": D("10.123456789")},
        debt={"USDC": D("70000.5"), "WBNB": D("12.25")},
    )
    devnet.advance_time(86_400 * 200)
    devnet.freeze_time()
    _, now = devnet.latest_block()
    snap = aave_reader.snapshot(borrower, now=now)
    predicted = liquidation_price(snap, "WBTC")
    assert predicted is not None
    assert predicted < D(60000)
    walk_down(devnet, borrower, "USDC", predicted)
    check_boundary(devnet, borrower, "USDC", predicted)
