"""Liquidation prices: closed form on the readable HF, exact crossing on the chain's model."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from core_builders import MAPPING, asset, golden_snapshot, snapshot
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.aave_math import WAD, AaveMath, account_health_factor_wad, raw_reserves
from bot.core.health import exact_health_factor_wad, readable_health_factor
from bot.core.liquidation import (
    common_crash_factor,
    distance_to_liquidation,
    liquidation_price,
    liquidation_price_for_underlying,
    on_safe_side,
    readable_liquidation_price,
    underlying_crash_factor,
)
from bot.core.model import PositionSnapshot

D = Decimal
STEP = D("0.00000001")


def repriced(s: PositionSnapshot, symbol: str, price: Decimal) -> PositionSnapshot:
    return replace(
        s,
        assets=tuple(replace(a, price_usd=price) if a.symbol == symbol else a for a in s.assets),
    )


def hf_wad_at(s: PositionSnapshot, symbol: str, price: Decimal, math: AaveMath) -> int:
    return exact_health_factor_wad(repriced(s, symbol, price), math=math)


def test_golden_wbtc_plain_formula_vs_chain_crossing() -> None:
    """The issue's numbers: WBTC LT 75 %, WETH LT 82.5 % at $3,000, USDC at $1."""
    s = golden_snapshot()
    assert round(readable_liquidation_price(s, "WBTC"), 2) == D("20333.33")
    chain = liquidation_price(s, "WBTC")
    assert chain == D("20339.79360684")
    assert hf_wad_at(s, "WBTC", chain, AaveMath.V3_0) >= WAD
    assert hf_wad_at(s, "WBTC", chain - STEP, AaveMath.V3_0) < WAD
    # The floored average LT (7946 bps at the crossing) is what moves it 0.03 %.
    assert hf_wad_at(s, "WBTC", D("20333.34"), AaveMath.V3_0) < WAD
    # v3.5 drops the averaging: the crossing is the plain one, to the oracle step.
    assert liquidation_price(s, "WBTC", math=AaveMath.V3_5) == D("20333.33333334")


def test_stable_debt_price_moves_up() -> None:
    s = golden_snapshot()
    assert readable_liquidation_price(s, "USDC") == D("1.18125")
    price = liquidation_price(s, "USDC")
    assert price == D("1.18125")
    assert hf_wad_at(s, "USDC", price, AaveMath.V3_0) >= WAD
    assert hf_wad_at(s, "USDC", price + STEP, AaveMath.V3_0) < WAD


def test_volatile_debt_by_hand() -> None:
    """1 WBTC @ 50k (LT 75 %) + 10,000 USDC (LT 78 %) against 8 WETH debt @ 2,500."""
    s = snapshot(
        asset("WBTC", collateral="1", price="50000", lt="0.75"),
        asset("USDC", collateral="10000", price="1", lt="0.78"),
        asset("WETH", debt="8", price="2500", lt="0.825"),
    )
    assert readable_health_factor(s) == D("2.265")
    # 45,300 of liquidation value / 8 WETH; the average LT is exactly 7550 bps, no rounding.
    assert readable_liquidation_price(s, "WETH") == D("5662.5")
    assert liquidation_price(s, "WETH") == D("5662.50000000")
    assert hf_wad_at(s, "WETH", D("5662.50000001"), AaveMath.V3_0) < WAD
    # WBTC falling: 50000 -> (20000 - 7800) / 0.75
    readable_btc = readable_liquidation_price(s, "WBTC")
    assert readable_btc is not None
    assert abs(readable_btc - D(20000 - 7800) / D("0.75")) < D("1e-40")
    btc = liquidation_price(s, "WBTC")
    assert btc is not None
    assert hf_wad_at(s, "WBTC", btc, AaveMath.V3_0) >= WAD
    assert hf_wad_at(s, "WBTC", btc - STEP, AaveMath.V3_0) < WAD
    # A common crash scales the WETH debt down with the WBTC collateral: the collateral side
    # (37,500 x LT) always outweighs the debt (20,000), so no crash liquidates this position.
    assert common_crash_factor(s, MAPPING) is None


