"""Rebalance planner: bands, rounding, caps, margin, ids, idempotence."""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal

from core_builders import hedge, inverse_spec, linear_spec
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.futures import hedge_delta_usd
from bot.core.ids import client_order_id
from bot.core.model import HedgePosition, HedgeTarget, MarginType, RebalancePlan, Side
from bot.core.plan import PlanRules, plan_rebalance

D = Decimal
SPECS = {"BTCUSDT": linear_spec(), "ETHUSD_PERP": inverse_spec("ETHUSD_PERP", "ETH")}
SYMBOLS = {"BTC": "BTCUSDT", "ETH": "ETHUSD_PERP"}
MARKS = {"BTCUSDT": D(50000), "ETHUSD_PERP": D(2500)}
RULES = PlanRules(leverage=3, max_leverage=5)
BIG_MARGIN = Decimal(10**7)


def target(u: str, usd: str | Decimal) -> HedgeTarget:
    return HedgeTarget(underlying=u, short_usd=D(usd), reason=f"test {u}")


def plan(
    targets: list[HedgeTarget],
    positions: list[HedgePosition] | None = None,
    *,
    margin: Decimal = BIG_MARGIN,
    rules: PlanRules = RULES,
    marks: dict[str, Decimal] = MARKS,
) -> RebalancePlan:
    if positions is None:
        positions = []
    return plan_rebalance(
        targets=targets,
        positions=positions,
        specs=SPECS,
        marks=marks,
        available_margin_usd=margin,
        rules=rules,
        position_name="main wallet",
        cycle_id=7,
        symbol_for_underlying=SYMBOLS,
    )


def kinds(p: RebalancePlan) -> list[str]:
    return [n.kind for n in p.notes]


def test_opens_a_short_rounded_down_with_a_stable_id() -> None:
    p = plan([target("BTC", "10000.00")])
    (intent,) = p.intents
    assert (intent.symbol, intent.side, intent.quantity, intent.reduce_only) == (
        "BTCUSDT",
        Side.SELL,
        D("0.2"),
        False,
    )
    again = plan([target("BTC", "10000.00")])
    assert again.intents[0].client_order_id == intent.client_order_id
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,36}", intent.client_order_id)
    assert "liquidation" in intent.reason
    odd = plan([target("BTC", "10049.99")]).intents[0]
    assert odd.quantity == D("0.200")  # 0.2009998 rounds down, never past the target


def test_inverse_contracts_and_reduce_only_decrease() -> None:
    p = plan([target("ETH", "2000")])
    assert p.intents[0].quantity == D(200)
    assert p.intents[0].side is Side.SELL
    held = hedge("ETHUSD_PERP", "-300", "2000", "2500")  # delta -300 x 10 x 2500/2000 = -3750
    p = plan([target("ETH", "2000")], [held])
    (intent,) = p.intents
    assert intent.reduce_only
    assert intent.side is Side.BUY
    assert intent.quantity == D(140)  # 1750 / (10 x 1.25), closing at the old entry


def test_band_blocks_small_moves() -> None:
    held = hedge("BTCUSDT", "-0.2", "50000", "50000")
    p = plan([target("BTC", "10400")], [held])
    assert p.intents == ()
    assert kinds(p) == ["band"]


def test_close_to_zero_and_flip_refused_without_allow_long() -> None:
    held = hedge("BTCUSDT", "-0.2", "50000", "50000")
    p = plan([target("BTC", "-5000")], [held])
    assert kinds(p)[0] == "long_blocked"
    (close,) = p.intents
    assert close.reduce_only
    assert close.quantity == D("0.2")
    assert close.side is Side.BUY
    flip = plan([target("BTC", "-5000")], [held], rules=replace(RULES, allow_long=True))
    assert [(i.side, i.quantity, i.reduce_only) for i in flip.intents] == [
        (Side.BUY, D("0.2"), True),
        (Side.BUY, D("0.1"), False),
    ]
    assert len({i.client_order_id for i in flip.intents}) == 2


