"""The backtest's Decimal lending position follows Aave v3.3+ liquidation rules exactly."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.sim.lending import Collateral, LendingPosition


def btc(units: str, debt: str, bonus: str = "0.05") -> LendingPosition:
    return LendingPosition(
        collateral=[
            Collateral(
                symbol="BTC",
                units=Decimal(units),
                liquidation_threshold=Decimal("0.75"),
                liquidation_bonus=Decimal(bonus),
            )
        ],
        debt=Decimal(debt),
    )


def test_half_close_factor_while_hf_above_095_and_both_legs_at_least_2000() -> None:
    pos = btc("1", "7500")  # HF 0.97 at 9,700
    assert pos.liquidate({"BTC": Decimal(9700)}, hour=0) >= 1
    first = pos.events[0]
    assert first.debt_covered == Decimal("3750.000000")
    assert first.collateral_seized == (Decimal(3750) * Decimal("1.05") / Decimal(9700)).quantize(
        Decimal("1e-8"), rounding="ROUND_FLOOR"
    )
    assert first.bonus_usd == pytest.approx(Decimal("187.5"), abs=Decimal("0.0001"))


def test_full_close_at_or_below_095() -> None:
    pos = btc("1", "7500")
    pos.liquidate({"BTC": Decimal(9000)}, hour=0)  # HF 0.9
    assert pos.events[0].debt_covered == Decimal("7500")
    assert pos.debt == 0


def test_full_close_when_a_leg_is_under_2000() -> None:
    pos = btc("0.25", "1900")  # $2,475 of BTC at 9,900 but $1,900 debt; HF 0.977
    pos.liquidate({"BTC": Decimal(9900)}, hour=0)
    assert pos.events[0].debt_covered == Decimal("1900")


def test_dust_rule_liquidator_leaves_at_least_1000_of_collateral() -> None:
    # Two collaterals: the seized one is small; 50 % of the debt would leave < $1,000 of it.
    pos = LendingPosition(
        collateral=[
            Collateral(
                symbol="BTC",
                units=Decimal("0.25"),
                liquidation_threshold=Decimal("0.75"),
                liquidation_bonus=Decimal("0.05"),
            ),
            Collateral(
                symbol="ETH",
                units=Decimal("0.96"),
                liquidation_threshold=Decimal("0.9"),
                liquidation_bonus=Decimal("0.10"),
            ),
        ],
        debt=Decimal(4200),
    )
    prices = {"BTC": Decimal(10_000), "ETH": Decimal(2_500)}
    assert Decimal("0.95") < pos.health_factor(prices) < 1
    pos.liquidate(prices, hour=0, max_rounds=1)
    ev = pos.events[0]
    assert ev.symbol == "BTC"  # the largest reserve ($2,500 vs $2,400)
    assert pos.collateral[0].units * prices["BTC"] == pytest.approx(
        Decimal(1000), abs=Decimal("0.01")
    )
    assert ev.debt_covered == pytest.approx(
        Decimal(1500) / Decimal("1.05"), abs=Decimal("0.000001")
    )


def test_bad_debt_is_burned_when_no_collateral_is_left() -> None:
    pos = btc("0.1", "1000")
    pos.liquidate({"BTC": Decimal(5000)}, hour=3)  # $500 of collateral against $1,000 of debt
    assert pos.collateral[0].units == 0
    assert pos.debt == 0
    assert pos.events[-1].bad_debt > 0


def test_continuous_liquidators_act_at_each_crossing_not_at_the_low() -> None:
    pos = btc("1", "7500")  # HF 1 at 10,000
    calls = pos.liquidate_through("BTC", start=Decimal(10_500), low=Decimal(6_000), hour=0)
    # first call just under 10,000 with HF ~ 1 -> 50 %; later calls at lower crossings
    assert calls >= 2
    assert pos.events[0].price == pytest.approx(Decimal(10_000), rel=Decimal("1e-6"))
    assert pos.events[0].debt_covered == Decimal("3750.000000")
    assert all(e.price >= Decimal(6_000) for e in pos.events)


def test_interest_accrues_hourly() -> None:
    pos = btc("1", "5000")
    pos.borrow_apr = Decimal("0.0876")
    pos.accrue_hours(8760)
    assert pos.debt == pytest.approx(
        Decimal(5000) * (1 + Decimal("0.00001")) ** 8760, rel=Decimal("1e-20")
    )
    assert Decimal("5457") < pos.debt < Decimal("5458")


@settings(max_examples=60, deadline=None)
@given(
    units=st.decimals(min_value=Decimal("0.01"), max_value=Decimal(50), places=8),
    debt=st.decimals(min_value=Decimal(100), max_value=Decimal(500_000), places=6),
    price=st.decimals(min_value=Decimal(100), max_value=Decimal(200_000), places=2),
)
def test_a_liquidation_never_creates_value_and_never_leaves_hf_below_one_with_collateral_left(
    units: Decimal, debt: Decimal, price: Decimal
) -> None:
    pos = btc(str(units), str(debt))
    before_coll, before_debt = pos.collateral[0].units * price, pos.debt
    pos.liquidate({"BTC": price}, hour=0, max_rounds=50)
    for e in pos.events:
        assert e.collateral_seized * price <= e.debt_covered * Decimal("1.05") + Decimal("0.01")
        assert e.bonus_usd >= Decimal("-0.01")
    seized = before_coll - pos.collateral[0].units * price
    covered = before_debt - pos.debt - sum((e.bad_debt for e in pos.events), Decimal(0))
    assert seized <= covered * Decimal("1.05") + Decimal("0.01")
    if pos.collateral[0].units > 0 and pos.debt > 0:
        assert pos.health_factor({"BTC": price}) >= 1 or len(pos.events) == 50
