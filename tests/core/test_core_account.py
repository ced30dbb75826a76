"""Positions sharing an exchange account are planned together (issue 14, finding 3).

Two loans behind one account used to each treat the account's whole short as their own: one
sold to reach its target, the other bought back to reach its own, every cycle.
"""

from __future__ import annotations

from decimal import Decimal

from core_builders import MAPPING, asset, hedge, linear_spec, snapshot
from hypothesis import given
from hypothesis import strategies as st

from bot.core.account import SHARE_QUANTUM, assess, assess_account, split
from bot.core.model import HedgePosition, MarginBalance, Side, Venue
from bot.core.plan import PlanRules
from bot.core.policy import RatioPolicy

D = Decimal
SPECS = {"BTCUSDT": linear_spec("BTCUSDT", "BTC"), "ETHUSDT": linear_spec("ETHUSDT", "ETH")}
MARKS = {"BTCUSDT": D(60000), "ETHUSDT": D(3000)}
SYMBOLS = {"BTC": "BTCUSDT", "ETH": "ETHUSDT"}
RULES = PlanRules(band_rel=D("0.05"), band_abs_usd=D(25))
POLICY = RatioPolicy(r=D("0.5"))
USDT = MarginBalance(
    asset="USDT",
    wallet_balance=D(1_000_000),
    available_balance=D(1_000_000),
    usd_value=D(1_000_000),
    venue=Venue.USDM,
)


def loan(btc: str, eth: str, debt: str):  # type: ignore[no-untyped-def]
    return snapshot(
        asset("WBTC", collateral=btc, price="60000", lt="0.78"),
        asset("WETH", collateral=eth, price="3000", lt="0.825"),
        asset("USDC", debt=debt, price="1", lt="0.78"),
    )


ALICE = loan("1", "10", "40000")  # wants 0.5 BTC = $30,000 and 5 ETH = $15,000
BOB = loan("0.5", "20", "30000")  # wants 0.25 BTC = $15,000 and 10 ETH = $30,000


def account(hedges: list[HedgePosition], balances: list[MarginBalance] | None = None):  # type: ignore[no-untyped-def]
    return assess_account(
        snapshots={"alice": ALICE, "bob": BOB},
        mapping=MAPPING,
        hedges=hedges,
        balances=balances or [USDT],
        specs=SPECS,
        marks=MARKS,
        symbol_for_underlying=SYMBOLS,
        policy=POLICY,
        rules=RULES,
        account="alice+bob",
        cycle_id="c1",
    )


def alone(snap, hedges: list[HedgePosition]):  # type: ignore[no-untyped-def]
    return assess(
        snapshot=snap,
        mapping=MAPPING,
        hedges=hedges,
        balances=[USDT],
        specs=SPECS,
        marks=MARKS,
        symbol_for_underlying=SYMBOLS,
        policy=POLICY,
        rules=RULES,
        position_name="x",
        cycle_id="c1",
    )


def summed_short() -> list[HedgePosition]:
    return [hedge("BTCUSDT", "-0.75", "60000", "60000"), hedge("ETHUSDT", "-15", "3000", "3000")]


def test_the_account_holding_the_summed_target_places_no_order() -> None:
    a = account(summed_short())
    assert a.plan.intents == ()
    targets = {line.symbol: line.target.short_usd for line in a.lines}
    assert targets == {"BTCUSDT": D(45000), "ETHUSDT": D(45000)}


def test_each_position_alone_would_trade_against_the_other() -> None:
    """What the old per-position cycles did with the same account: alice sells, bob buys."""
    alice_sides = {i.symbol: i.side for i in alone(ALICE, summed_short()).plan.intents}
    bob_sides = {i.symbol: i.side for i in alone(BOB, summed_short()).plan.intents}
    assert alice_sides == {"BTCUSDT": Side.BUY, "ETHUSDT": Side.BUY}
    assert bob_sides == {"BTCUSDT": Side.BUY, "ETHUSDT": Side.BUY}
    # ...and from an empty account each sells only its own half: the sum is never reached.
    empty = account([])
    sold = {i.symbol: i.quantity for i in empty.plan.intents}
    assert sold == {"BTCUSDT": D("0.75"), "ETHUSDT": D(15)}
    assert all(i.side is Side.SELL for i in empty.plan.intents)


