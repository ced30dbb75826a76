"""The backtest's guard and capital loop (issue 15): what a user would notice."""

from __future__ import annotations

import dataclasses
import itertools
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config.models import RatioPolicyConfig
from bot.sim.backtest import Replay, run_policy
from bot.sim.backtest_params import BacktestParams
from bot.sim.candles import Bar, MarketSeries, load_window
from bot.sim.capital_loop import touch_fraction

HEDGE = RatioPolicyConfig(kind="ratio", r=Decimal("0.5"))
ZERO = Decimal(0)


def _series(closes: list[Decimal], wick: Decimal = Decimal("0.002")) -> MarketSeries:
    """Hourly bars through ``closes`` (the first opens at the first close), mark = perp."""
    bars = []
    prev = closes[0]
    for i, c in enumerate(closes):
        hi, lo = max(prev, c) * (1 + wick), min(prev, c) * (1 - wick)
        day, hour = divmod(i, 24)
        bars.append(
            Bar(
                open_time=f"2024-01-{day + 1:02d}T{hour:02d}:00:00Z",
                open=prev,
                high=hi,
                low=lo,
                close=c,
            )
        )
        prev = c
    return MarketSeries(
        symbol="BTCUSDT",
        perp=tuple(bars),
        mark=tuple(bars),
        mark_source=("mark",) * len(bars),
        funding={},
    )


def _ramp(start: float, end: float, hours: int, flat: int = 5) -> list[Decimal]:
    step = (end - start) / hours
    return [Decimal(str(round(start, 2)))] * flat + [
        Decimal(str(round(start + step * (k + 1), 2))) for k in range(hours)
    ]


def test_reserve_runs_out_without_the_loop_and_is_refilled_with_it() -> None:
    """March 2020: the 1,250 reserve alone is spent and the loan is liquidated; with the loop
    the hedge's profit is withdrawn to refill it and the loan survives."""
    series = load_window("2020-03", "BTCUSDT")
    off = run_policy(series, BacktestParams(capital_loop=False), HEDGE, "repay")
    on = run_policy(series, BacktestParams(), HEDGE, "repay")
    assert off.reserve_end_usd < 1
    assert off.liquidations >= 1
    assert off.transfers == 0
    assert off.withdrawn_usd == 0
    assert on.liquidations == 0
    assert on.withdrawn_usd > 1_000  # profit that reached the reserve
    assert on.repaid_from_reserve_usd > off.repaid_from_reserve_usd
    assert on.withdraw_fees_usd == Decimal("0.8") * sum(1 for m in on.moves if m[1] == "withdraw")
    # Nothing but the starting margin ever came from outside, in either case.
    assert on.hedge_capital_usd == off.hedge_capital_usd


def test_a_rally_liquidates_the_short_without_a_deposit_and_not_with_one() -> None:
    series = _series(_ramp(50_000, 75_000, 120))
    p = BacktestParams(start_hf=Decimal(2), reserve_usd=Decimal(3000))
    off = run_policy(series, dataclasses.replace(p, capital_loop=False), HEDGE, "hold")
    on = run_policy(series, p, HEDGE, "hold")
    assert off.hedge_liquidations == 1
    assert off.deposited_usd == 0
    assert on.hedge_liquidations == 0
    assert on.deposited_usd > 0
    assert on.reserve_end_usd == p.reserve_usd - on.deposited_usd  # paid from the reserve
    assert on.gas_usd == p.deposit_gas_usd * sum(1 for m in on.moves if m[1] == "deposit")


def test_an_empty_reserve_cannot_save_the_short() -> None:
    series = _series(_ramp(50_000, 75_000, 120))
    p = BacktestParams(start_hf=Decimal(2), reserve_usd=ZERO, reserve_target_usd=Decimal(1))
    run = run_policy(series, p, HEDGE, "hold")
    assert run.hedge_liquidations == 1
    assert run.deposited_usd == 0
    assert run.capital_alerts > 0


def _cash(r: Replay) -> Decimal:
    """Every stablecoin outside the loan: reserve, exchange wallets, a transfer in flight."""
    wallets = sum((a.wallet for a in r.ledger.accounts.values()), ZERO)
    return r.wallet.reserve + r.ledger.free + wallets + r.wallet.in_flight_usd()