def test_cannot_cause_liquidation() -> None:
    s = snapshot(
        asset("WBTC", collateral="1", price="50000", lt="0.75"),
        asset("USDC", collateral="100000", price="1", lt="0.78"),
        asset("USDT", debt="10000", price="1", lt="0.78"),
    )
    assert liquidation_price(s, "WBTC") is None  # USDC alone covers the debt
    no_debt = snapshot(asset("WBTC", collateral="1", price="50000", lt="0.75"))
    assert liquidation_price(no_debt, "WBTC") is None
    assert common_crash_factor(no_debt, MAPPING) is None
    with pytest.raises(ValueError, match="'DOGE'"):
        liquidation_price(s, "DOGE")


def test_debt_token_liquidatable_at_any_price_gives_zero() -> None:
    s = snapshot(
        asset("WBTC", collateral="1", price="10000", lt="0.75"),
        asset("USDC", debt="9000", price="1", lt="0.78"),
        asset("WETH", debt="1", price="2000", lt="0.8"),
    )
    assert liquidation_price(s, "WETH") == 0
    assert distance_to_liquidation(D(2000), D(0), adverse_up=True) == -1


def test_underlying_with_two_tokens_and_common_crash() -> None:
    s = snapshot(
        asset("WBTC", collateral="1", price="60000", lt="0.78"),
        asset("BTCB", collateral="0.5", price="60010", lt="0.7"),
        asset("WETH", collateral="10", price="3000", lt="0.825"),
        asset("USDC", debt="50000", price="1", lt="0.78"),
        asset("USDT", debt="10000", price="1", lt="0.78"),
    )
    k = underlying_crash_factor(s, "BTC", MAPPING)
    assert k is not None
    # readable: (60000 - 24750) / (46800 + 21003.5)
    assert abs(k - D(35250) / D("67803.5")) < D("2e-4")
    assert k > D(35250) / D("67803.5")  # the floored average makes the chain liquidate earlier
    scaled = replace(
        s,
        assets=tuple(
            replace(a, price_usd=(a.price_usd * k).quantize(STEP))
            if a.symbol in {"WBTC", "BTCB"}
            else a
            for a in s.assets
        ),
    )
    assert exact_health_factor_wad(scaled) >= WAD - 10**9
    price = liquidation_price_for_underlying(s, "BTC", MAPPING, underlying_price=D(61000))
    assert price is not None
    # On the oracle's grid, never below the crossing a falling BTC meets.
    assert price == on_safe_side(k * 61000, STEP, adverse_up=False)
    assert k * 61000 <= price < k * 61000 + STEP
    assert price % STEP == 0
    crash = common_crash_factor(s, MAPPING)
    assert crash is not None
    readable_crash = D(60000) / (D("67803.5") + D(24750))
    assert abs(crash - readable_crash) / readable_crash < D("2e-4")


def test_single_token_underlying_uses_the_exact_token_crossing() -> None:
    s = golden_snapshot()
    assert underlying_crash_factor(s, "BTC", MAPPING) == D("20339.79360684") / 30000
    assert liquidation_price_for_underlying(s, "BTC", MAPPING) == D("20339.79360684")


def test_distance() -> None:
    assert distance_to_liquidation(D(30000), D("20339.79360684")) == D("0.322006879772")
    assert distance_to_liquidation(D(1), D("1.18125"), adverse_up=True) == D("0.18125")
    with pytest.raises(ValueError, match="current price"):
        distance_to_liquidation(D(0), D(1))


def test_first_crossing_from_above_survives_the_floored_average_sawtooth() -> None:
    """A case where HF dips back under 1 just above the lowest price with HF >= 1: the
    answer is the crossing a falling price meets first, checked step by step."""
    s = snapshot(
        asset("LINK", collateral="33858", price="44.6", lt="0.5667"),
        asset("WETH", collateral="43", price="3000", lt="0.828"),
        asset("USDC", debt="131356", price="1", lt="0.78"),
    )
    price = liquidation_price(s, "LINK")
    assert price == D("1.27999200")
    reserves = raw_reserves(s)
    target = int(price.scaleb(8))

    def safe(raw_price: int) -> bool:
        moved = (replace(reserves[0], price_raw=raw_price), *reserves[1:])
        return account_health_factor_wad(moved, AaveMath.V3_0) >= WAD

    assert not safe(target - 1)
    assert all(safe(p) for p in range(target, target + 60_000))  # past the 1e-4 window
    # Plain bisection would have stopped at a lower, wrong crossing inside the dip.
    assert safe(127_932_428)
    assert not safe(127_932_427)


