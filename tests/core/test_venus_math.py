"""Venus core-pool arithmetic: against a line-by-line transcription of the Solidity, by hand,
and the liquidation-price / repay searches on top of it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bot.core.account_model import account_model
from bot.core.health import exact_health_factor, exact_health_factor_wad, shadow_snapshot
from bot.core.liquidation import common_crash_factor, liquidation_price
from bot.core.model import AssetPosition, PositionSnapshot, SupplyShares, TokenMapping
from bot.core.repay_math import min_repay, min_supply, with_collateral_supplied, with_crash
from bot.core.venus_math import VENUS_CORE, account_liquidity

D = Decimal
EXP = 10**18
WAD = 10**18


# --- an independent transcription of ComptrollerLens._calculateAccountPosition ---------------
@dataclass
class Exp:
    mantissa: int


def mul_exp(a: Exp, b: Exp) -> Exp:  # mul_(Exp, Exp)
    return Exp(a.mantissa * b.mantissa // 10**18)


def mul_scalar_truncate_add(a: Exp, scalar: int, addend: int) -> int:
    return (a.mantissa * scalar) // 10**18 + addend


@dataclass
class Market:
    """What the lens reads for one market: getAccountSnapshot, the price, the effective LT."""

    symbol: str
    decimals: int
    vtokens: int
    borrow: int
    exchange_rate: int
    price: int
    lt: int
    entered: bool = True


def solidity_liquidity(markets: list[Market], vai_repay: int) -> tuple[int, int]:
    sum_collateral = 0
    sum_borrow = 0
    for m in markets:
        if not m.entered:  # getAssetsIn lists entered markets only
            continue
        weighted = Exp(m.lt)
        exchange_rate = Exp(m.exchange_rate)
        if m.vtokens == 0 and m.borrow == 0:
            continue
        collateral_price = Exp(m.price)
        debt_price = Exp(m.price)
        tokens_to_denom = mul_exp(mul_exp(weighted, exchange_rate), collateral_price)
        sum_collateral = mul_scalar_truncate_add(tokens_to_denom, m.vtokens, sum_collateral)
        sum_borrow = mul_scalar_truncate_add(debt_price, m.borrow, sum_borrow)
    sum_borrow = sum_borrow + vai_repay
    if sum_collateral > sum_borrow:
        return sum_collateral - sum_borrow, 0
    return 0, sum_borrow - sum_collateral


# --- snapshots as the Venus reader builds them -------------------------------------------------
def position(m: Market) -> AssetPosition:
    shares = SupplyShares(shares=m.vtokens, exchange_rate=m.exchange_rate)
    return AssetPosition(
        symbol=m.symbol,
        address="0x" + m.symbol.encode().hex().ljust(40, "0")[:40],
        decimals=m.decimals,
        collateral=D(f"{m.vtokens * m.exchange_rate // EXP}e-{m.decimals}"),
        debt=D(f"{m.borrow}e-{m.decimals}"),
        price_usd=D(f"{m.price}e-{36 - m.decimals}"),
        liquidation_threshold=D(f"{m.lt}e-18"),
        collateral_enabled=m.entered,
        supply_shares=shares,
    )


def vai(amount: int) -> AssetPosition:
    return AssetPosition(
        symbol="VAI",
        address="0x" + "0" * 39 + "1",
        decimals=18,
        collateral=D(0),
        debt=D(f"{amount}e-18"),
        price_usd=D(1),
        liquidation_threshold=D(0),
    )


def venus(markets: list[Market], vai_repay: int = 0) -> PositionSnapshot:
    assets = [position(m) for m in markets]
    if vai_repay:
        assets.append(vai(vai_repay))
    return PositionSnapshot(
        protocol="venus-core",
        chain_id=56,
        wallet="0x" + "ab" * 20,
        block_number=1,
        block_timestamp=1,
        assets=tuple(assets),
    )


def with_price(s: PositionSnapshot, symbol: str, price: int) -> PositionSnapshot:
    assets = tuple(
        replace(a, price_usd=D(f"{price}e-{36 - a.decimals}")) if a.symbol == symbol else a
        for a in s.assets
    )
    return replace(s, assets=assets)


def shortfall_at(s: PositionSnapshot, symbol: str, price: int) -> int:
    return account_liquidity(with_price(s, symbol, price))[1]


# 1 vBNB = 0.02 BNB (exchange rate with 18 - 8 + 18 = 28 decimals).
BNB = Market("BNB", 18, vtokens=50 * 10**8, borrow=0, exchange_rate=2 * 10**26,
             price=600 * EXP, lt=8 * 10**17)  # fmt: skip
USDT = Market("USDT", 18, vtokens=0, borrow=400 * EXP, exchange_rate=EXP, price=EXP, lt=0)


def test_hand_computed_single_collateral() -> None:
    # tokensToDenom = (0.8e18 * 2e26 / 1e18) * 600e18 / 1e18 = 9.6e28; x 50e8 / 1e18 = 480e18
    s = venus([BNB, USDT])
    assert account_liquidity(s) == (80 * EXP, 0)
    assert exact_health_factor(s) == D("1.2")
    assert s.assets[0].collateral == D(1)
    # 400 / 0.8 = 500 USD: margin 0 there; one oracle unit (1e-18 USD) lower is a shortfall
    # of 1 (the 1.6e8 lost in tokensToDenom times 50e8 vTokens is 0.8 after the floor).
    assert liquidation_price(s, "BNB") == D(500)
    assert shortfall_at(s, "BNB", 500 * EXP) == 0
    assert shortfall_at(s, "BNB", 500 * EXP - 1) == 1
    # The debt side: USDT at 1.2 USD makes 480 of debt, equal to the collateral.
    assert liquidation_price(s, "USDT") == D("1.2")
    assert shortfall_at(s, "USDT", 12 * 10**17 + 1) > 0


def test_vai_counts_as_borrow_at_one_dollar() -> None:
    s = venus([BNB, USDT], vai_repay=30 * EXP)
    assert account_liquidity(s) == (50 * EXP, 0)
    assert exact_health_factor_wad(s) == 480 * EXP * WAD // (430 * EXP)
    assert liquidation_price(s, "BNB") == D(430) / D("0.8")


def test_markets_not_entered_count_on_neither_side() -> None:
    outside = replace(BNB, symbol="ETH", entered=False)
    s = venus([BNB, USDT, outside])
    assert account_liquidity(s) == (80 * EXP, 0)
    assert liquidation_price(s, "ETH") is None


def test_truncation_makes_the_chain_differ_from_the_readable_formula() -> None:
    # An exchange rate with many digits: the comptroller's double truncation, not the product.
    odd = Market("BTC", 18, vtokens=123_456_789_012, borrow=0,
                 exchange_rate=201_234_567_890_123_456_789_012_345, price=97_123 * EXP + 7,
                 lt=777_777_777_777_777_777)  # fmt: skip
    debt = replace(USDT, borrow=10_000 * EXP + 12_345)
    s = venus([odd, debt])
    assert account_liquidity(s) == solidity_liquidity([odd, debt], 0)
    p = liquidation_price(s, "BTC")
    assert p is not None
    raw = int(p.scaleb(18))
    assert shortfall_at(s, "BTC", raw) == 0
    assert shortfall_at(s, "BTC", raw - 1) > 0


def test_the_oracle_step_depends_on_decimals() -> None:
    s = venus([replace(BNB, decimals=8, exchange_rate=2 * 10**16, price=600 * 10**28), USDT])
    assert VENUS_CORE.price_step(s.assets[0]) == D("1e-28")
    mapping = {
        "BNB": TokenMapping(token="BNB", underlying="BNB"),
        "USDT": TokenMapping(token="USDT", underlying="USD"),
    }
    shadow = shadow_snapshot(s, {"BNB": D("512.3456789")}, mapping)
    assert shadow.assets[0].price_usd == D("512.3456789")
    crashed = with_crash(venus([BNB, USDT]), D("1") / D(3), ["USDT"])
    assert crashed.assets[0].price_usd == D(400)


def test_supply_mints_vtokens_at_the_stored_rate_and_does_not_enter() -> None:
    s = venus([BNB, USDT])
    after = with_collateral_supplied(s, "BNB", 10**18 + 7)
    shares = after.assets[0].supply_shares
    assert shares is not None
    assert shares.shares == 50 * 10**8 + (10**18 + 7) * EXP // (2 * 10**26)
    assert after.assets[0].collateral == D(f"{shares.shares * 2 * 10**26 // EXP}e-18")
    outside = venus([replace(BNB, entered=False), USDT])
    assert not with_collateral_supplied(outside, "BNB", EXP).assets[0].collateral_enabled


def test_repay_sizing_runs_on_the_venus_model() -> None:
    s = venus([replace(BNB, price=510 * EXP), USDT])
    target = D("1.5")
    solution = min_repay(s, "USDT", target)
    assert solution.reaches
    repaid = replace(USDT, borrow=USDT.borrow - solution.raw)
    hf_after = exact_health_factor_wad(venus([replace(BNB, price=510 * EXP), repaid]))
    assert hf_after >= 15 * 10**17
    one_less = replace(USDT, borrow=USDT.borrow - solution.raw + 1)
    assert exact_health_factor_wad(venus([replace(BNB, price=510 * EXP), one_less])) < 15 * 10**17
    supply = min_supply(s, "BNB", target, upper_raw=10 * EXP)
    assert supply.reaches
    assert supply.hf_after_wad >= 15 * 10**17


def test_the_snapshot_names_its_model() -> None:
    assert account_model(venus([BNB])) is VENUS_CORE
    with pytest.raises(ValueError, match="compound"):
        account_model(replace(venus([BNB]), protocol="compound-v3"))


# --- properties on random positions ----------------------------------------------------------
decimals = st.sampled_from([6, 8, 18])


@st.composite
def markets(draw: st.DrawFn) -> Market:
    dec = draw(decimals)
    # vToken 8 decimals: the exchange rate carries 18 - 8 + dec decimals, around 0.02 .. 1.
    scale = 10 ** (18 - 8 + dec)
    return Market(
        symbol=draw(st.sampled_from(["BNB", "BTC", "ETH", "USDT", "USDC", "XRP"])),
        decimals=dec,
        # Not dust: the readable pre-check (shared with Aave) decides positions whose
        # value floors away, a vToken or a cent at a time.
        vtokens=draw(st.integers(10**8, 10**8 * 10**7) | st.just(0)),
        borrow=draw(st.integers(10**dec // 100, 10**dec * 10**6) | st.just(0)),
        exchange_rate=draw(st.integers(scale // 100, scale)),
        price=draw(st.integers(10 ** (36 - dec - 4), 10 ** (36 - dec + 5))),
        lt=draw(st.integers(0, EXP)),
        entered=draw(st.booleans() | st.just(True)),
    )


@st.composite
def positions(draw: st.DrawFn) -> tuple[list[Market], int]:
    drawn = draw(st.lists(markets(), min_size=1, max_size=4, unique_by=lambda m: m.symbol))
    return drawn, draw(st.integers(10**16, 10**24) | st.just(0))


@settings(max_examples=400, deadline=None)
@given(position=positions())
def test_liquidity_equals_the_solidity_transcription(position: tuple[list[Market], int]) -> None:
    markets_, vai_repay = position
    s = venus(markets_, vai_repay)
    liquidity, shortfall = account_liquidity(s)
    assert (liquidity, shortfall) == solidity_liquidity(markets_, vai_repay)
    hf = exact_health_factor_wad(s)
    assert (hf >= WAD) == (shortfall == 0)


@settings(max_examples=300, deadline=None)
@given(position=positions(), index=st.integers(0, 3))
def test_liquidation_price_is_one_oracle_step_from_a_shortfall(
    position: tuple[list[Market], int], index: int
) -> None:
    markets_, vai_repay = position
    target = markets_[index % len(markets_)]
    assume(target.entered)
    s = venus(markets_, vai_repay)
    price = liquidation_price(s, target.symbol)

    def shortfall(p: int) -> int:
        moved = [replace(m, price=p) if m is target else m for m in markets_]
        return solidity_liquidity(moved, vai_repay)[1]

    collateral_only = target.borrow == 0
    debt_only = target.vtokens == 0 or target.lt == 0
    if price is None:  # the price cannot cause a liquidation: safe everywhere or nowhere
        if collateral_only:
            assert shortfall(1) == 0 or shortfall(10**60) > 0
        elif debt_only:
            assert shortfall(10**60) == 0 or shortfall(1) > 0
        return
    raw = int(price.scaleb(36 - target.decimals))
    if raw == 0:
        # Debt-like and short of collateral without it (the readable answer, shared with
        # Aave): liquidatable at any price but dust ones, where the debt's value floors to 0.
        assert shortfall(10**60) > 0
        return
    assert shortfall(raw) == 0
    if collateral_only:
        assert shortfall(raw - 1) > 0
        assert shortfall(raw * 2) == 0
    elif debt_only:
        assert shortfall(raw + 1) > 0
        assert shortfall(raw // 2) == 0
    else:  # supplied and borrowed: one oracle unit either way is the adverse one
        assert shortfall(raw - 1) > 0 or shortfall(raw + 1) > 0


@settings(max_examples=150, deadline=None)
@given(position=positions())
def test_common_crash_factor_is_where_the_shortfall_starts(
    position: tuple[list[Market], int],
) -> None:
    markets_, vai_repay = position
    s = venus(markets_, vai_repay)
    mapping = {
        m.symbol: TokenMapping(token=m.symbol, underlying="USD" if "USD" in m.symbol else m.symbol)
        for m in markets_
    }
    mapping["VAI"] = TokenMapping(token="VAI", underlying="USD")
    moving = [m for m in markets_ if "USD" not in m.symbol and (m.vtokens or m.borrow)]
    assume(len(moving) >= 2)  # one token is a price crossing, tested above
    factor = common_crash_factor(s, mapping)
    if factor is None or factor == 0:
        return
    f = int(factor.scaleb(15))

    def shortfall(k: int) -> int:
        moved = [m if "USD" in m.symbol else replace(m, price=m.price * k // 10**15)
                 for m in markets_]  # fmt: skip
        return solidity_liquidity(moved, vai_repay)[1]

    assert shortfall(f) == 0
    assert shortfall(f - 1) > 0 or shortfall(f + 1) > 0
