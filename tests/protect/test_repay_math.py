"""The repay/supply amounts restore the target HF by the chain's exact arithmetic, minimally."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.health import exact_health_factor_wad
from bot.core.repay_math import (
    hf_to_wad,
    min_raw_to_reach,
    min_repay,
    min_supply,
    to_raw,
    with_collateral_supplied,
    with_debt_repaid,
)
from tests.protect.factories import position, positions

targets = st.decimals(min_value=Decimal("1.01"), max_value=Decimal("3"), places=3)


@settings(max_examples=150, deadline=None)
@given(snapshot=positions(), target=targets)
def test_repay_reaches_target_and_is_minimal_within_one_raw_unit(snapshot, target):
    solution = min_repay(snapshot, "USDC", target)
    wanted = hf_to_wad(target)
    full_debt = to_raw(snapshot.assets[1].debt, 6)
    if solution.reaches:
        assert exact_health_factor_wad(with_debt_repaid(snapshot, "USDC", solution.raw)) >= wanted
        if solution.raw > 0:
            one_less = with_debt_repaid(snapshot, "USDC", solution.raw - 1)
            assert exact_health_factor_wad(one_less) < wanted
        assert solution.raw <= full_debt
    else:  # not even the whole USDC debt is enough (the position also owes USDT)
        assert solution.raw == full_debt
        assert solution.hf_after_wad < wanted


@settings(max_examples=100, deadline=None)
@given(snapshot=positions(), target=targets)
def test_supply_reaches_target_and_is_minimal(snapshot, target):
    upper = 10**13  # 10 million USDC
    solution = min_supply(snapshot, "USDC", target, upper_raw=upper)
    wanted = hf_to_wad(target)
    if solution.reaches:
        after = with_collateral_supplied(snapshot, "USDC", solution.raw)
        assert exact_health_factor_wad(after) >= wanted
        if solution.raw > 0:
            before = with_collateral_supplied(snapshot, "USDC", solution.raw - 1)
            assert exact_health_factor_wad(before) < wanted
    else:
        assert solution.raw == upper


def test_repay_for_a_known_position():
    # 1.5 BTC at 60k, LT 78 %, 50k USDC debt: HF 1.404; 1.6 needs debt 43 875 -> repay 6 125.
    solution = min_repay(position(), "USDC", Decimal("1.6"))
    assert solution.reaches
    assert solution.amount == Decimal("6125")
    assert solution.hf_after_wad == 1_600_000_000_000_000_000


def test_a_healthy_position_needs_no_repay():
    solution = min_repay(position(usdc_debt=Decimal(10000)), "USDC", Decimal("1.6"))
    assert solution.raw == 0
    assert solution.reaches


def test_unknown_asset_is_named():
    with pytest.raises(ValueError, match="DAI is not in the position"):
        min_repay(position(), "DAI", Decimal("1.6"))


@given(
    threshold=st.integers(0, 10**30),
    guess=st.integers(0, 10**30),
    upper=st.integers(0, 10**30),
)
def test_min_raw_to_reach_finds_the_step_of_a_step_function(threshold, guess, upper):
    def evaluate(x):
        return 1 if x >= threshold else 0

    found = min_raw_to_reach(evaluate, target_wad=1, upper=upper, guess=guess)
    assert found == (threshold if threshold <= upper else None)