def test_min_notional_drop_is_explained() -> None:
    p = plan([target("BTC", "90")], rules=replace(RULES, band_abs_usd=D(1)))
    assert p.intents == ()
    assert "min_notional" in p.notes[0].message
    assert kinds(p) == ["drop"]


def test_caps_per_symbol_and_total() -> None:
    rules = replace(
        RULES, max_notional_usd_per_symbol={"BTCUSDT": D(8000)}, max_total_notional_usd=D(9000)
    )
    p = plan([target("BTC", "20000"), target("ETH", "5000")], rules=rules)
    assert "cap" in kinds(p)
    btc = next(i for i in p.intents if i.symbol == "BTCUSDT")
    eth = next(i for i in p.intents if i.symbol == "ETHUSD_PERP")
    assert btc.quantity * 50000 + eth.quantity * 10 <= 9000


def test_margin_shrinks_the_order_and_names_the_top_up() -> None:
    p = plan([target("BTC", "30000")], margin=D(3000))
    (intent,) = p.intents
    shrink = next(n for n in p.notes if n.kind == "shrink")
    # At 3x with a 1.25 safety factor each USD ties up 0.4167 (more than the 0.3052 the 30 %
    # liquidation distance needs): $3,000 carries $7,200, rounded down.
    assert intent.quantity == D("0.143")
    assert shrink.amount_usd > 0
    assert "a top-up of $" in shrink.message
    assert "of USDT would restore" in shrink.message


def test_notes_name_the_asset_the_operator_deposits() -> None:
    """Multi-Assets mode: BNB margins the USDT contract, so that is what to top up."""
    bnb = replace(RULES, deposit_asset="BNB")
    shrink = next(n for n in plan([target("BTC", "30000")], margin=D(3000), rules=bnb).notes)
    assert "of BNB would restore the full hedge" in shrink.message
    assert "USDT would" not in shrink.message
    held = hedge("BTCUSDT", "-0.2", "50000", "50000", leverage=10, margin_type=MarginType.ISOLATED)
    p = plan([target("BTC", "10000")], [replace(held, isolated_margin=D(1000))], margin=D(0),
             rules=bnb)  # fmt: skip
    top_up = next(n for n in p.notes if n.kind == "top_up")
    assert "of BNB (the open hedge is kept" in top_up.message


def test_underfunded_open_hedge_asks_for_top_up_and_keeps_it() -> None:
    held = hedge("BTCUSDT", "-0.2", "50000", "50000", leverage=10, margin_type=MarginType.ISOLATED)
    p = plan([target("BTC", "10000")], [replace(held, isolated_margin=D(1000))], margin=D(0))
    assert p.intents == ()
    top_up = next(n for n in p.notes if n.kind == "top_up")
    assert top_up.amount_usd == D(10000) * D("0.3052") - D(1000)
    assert "leverage" in kinds(p)


def test_client_order_id_shape() -> None:
    cid = client_order_id("très/long:name with spaces", "2026-01-01T00:00", "BTCUSDT:open")
    assert len(cid) <= 36
    assert re.fullmatch(r"[A-Za-z0-9_-]+", cid)
    assert cid == client_order_id("très/long:name with spaces", "2026-01-01T00:00", "BTCUSDT:open")
    assert cid != client_order_id("très/long:name with spaces", "2026-01-01T00:01", "BTCUSDT:open")