collateral_amounts = st.integers(min_value=10**6, max_value=10**14)
price_raw = st.integers(min_value=10**6, max_value=10**13)
lt_bps = st.integers(min_value=100, max_value=9500)


@settings(max_examples=150, deadline=None)
@given(
    btc=collateral_amounts,
    eth=collateral_amounts,
    btc_price=price_raw,
    eth_price=price_raw,
    lt_btc=lt_bps,
    lt_eth=lt_bps,
    debt_share=st.integers(min_value=5, max_value=99),
    eth_debt=st.booleans(),
    math=st.sampled_from(list(AaveMath)),
)
def test_liquidation_price_is_where_hf_is_one(
    *,
    btc: int,
    eth: int,
    btc_price: int,
    eth_price: int,
    lt_btc: int,
    lt_eth: int,
    debt_share: int,
    eth_debt: bool,
    math: AaveMath,
) -> None:
    btc_d, eth_d = D(btc).scaleb(-8), D(eth).scaleb(-8)
    bp, ep = D(btc_price).scaleb(-8), D(eth_price).scaleb(-8)
    weighted = btc_d * bp * D(lt_btc).scaleb(-4) + eth_d * ep * D(lt_eth).scaleb(-4)
    debt = (weighted * debt_share / 100).quantize(D("0.000001"))
    assets = [
        asset("WBTC", collateral=btc_d, price=bp, lt=D(lt_btc).scaleb(-4)),
        asset("WETH", collateral=eth_d, price=ep, lt=D(lt_eth).scaleb(-4)),
        asset(
            "USDC",
            debt=(debt / 2).quantize(D("0.000001")) if eth_debt else debt,
            price="1",
            lt="0.78",
        ),
    ]
    if eth_debt:
        assets.append(asset("DAI", debt=(debt / 2 / ep).quantize(D("1e-18")), price=ep, lt="0.8"))
    s = snapshot(*assets)
    if readable_health_factor(s) == D("Infinity"):
        return
    readable = readable_liquidation_price(s, "WBTC")
    if readable is not None and readable > 0:
        hf = readable_health_factor(repriced(s, "WBTC", readable))
        assert abs(hf - 1) <= D("1e-12")
    exact = liquidation_price(s, "WBTC", math=math)
    if exact is None:
        # Only when the readable model agrees nothing (or a sub-cent price) liquidates.
        assert readable is None or readable < D("0.01")
        return
    assert hf_wad_at(s, "WBTC", exact, math) >= WAD
    assert hf_wad_at(s, "WBTC", exact - STEP, math) < WAD
    # What status shows for BTC is that crossing to the last digit, not factor x price noise.
    assert liquidation_price_for_underlying(s, "BTC", MAPPING, math=math) == exact
    if readable is not None:
        # Flooring the average LT loses up to 1 bp of the whole collateral; WBTC's price
        # must make that up through its own LT-weighted value. Value floors add base units.
        collateral_usd = btc_d * exact + eth_d * ep
        tolerance = 2 * collateral_usd / lt_btc / btc_d + D("4e-8") / btc_d + D("2e-8")
        assert abs(exact - readable) <= tolerance


def test_the_pool_revision_picks_the_rounding_the_chain_uses() -> None:
    # The example on v3.0 (revision 1) and on v3.5+ (revision 9 and later), where the
    # averaged liquidation threshold is no longer floored to whole basis points.
    base = golden_snapshot()
    v30 = liquidation_price(replace(base, pool_revision=1), "WBTC")
    v36 = liquidation_price(replace(base, pool_revision=10), "WBTC")
    assert v30 == Decimal("20339.79360684")
    assert v36 == Decimal("20333.33333334")
    assert exact_health_factor_wad(replace(base, pool_revision=10)) == (
        exact_health_factor_wad(base, math=AaveMath.V3_5)
    )
