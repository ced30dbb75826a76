"""The Monte Carlo's float twins (``bot.sim.capital_twin``) decide as the daemon's Decimal
functions do: same verdict, direction and alert reason, amounts within a cent, on random
inputs (hypothesis) drawn on the grids the simulator feeds them."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.core import repay
from bot.core.capital import (
    CapitalRules,
    CapitalView,
    CoinNetwork,
    Direction,
    Verdict,
    decide_money_move,
)
from bot.core.model import ZERO, AssetPosition, PositionSnapshot
from bot.core.repay_params import ProtectParams
from bot.sim.capital_loop import worth_realising
from bot.sim.capital_twin import (
    CODE,
    RepayRules,
    TwinRules,
    V,
    decide_money_move_vec,
    repay_amount,
    worth_realising_vec,
)

CENT = Decimal("0.01")


def dec(lo: float | str, hi: float | str, places: int) -> st.SearchStrategy[Decimal]:
    return st.decimals(
        min_value=Decimal(str(lo)), max_value=Decimal(str(hi)), places=places, allow_nan=False
    )


# Round numbers on purpose too: thresholds (min transfer, fee, band) are where float and
# Decimal code part ways if they do.
def money(hi: float, places: int = 8) -> st.SearchStrategy[Decimal]:
    return st.one_of(
        dec(0, hi, places),
        st.integers(0, int(hi)).map(Decimal),
        st.sampled_from([Decimal(x) for x in ("0", "0.8", "1", "10", "100", "100.8", "500")]),
    )


@st.composite
def capital_cases(draw: st.DrawFn) -> tuple[CapitalView, CapitalRules]:
    net = CoinNetwork(
        coin="USDC",
        network="BSC",
        withdraw_fee=draw(st.sampled_from([ZERO, Decimal("0.8"), Decimal("1")])),
        withdraw_min=draw(st.sampled_from([Decimal(10), Decimal(1), ZERO])),
        withdraw_max=draw(st.sampled_from([Decimal(9_999_999), Decimal(3000)])),
        withdraw_multiple=draw(st.sampled_from([Decimal("1e-8"), Decimal("0.01")])),
        deposit_min=Decimal("0.01"),
        withdraw_enabled=draw(st.booleans()),
        deposit_enabled=draw(st.booleans()),
    )
    floor_ = draw(st.sampled_from([Decimal("0.1"), Decimal("0.2")]))
    rules = CapitalRules(
        enabled=draw(st.booleans()),
        short_floor=floor_,
        short_restore_distance=floor_ + Decimal("0.1"),
        refill_band_usd=draw(st.sampled_from([ZERO, Decimal(100), Decimal(500)])),
        min_transfer_usd=draw(st.sampled_from([ZERO, Decimal(5), Decimal(100)])),
        max_withdraw_per_transfer_usd=draw(st.sampled_from([Decimal(25_000), Decimal(700)])),
        max_withdraw_per_day_usd=draw(st.sampled_from([Decimal(50_000), Decimal(1500)])),
        max_deposit_per_transfer_usd=draw(st.sampled_from([Decimal(25_000), Decimal(600)])),
        max_deposit_per_day_usd=draw(st.sampled_from([Decimal(50_000), Decimal(1200)])),
    )
    reserve = draw(money(20_000, 6))
    movable = draw(money(20_000))
    view = CapitalView(
        read_ms=0,
        reserve_usd=reserve,
        coin_held=min(reserve, draw(money(20_000, 6))),
        reserve_target_usd=draw(money(10_000, 2)),
        reserve_floor_usd=draw(st.one_of(st.just(ZERO), money(3_000, 2))),
        movable_usd=movable,
        margin_needed_usd=draw(money(20_000)),
        unrealized_pnl_usd=draw(dec(-5_000, 5_000, 8)),
        short_liq_distance=draw(st.one_of(st.none(), dec(0, 1, 6))),
        margin_to_restore_usd=draw(money(5_000)),
        in_flight=None,
        withdrawn_today_usd=draw(money(60_000, 2)),
        deposited_today_usd=draw(money(60_000, 2)),
        can_move=True,
        network=net,
    )
    return view, rules


def _vec(view: CapitalView, rules: CapitalRules):  # type: ignore[no-untyped-def]
    def a(x: Decimal) -> np.ndarray:  # type: ignore[type-arg]
        return np.array([float(x)])

    d = view.short_liq_distance
    return decide_money_move_vec(
        reserve=a(view.reserve_usd),
        coin_held=a(view.coin_held),
        target=a(view.reserve_target_usd),
        floor=a(view.reserve_floor_usd),
        movable=a(view.movable_usd),
        needed=a(view.margin_needed_usd),
        upnl=a(view.unrealized_pnl_usd),
        distance=np.array([np.nan if d is None else float(d)]),
        to_restore=a(view.margin_to_restore_usd),
        withdrawn_today=a(view.withdrawn_today_usd),
        deposited_today=a(view.deposited_today_usd),
        rules=TwinRules.of(rules, view.network),
    )


def _close(x: float, y: Decimal) -> bool:
    return abs(x - float(y)) <= max(1e-6 * abs(float(y)), 0.01)


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(capital_cases())
def test_money_move_twin_agrees_with_the_core(case: tuple[CapitalView, CapitalRules]) -> None:
    view, rules = case
    core = decide_money_move(view=view, rules=rules, now_ms=0)
    twin = _vec(view, rules)
    verdict = {Verdict.HOLD: V.HOLD, Verdict.MOVE: V.MOVE, Verdict.ALERT: V.ALERT}[core.verdict]
    direction = {None: 0, Direction.WITHDRAW: V.WITHDRAW, Direction.DEPOSIT: V.DEPOSIT}
    assert twin.verdict[0] == verdict, core.message
    assert twin.direction[0] == direction[core.direction], core.message
    code = 0 if core.alert_reason is None else CODE[core.alert_reason]
    assert twin.reason[0] == code, core.message
    assert _close(twin.amount[0], core.amount), (twin.amount[0], core.amount, core.message)
    assert _close(twin.received[0], core.received)
    assert _close(twin.fee[0], core.fee)
    assert _close(twin.realise_first[0], core.realise_first_usd)
    worth = worth_realising_vec(
        twin,
        np.array([float(view.movable_usd)]),
        np.array([float(view.margin_needed_usd)]),
        TwinRules.of(rules, view.network),
    )
    assert bool(worth[0]) == worth_realising(core, view, rules)


def _snapshot(units: Decimal, price: Decimal, lt: Decimal, debt: Decimal) -> PositionSnapshot:
    return PositionSnapshot(
        protocol="aave-v3",
        chain_id=56,
        wallet="0x" + "b0" * 20,
        block_number=1,
        block_timestamp=0,
        assets=(
            AssetPosition(
                symbol="WBTC",
                address="0x" + "11" * 20,
                decimals=8,
                collateral=units,
                debt=ZERO,
                price_usd=price,
                liquidation_threshold=lt,
                liquidation_bonus=Decimal("0.05"),
            ),
            AssetPosition(
                symbol="USDC",
                address="0x" + "22" * 20,
                decimals=6,
                collateral=ZERO,
                debt=debt,
                price_usd=Decimal(1),
                liquidation_threshold=Decimal("0.78"),
            ),
        ),
    )


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    units=dec(0.001, 2, 8),
    price=dec(1_000, 120_000, 8),
    lt=st.sampled_from([Decimal("0.75"), Decimal("0.8"), Decimal("0.5")]),
    debt=dec(0, 60_000, 6),
    reserve=st.one_of(dec(0, 30_000, 6), st.just(ZERO)),
    spent=st.one_of(st.just(ZERO), dec(0, 6_000, 2)),
    per_action=st.sampled_from([Decimal(50_000), Decimal(700)]),
    per_day=st.sampled_from([Decimal(200_000), Decimal(5_000)]),
    trigger=st.sampled_from([Decimal("1.3"), Decimal("1.1")]),
)
def test_repay_twin_agrees_with_the_core(
    units: Decimal,
    price: Decimal,
    lt: Decimal,
    debt: Decimal,
    reserve: Decimal,
    spent: Decimal,
    per_action: Decimal,
    per_day: Decimal,
    trigger: Decimal,
) -> None:
    weighted = units * price * lt
    # The exact integer HF and the float one may straddle the trigger within 1e-9.
    assume(debt == 0 or abs(weighted / debt / trigger - 1) > Decimal("1e-9"))
    params = ProtectParams(
        trigger_hf=trigger,
        target_hf=Decimal("1.6"),
        reserve_tokens=("USDC",),
        max_per_action_usd=per_action,
        max_per_day_usd=per_day,
        allow_supply=False,
    )
    decision = repay.decide(
        _snapshot(units, price, lt, debt),
        params=params,
        reserves=(
            repay.ReserveBalance(
                symbol="USDC", address="0x" + "22" * 20, decimals=6, balance=reserve
            ),
        ),
        spent_today_usd=spent,
    )
    got = repay_amount(
        weighted=np.array([float(weighted)]),
        debt=np.array([float(debt)]),
        reserve=np.array([float(reserve)]),
        spent_today=np.array([float(spent)]),
        rules=RepayRules.of(params),
    )[0]
    if decision.action is None:
        assert got == 0, decision.reason
    else:
        assert decision.action.kind is repay.ActionKind.REPAY
        assert _close(got, decision.action.amount), (got, decision.action.amount)