def test_the_short_is_shared_back_to_the_positions_by_their_targets() -> None:
    a = account(summed_short())
    btc = next(line for line in a.lines if line.underlying == "BTC")
    assert btc.target_shares == {"alice": D(30000), "bob": D(15000)}
    assert btc.current_shares == {"alice": D(30000), "bob": D(15000)}
    alice_btc = next(u for u in a.positions["alice"].underlyings if u.underlying == "BTC")
    assert alice_btc.current_short_usd == D(30000)
    assert alice_btc.target.short_usd == D(30000)
    assert a.oracle_hf == min(p.oracle_hf for p in a.positions.values())


def test_margin_held_as_exposure_is_counted_once_for_the_account() -> None:
    bnb = MarginBalance(
        asset="BNB", wallet_balance=D(10), available_balance=D(10), usd_value=D(6000),
        venue=Venue.USDM,
    )  # fmt: skip
    specs = {**SPECS, "BNBUSDT": linear_spec("BNBUSDT", "BNB")}
    a = assess_account(
        snapshots={"alice": ALICE, "bob": BOB},
        mapping=MAPPING,
        hedges=[],
        balances=[USDT, bnb],
        specs=specs,
        marks={**MARKS, "BNBUSDT": D(600)},
        symbol_for_underlying={**SYMBOLS, "BNB": "BNBUSDT"},
        policy=POLICY,
        rules=RULES,
        account="alice+bob",
        cycle_id="c1",
    )
    bnb_line = next(line for line in a.lines if line.underlying == "BNB")
    # 10 BNB x $600 = $6,000 of margin, once: r 0.5 -> $3,000 short, shared evenly (no loan
    # holds BNB), not $6,000 (the margin counted by each position).
    assert bnb_line.target.short_usd == D(3000)
    assert bnb_line.target_shares == {"alice": D(1500), "bob": D(1500)}


@given(
    total=st.decimals(min_value=-(10**9), max_value=10**9, places=6, allow_nan=False),
    weights=st.lists(
        st.decimals(min_value=0, max_value=10**9, places=4, allow_nan=False), min_size=1, max_size=6
    ),
)
def test_shares_always_add_up_to_the_whole(total: Decimal, weights: list[Decimal]) -> None:
    named = {f"p{i}": w for i, w in enumerate(weights)}
    parts = split(total, named)
    assert list(parts) == list(named)
    assert sum(parts.values(), D(0)) == total
    whole = sum(weights, D(0))
    for name, part in list(parts.items())[:-1]:
        expected = total * named[name] / whole if whole > 0 else total / len(named)
        assert part == expected.quantize(SHARE_QUANTUM)


@given(
    btc=st.decimals(min_value=0, max_value=5, places=3),
    eth=st.decimals(min_value=0, max_value=50, places=2),
    debt=st.decimals(min_value=0, max_value=100_000, places=0),
)
def test_one_position_plans_exactly_as_if_it_had_the_account_to_itself(
    btc: Decimal, eth: Decimal, debt: Decimal
) -> None:
    snap = loan(str(btc), str(eth), str(debt))
    one = assess_account(
        snapshots={"x": snap}, mapping=MAPPING, hedges=summed_short(), balances=[USDT],
        specs=SPECS, marks=MARKS, symbol_for_underlying=SYMBOLS, policy=POLICY, rules=RULES,
        account="x", cycle_id="c1",
    )  # fmt: skip
    view = one.positions["x"]
    for line, u in zip(one.lines, view.underlyings, strict=True):
        assert line.target == u.target
        assert line.current_short_usd == u.current_short_usd
    assert view.plan == one.plan