def apply(
    p: RebalancePlan, positions: list[HedgePosition], marks: dict[str, Decimal]
) -> tuple[list[HedgePosition], Decimal]:
    """Fill every intent at the mark, as the exchange would; return positions and margin used."""
    by_symbol = {h.symbol: h for h in positions}
    used = D(0)
    for intent in p.intents:
        spec, mark = SPECS[intent.symbol], marks[intent.symbol]
        signed = intent.quantity if intent.side is Side.BUY else -intent.quantity
        old = by_symbol.get(intent.symbol)
        q0 = old.quantity if old else D(0)
        e0 = old.entry_price if old else mark
        q1 = q0 + signed
        if q0 == 0 or ((q0 > 0) != (q1 > 0) and q1 != 0):
            entry = mark
        elif abs(q1) > abs(q0):
            if spec.inverse:
                entry = abs(q1) / (abs(q0) / e0 + abs(signed) / mark)
            else:
                entry = (abs(q0) * e0 + abs(signed) * mark) / abs(q1)
        else:
            entry = e0
        size = abs(signed) * (spec.contract_size if spec.inverse else mark)
        used += size / RULES.leverage if not intent.reduce_only else -size / RULES.leverage
        by_symbol[intent.symbol] = hedge(intent.symbol, q1, entry, mark)
    return [h for h in by_symbol.values() if h.quantity != 0], used


usd = st.decimals(min_value=D(-20000), max_value=D(200000), places=2)


@settings(max_examples=200, deadline=None)
@given(
    btc=usd,
    eth=usd,
    btc_held=st.integers(-3000, 0),
    eth_held=st.integers(-5000, 0),
    btc_mark=st.integers(20000, 90000),
    eth_mark=st.integers(1000, 5000),
    allow_long=st.booleans(),
    band_abs=st.sampled_from([D(0), D(25)]),
)
def test_planning_the_result_of_a_plan_again_yields_no_intents(
    *,
    btc: Decimal,
    eth: Decimal,
    btc_held: int,
    eth_held: int,
    btc_mark: int,
    eth_mark: int,
    allow_long: bool,
    band_abs: Decimal,
) -> None:
    marks = {"BTCUSDT": D(btc_mark), "ETHUSD_PERP": D(eth_mark)}
    rules = replace(RULES, allow_long=allow_long, band_abs_usd=band_abs, band_rel=D(0))
    positions = [
        h
        for h in (
            hedge("BTCUSDT", D(btc_held) / 1000, btc_mark * 0.9, btc_mark),
            hedge("ETHUSD_PERP", D(eth_held), D(eth_mark) * D("1.1"), eth_mark),
        )
        if h.quantity
    ]
    targets = [target("BTC", btc), target("ETH", eth)]
    first = plan(targets, positions, rules=rules, marks=marks)
    after, _ = apply(first, positions, marks)
    second = plan(targets, after, rules=rules, marks=marks)
    assert second.intents == (), (first, second)
    # Rounding never passes a target or a cap: the hedge ends at most one step short of it.
    for h in after:
        spec = SPECS[h.symbol]
        short = -hedge_delta_usd(spec, h.quantity, marks[h.symbol], h.entry_price)
        wanted = btc if spec.underlying == "BTC" else eth
        wanted = wanted if (allow_long or wanted > 0) else D(0)
        assert (
            abs(short) <= abs(wanted) + spec.step_size * marks[h.symbol]
            or abs(short - wanted) <= band_abs + 1
        )


@settings(max_examples=150, deadline=None)
@given(
    wanted=st.decimals(min_value=D(1), max_value=D(500000), places=2),
    cap=st.decimals(min_value=D(100), max_value=D(100000), places=2),
)
def test_rounding_never_exceeds_a_cap(wanted: Decimal, cap: Decimal) -> None:
    rules = replace(
        RULES,
        max_notional_usd_per_symbol={"BTCUSDT": cap, "ETHUSD_PERP": cap},
        band_abs_usd=D(0),
        band_rel=D(0),
    )
    p = plan([target("BTC", wanted), target("ETH", wanted)], rules=rules)
    for intent in p.intents:
        notional = intent.quantity * (
            SPECS[intent.symbol].contract_size
            if intent.symbol == "ETHUSD_PERP"
            else MARKS[intent.symbol]
        )
        assert notional <= cap
