"""Health factor: readable ratio, the exact Aave v3 integer model, shadow repricing."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from core_builders import MAPPING, asset, golden_snapshot, snapshot
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.aave_math import MAX_UINT256, AaveMath
from bot.core.health import (
    decision_health_factor,
    exact_health_factor,
    exact_health_factor_wad,
    readable_health_factor,
    shadow_snapshot,
)
from bot.core.model import INFINITE_HF

D = Decimal

MULTI = snapshot(
    asset("WBTC", collateral="0.5", price="60000", lt="0.78"),
    asset("WETH", collateral="4", price="2500", lt="0.825"),
    asset("USDC", debt="12000", price="0.9999", lt="0.78"),
    asset("USDT", debt="5000", price="1.0002", lt="0.78"),
)


def test_golden_position_readable_and_exact_agree_at_30k() -> None:
    s = golden_snapshot()
    # (30,000 x 0.75 + 30,000 x 0.825) / 40,000
    assert readable_health_factor(s) == D("1.18125")
    # avg LT = floor(47,250 / 60,000 in bps) = 7875 exactly, so no rounding shows here.
    assert exact_health_factor_wad(s) == 1_181_250_000_000_000_000


def test_multi_collateral_multi_stable_debt_by_hand() -> None:
    assert readable_health_factor(MULTI) == D(31650) / D("16999.8")
    # By hand, in base units (USD x 1e8):
    total_collateral = 3_000_000_000_000 + 1_000_000_000_000
    weighted = 3_000_000_000_000 * 7800 + 1_000_000_000_000 * 8250
    average_lt = weighted // total_collateral
    assert average_lt == 7912  # 7912.5 floored: the chain loses half a bp here
    debt = 12_000_000_000 * 99_990_000 // 10**6 + 5_000_000_000 * 100_020_000 // 10**6
    assert debt == 1_699_980_000_000
    liquidation_value = (total_collateral * average_lt + 5000) // 10_000
    expected = (liquidation_value * 10**18 + debt // 2) // debt
    assert exact_health_factor_wad(MULTI) == expected
    assert exact_health_factor(MULTI) < readable_health_factor(MULTI)
    # v3.5+: no averaged LT, debt rounded up.
    v35 = (weighted * 10**18 + debt // 2) // debt // 10_000
    assert exact_health_factor_wad(MULTI, math=AaveMath.V3_5) == v35


def test_v35_rounds_debt_up() -> None:
    s = snapshot(
        asset("WETH", collateral="1", price="2000", lt="0.8"),
        asset("USDC", debt="0.000001", price="0.99999999", lt="0.78"),
    )
    # 1 raw unit x 99,999,999 / 1e6 = 99.99... base units: floor 99 (v3.0), ceil 100 (v3.5).
    v30 = exact_health_factor_wad(s, math=AaveMath.V3_0)
    v35 = exact_health_factor_wad(s, math=AaveMath.V3_5)
    assert v30 == (160_000_000_000 * 10**18 + 49) // 99
    assert v35 == (200_000_000_000 * 8000 * 10**18 + 50) // 100 // 10_000


def test_no_debt_is_infinite() -> None:
    s = snapshot(asset("WBTC", collateral="1", price="60000", lt="0.78"))
    assert readable_health_factor(s) == INFINITE_HF
    assert exact_health_factor_wad(s) == MAX_UINT256
    assert exact_health_factor(s) == INFINITE_HF


def test_debt_without_collateral_is_zero() -> None:
    s = snapshot(asset("USDC", debt="10", price="1", lt="0.78"))
    assert exact_health_factor_wad(s) == 0
    assert readable_health_factor(s) == 0


def test_disabled_collateral_does_not_count() -> None:
    s = snapshot(
        asset("WBTC", collateral="1", price="60000", lt="0.78", enabled=False),
        asset("WETH", collateral="10", price="3000", lt="0.825"),
        asset("USDC", debt="10000", price="1", lt="0.78"),
    )
    assert readable_health_factor(s) == D("2.475")
    assert exact_health_factor(s) == D("2.475")


def test_inexact_amount_is_refused_with_the_asset_named() -> None:
    s = snapshot(asset("USDC", debt="1.0000001", price="1", lt="0.78"))  # 7 decimals, USDC has 6
    with pytest.raises(ValueError, match=r"'USDC' debt = 1\.0000001"):
        exact_health_factor_wad(s)
    s = snapshot(asset("WETH", collateral="1", price="2000.123456789", lt="0.8"))
    with pytest.raises(ValueError, match="price_usd"):
        exact_health_factor_wad(s)


def test_shadow_reprices_through_the_underlying_and_keeps_stables() -> None:
    s = golden_snapshot()
    marks = {"BTC": D("27000.123456789"), "ETH": D("2700")}
    shadow = shadow_snapshot(s, marks, MAPPING)
    prices = {a.symbol: a.price_usd for a in shadow.assets}
    assert prices == {"WBTC": D("27000.12345679"), "WETH": D("2700.00000000"), "USDC": D(1)}
    assert exact_health_factor(shadow) < exact_health_factor(s)
    oracle, shadow_hf = exact_health_factor(s), exact_health_factor(shadow)
    assert decision_health_factor(oracle, shadow_hf) == shadow_hf
    assert decision_health_factor(INFINITE_HF, D("1.5")) == D("1.5")


def test_shadow_token_specific_mark_wins_and_missing_mark_is_an_error() -> None:
    s = golden_snapshot()
    shadow = shadow_snapshot(s, {"BTC": D(1), "WBTC": D(2), "ETH": D(3)}, MAPPING)
    assert shadow.assets[0].price_usd == 2
    with pytest.raises(ValueError, match="'ETH'"):
        shadow_snapshot(s, {"BTC": D(1)}, MAPPING)


prices = st.integers(min_value=100_000_000, max_value=10_000_000_000_000).map(
    lambda raw: Decimal(raw).scaleb(-8)
)
amounts = st.integers(min_value=1, max_value=10**12).map(lambda raw: Decimal(raw).scaleb(-6))
thresholds = st.integers(min_value=1, max_value=9500).map(lambda bps: Decimal(bps).scaleb(-4))


@settings(max_examples=200, deadline=None)
@given(
    btc=amounts,
    eth=amounts,
    debt=amounts,
    btc_price=prices,
    eth_price=prices,
    lt_btc=thresholds,
    lt_eth=thresholds,
    drop=st.integers(min_value=1, max_value=10**8),
    math=st.sampled_from(list(AaveMath)),
)
def test_hf_never_rises_when_a_collateral_price_falls(
    *,
    btc: Decimal,
    eth: Decimal,
    debt: Decimal,
    btc_price: Decimal,
    eth_price: Decimal,
    lt_btc: Decimal,
    lt_eth: Decimal,
    drop: int,
    math: AaveMath,
) -> None:
    s = snapshot(
        asset("WBTC", collateral=btc.quantize(D("1e-6")), price=btc_price, lt=lt_btc),
        asset("WETH", collateral=eth, price=eth_price, lt=lt_eth),
        asset("USDC", debt=debt, price="1", lt="0.78"),
    )
    lower = max(btc_price - Decimal(drop).scaleb(-8) * btc_price / 1000, Decimal("0.00000001"))
    lower = lower.quantize(D("1e-8"))
    fallen = replace(s, assets=(replace(s.assets[0], price_usd=lower), *s.assets[1:]))
    assert readable_health_factor(fallen) <= readable_health_factor(s)
    # The exact model may wobble by the floored average LT (at most 1 bp of the LT, relative),
    # but never by more, and it never rises above the readable value plus rounding.
    exact_before = exact_health_factor(s, math=math)
    exact_after = exact_health_factor(fallen, math=math)
    lowest_lt = min(lt_btc, lt_eth)
    assert exact_after <= exact_before * (1 + D(1) / (lowest_lt * 10000) + D("1e-12"))
    if math is AaveMath.V3_5:
        assert exact_after <= exact_before