def _replay(series: MarketSeries, p: BacktestParams, mode: str) -> Replay:
    r = Replay(series, p, HEDGE, mode)
    for i, (bar, mbar) in enumerate(zip(series.perp, series.mark, strict=True)):
        r.hour(i, bar, mbar)
    return r


def _assert_conserved(r: Replay) -> None:
    """Cash now = cash at the start + what the hedge realised and was paid in funding, less
    trading fees, margin lost to liquidations, debt repaid and withdrawal fees."""
    led, w = r.ledger, r.wallet
    start = r.reserve0 + led.capital_in
    flows = led.realised + led.funding - led.fees - led.margin_lost - w.repaid - w.withdraw_fees
    assert abs(_cash(r) - (start + flows)) < Decimal("1e-12"), (_cash(r), start + flows)


def test_no_money_appears_from_nowhere_in_a_crash_window() -> None:
    series = load_window("2020-03", "BTCUSDT")
    for p in (BacktestParams(start_hf=Decimal("1.3")), BacktestParams(capital_loop=False)):
        _assert_conserved(_replay(series, p, "repay"))


@st.composite
def _paths(draw: st.DrawFn) -> list[Decimal]:
    moves = draw(st.lists(st.integers(-60, 60), min_size=30, max_size=90))
    price, out = Decimal(50_000), []
    for m in moves:  # -6 % .. +6 % an hour: crashes and rallies both
        price = (price * (1 + Decimal(m) / 1000)).quantize(Decimal("0.01"))
        out.append(price)
    return out


@settings(max_examples=25, deadline=None)
@given(
    path=_paths(),
    hf=st.sampled_from([Decimal("1.3"), Decimal("1.5"), Decimal("2")]),
    delay=st.sampled_from([0, 10, 60, 150]),
)
def test_money_is_conserved_and_day_caps_hold_on_random_paths(
    path: list[Decimal], hf: Decimal, delay: int
) -> None:
    p = BacktestParams(
        start_hf=hf,
        transfer_delay_minutes=delay,
        max_repay_per_day_usd=Decimal(700),
        max_repay_per_action_usd=Decimal(400),
        max_withdraw_per_day_usd=Decimal(600),
        max_deposit_per_day_usd=Decimal(500),
    )
    r = _replay(_series(path, wick=Decimal("0.01")), p, "repay")
    _assert_conserved(r)
    caps = {"repay": Decimal(700), "withdraw": Decimal(600), "deposit": Decimal(500)}
    moves = r.wallet.history
    for t, kind, amount in moves:
        if kind == "repay":
            assert amount <= Decimal(400) + Decimal("0.01")
        window = sum((a for s, k, a in moves if k == kind and t - 24 < s <= t), ZERO)
        # repays are capped at the oracle price, to the token's 6 decimals
        assert window <= caps[kind] + Decimal("0.01"), (kind, t, window)
    transfers = [(s, k) for s, k, _ in moves if k != "repay"]
    for (s1, k1), (s2, _) in itertools.pairwise(transfers):
        # one transfer in flight at a time: the next waits until the last has landed
        took = delay if k1 == "withdraw" else p.deposit_credit_minutes
        assert s2 - s1 >= took / 60 - 1e-9


@pytest.mark.parametrize(
    ("price", "expected"),
    [(Decimal(100), 0.0), (Decimal(110), 10 / 35), (Decimal(90), 30 / 35), (Decimal(95), 25 / 35)],
)
def test_a_falling_hour_goes_high_first_then_low(price: Decimal, expected: float) -> None:
    """100 -> 110 -> 90 -> 95 at constant speed (35 of travel); 95 is first met going down."""
    bar = Bar(
        open_time="t", open=Decimal(100), high=Decimal(110), low=Decimal(90), close=Decimal(95)
    )
    assert touch_fraction(bar, price) == pytest.approx(expected)
    assert touch_fraction(bar, Decimal(111)) is None
    rising = dataclasses.replace(bar, close=Decimal(105))  # 100 -> 90 -> 110 -> 105
    assert touch_fraction(rising, Decimal(90)) == pytest.approx(10 / 35)
