from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from bot.core.breakers import BreakerLimits, gate_intents, should_pause_after_failures
from bot.core.cadence import Cadence, next_interval_secs
from bot.core.model import ContractSpec, OrderIntent, Side, Venue

LIMITS = BreakerLimits(
    max_orders_per_hour=3,
    max_notional_change_per_cycle_usd=Decimal(10_000),
    max_consecutive_failed_cycles=4,
)


STEPS = {
    "BTCUSDT": ContractSpec(
        symbol="BTCUSDT",
        underlying="BTC",
        venue=Venue.USDM,
        inverse=False,
        contract_size=Decimal(1),
        margin_asset="USDT",
        step_size=Decimal("0.001"),
        tick_size=Decimal("0.1"),
        min_qty=Decimal("0.001"),
        max_qty=Decimal(120),
        min_notional=Decimal(100),
    )
}


def _intent(coid: str, *, reduce_only: bool = False) -> OrderIntent:
    return OrderIntent(
        symbol="BTCUSDT",
        side=Side.BUY if reduce_only else Side.SELL,
        quantity=Decimal("0.1"),
        reduce_only=reduce_only,
        client_order_id=coid,
        reason="test",
    )


def test_hourly_order_cap_stops_the_rest_of_the_plan() -> None:
    intents = [_intent("a"), _intent("b")]
    gated = gate_intents(
        intents,
        notional_usd={"a": Decimal(1), "b": Decimal(1)},
        specs=STEPS,
        orders_last_hour=2,
        limits=LIMITS,
    )
    assert [i.client_order_id for i in gated.allowed] == ["a"]
    assert "max_orders_per_hour 3" in gated.notes[0].message


def test_notional_budget_cuts_increases_but_never_reductions() -> None:
    intents = [_intent("big"), _intent("cut", reduce_only=True)]
    gated = gate_intents(
        intents,
        notional_usd={"big": Decimal(20_000), "cut": Decimal(50_000)},
        specs=STEPS,
        orders_last_hour=0,
        limits=LIMITS,
    )
    cut, big = gated.allowed  # reductions go first
    assert big.quantity == Decimal("0.050")  # 0.1 worth $20,000 cut to the $10,000 budget
    assert cut.quantity == Decimal("0.1")
    assert "max_notional_change_per_cycle_usd" in gated.notes[0].message


def test_reductions_go_first_and_increases_fit_under_the_total_cap() -> None:
    grow, cut = _intent("grow"), _intent("cut", reduce_only=True)
    gated = gate_intents(
        [grow, cut],
        notional_usd={"grow": Decimal(5_000), "cut": Decimal(2_000)},
        specs=STEPS,
        orders_last_hour=0,
        limits=LIMITS,
        open_notional_usd=Decimal(29_000),
        max_total_notional_usd=Decimal(30_000),
    )
    first, second = gated.allowed
    assert first.client_order_id == "cut"
    # 29,000 - 2,000 leaves 3,000 under the 30,000 cap: 0.1 worth 5,000 is cut to 0.06
    assert second.quantity == Decimal("0.060")
    assert "max_total_notional_usd" in gated.notes[0].message


@given(
    st.lists(st.tuples(st.integers(1, 20_000), st.booleans()), max_size=8),
    st.integers(0, 40_000),
)
def test_the_total_after_the_plan_never_exceeds_the_cap_unless_it_already_did(
    legs: list[tuple[int, bool]], open_usd: int
) -> None:
    intents = [_intent(f"i{n}", reduce_only=r) for n, (_, r) in enumerate(legs)]
    notionals = {f"i{n}": Decimal(v) for n, (v, _) in enumerate(legs)}
    cap = Decimal(30_000)
    gated = gate_intents(
        intents,
        notional_usd=notionals,
        specs=STEPS,
        orders_last_hour=0,
        limits=replace(LIMITS, max_orders_per_hour=100, max_notional_change_per_cycle_usd=cap),
        open_notional_usd=Decimal(open_usd),
        max_total_notional_usd=cap,
    )
    total = Decimal(open_usd)
    for intent in gated.allowed:
        worth = notionals[intent.client_order_id] * intent.quantity / Decimal("0.1")
        total += -worth if intent.reduce_only else worth
        if not intent.reduce_only:
            assert total <= max(cap, Decimal(open_usd))
    seen_increase = False
    for intent in gated.allowed:
        seen_increase = seen_increase or not intent.reduce_only
        assert not (seen_increase and intent.reduce_only), "a reduction after an increase"


def test_a_cut_below_the_minimum_notional_is_dropped() -> None:
    gated = gate_intents(
        [_intent("a"), _intent("b")],
        # a leaves $60 of the $10,000 budget; 0.001 BTC at $50,000 is $50 < the $100 minimum
        notional_usd={"a": Decimal(9_940), "b": Decimal(5_000)},
        specs=STEPS,
        orders_last_hour=0,
        limits=LIMITS,
    )
    assert [i.client_order_id for i in gated.allowed] == ["a"]
    assert "not sent" in gated.notes[0].message


@given(
    st.lists(st.integers(min_value=0, max_value=20_000), max_size=8),
    st.integers(min_value=0, max_value=5),
)
def test_gate_never_exceeds_either_cap(notionals: list[int], already: int) -> None:
    intents = [_intent(f"i{n}") for n in range(len(notionals))]
    gated = gate_intents(
        intents,
        notional_usd={f"i{n}": Decimal(v) for n, v in enumerate(notionals)},
        specs=STEPS,
        orders_last_hour=already,
        limits=LIMITS,
    )
    assert already + len(gated.allowed) <= max(already, LIMITS.max_orders_per_hour)
    spent = sum(
        Decimal(notionals[int(i.client_order_id[1:])]) * i.quantity / Decimal("0.1")
        for i in gated.allowed
    )
    assert spent <= LIMITS.max_notional_change_per_cycle_usd
    assert all(i.quantity <= Decimal("0.1") for i in gated.allowed)


def test_consecutive_failures_pause() -> None:
    assert not should_pause_after_failures(3, LIMITS)
    assert should_pause_after_failures(4, LIMITS)


CADENCE = Cadence(
    interval_secs=10,
    fast_interval_secs=0.45,
    alert_hf=Decimal("1.3"),
    fast_below_liq_distance=Decimal("0.15"),
)


def test_cadence_speeds_up_near_danger() -> None:
    assert (
        next_interval_secs(
            CADENCE, health_factors=[Decimal(2)], liquidation_distances=[Decimal("0.4")]
        )
        == 10
    )
    assert (
        next_interval_secs(
            CADENCE, health_factors=[Decimal(2), Decimal("1.29")], liquidation_distances=[]
        )
        == 0.45
    )
    assert (
        next_interval_secs(
            CADENCE, health_factors=[None], liquidation_distances=[Decimal("0.1"), None]
        )
        == 0.45
    )
