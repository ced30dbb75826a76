"""Hour-by-hour replay of a lending position and its hedge through the daemon's own policy
and planner (``bot.core.policy`` / ``bot.core.plan`` via ``bot.sim.core_bridge``), its guard
(``bot.core.repay.decide``) and its capital loop (``bot.core.capital.decide_money_move``, via
``bot.sim.capital_loop``).

Each hour, in this order (conservative: liquidators are never slower than the bot):
funding settles on the mark open; a deposit in flight is credited if it lands before the mark
reaches the short's liquidation price, then the short is liquidated if the mark's HIGH reached
it; mode "repay": where HF crosses ``trigger_hf`` on the way from the open to the LOW, the guard
repays from the reserve (a withdrawal counts if it landed by then) and the capital loop decides
at that moment; the loan is liquidated (exact v3.3+ rules) by liquidators watching the mark
(the oracle proxy) fall to the LOW: each call just under the price where HF crosses 1; then, on
the hour's close, transfers that arrived are credited, the guard decides again, the policy +
planner rebalance the short (filled at the perp close moved by slippage) with the exchange's
free balance as their only margin, and the capital loop decides: withdraw hedge profit to refill
the reserve (realising it first when the exchange holds it back as unrealised) or deposit
reserve as margin for a short near its liquidation. The exchange account starts with the margin
the first plan asks for (or ``exchange_margin_usd``); no other money ever reaches it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_CEILING, Decimal

from bot.config.models import PolicyConfig
from bot.core.capital import Direction
from bot.core.model import ZERO, AssetPosition, PositionSnapshot
from bot.exchange import paper_book as pb
from bot.sim import core_bridge
from bot.sim.backtest_params import (
    BacktestParams,
    BacktestResult,
    BacktestRun,
    BacktestSeries,
    policy_label,
)
from bot.sim.candles import Bar, MarketSeries
from bot.sim.capital_loop import ReserveLoop, touch_fraction
from bot.sim.lending import Collateral, LendingPosition
from bot.sim.paper_ledger import PaperLedger

Progress = Callable[[int], None]
WALLET = "0x000000000000000000000000000000000000b0b0"
HF_MARGIN = Decimal("1.000001")


def _snapshot(
    loan: LendingPosition, p: BacktestParams, price: Decimal, hour: int, ts: int
) -> PositionSnapshot:
    coll = loan.collateral[0]
    return PositionSnapshot(
        protocol="aave-v3",
        chain_id=56,
        wallet=WALLET,
        block_number=hour + 1,
        block_timestamp=ts,
        assets=(
            AssetPosition(
                symbol=f"W{p.underlying}",
                address="0x" + "11" * 20,
                decimals=8,
                collateral=coll.units,
                debt=ZERO,
                price_usd=price.quantize(Decimal("1e-8")),
                liquidation_threshold=p.liquidation_threshold,
                liquidation_bonus=p.liquidation_bonus,
            ),
            AssetPosition(
                symbol="USDC",
                address="0x" + "22" * 20,
                decimals=6,
                collateral=ZERO,
                debt=loan.debt.quantize(Decimal("1e-6")),
                price_usd=Decimal(1),
                liquidation_threshold=Decimal("0.78"),
            ),
        ),
    )


def _ts(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())


@dataclass(slots=True)
class _Tape:
    """Hour by hour, for plots."""

    times: list[str] = field(default_factory=list)
    px: list[float] = field(default_factory=list)
    hfs: list[float] = field(default_factory=list)
    hedge_usd: list[float] = field(default_factory=list)
    repaid: list[float] = field(default_factory=list)
    reserve: list[float] = field(default_factory=list)

    def series(self) -> BacktestSeries:
        return BacktestSeries(
            times=tuple(self.times),
            price=tuple(self.px),
            hf=tuple(self.hfs),
            hedge_usd=tuple(self.hedge_usd),
            repaid_usd=tuple(self.repaid),
            reserve_usd=tuple(self.reserve),
        )


class Replay:
    """One policy and mode over one series; ``hour`` runs the module docstring's steps."""

    def __init__(self, series: MarketSeries, p: BacktestParams, policy: PolicyConfig, mode: str):
        self.series, self.p, self.mode = series, p, mode
        self.u, self.sym = p.underlying, p.symbol
        self.p0 = series.mark[0].close
        self.debt0 = p.collateral_usd * p.liquidation_threshold / p.start_hf
        self.units0 = (p.collateral_usd / self.p0).quantize(Decimal("1e-8"))
        self.loan = LendingPosition(
            collateral=[
                Collateral(
                    symbol=self.u,
                    units=self.units0,
                    liquidation_threshold=p.liquidation_threshold,
                    liquidation_bonus=p.liquidation_bonus,
                )
            ],
            debt=self.debt0,
            borrow_apr=p.borrow_apr,
        )
        self.spec = core_bridge.contract_spec(self.sym, self.u)
        self.ledger = PaperLedger(
            specs={self.sym: self.spec},
            leverage=p.leverage,
            taker_fee=p.taker_fee,
            slippage=p.slippage,
        )
        self.bridge = core_bridge.CoreHedger(policy=policy, params=p, spec=self.spec)
        self.repays = mode == "repay"
        self.hedged = policy.kind != "none"
        self.reserve0 = p.reserve_for(self.units0 * self.p0, self.debt0)
        self.wallet = ReserveLoop(
            params=p, reserve=self.reserve0, start_ms=_ts(series.perp[0].open_time) * 1000
        )
        self.ledger.free = self.ledger.capital_in = p.exchange_margin_usd or ZERO
        self.min_hf = Decimal("Infinity")
        self.peak: Decimal | None = None
        self.max_dd = ZERO
        self.tape = _Tape()
        self.short_liquidated_at: list[int] = []

    def hour(self, i: int, bar: Bar, mbar: Bar) -> None:
        if i:
            self.loan.accrue_hours(1)
        rate = self.series.funding.get(bar.open_time)
        if rate is not None and self.hedged:
            self.ledger.fund(self.sym, mbar.open, rate)
        if self.hedged:
            self._short_liquidation(i, mbar)
        if self.repays and self.p.intra_hour_reserve_repay:
            self._intra_hour_repay(i, bar, mbar)
        self.loan.liquidate_through(self.u, mbar.open, mbar.low, i)
        self._close(i, bar, mbar)

    def _short_liquidation(self, i: int, mbar: Bar) -> None:
        """A deposit credited before the mark reaches the short's liquidation price saves it."""
        pending = self.wallet.pending
        if pending is not None and pending.direction is Direction.DEPOSIT:
            acc = self.ledger.account(self.sym)
            lp = pb.liquidation_price(self.spec, acc.position, acc.wallet)
            hit = None if lp is None else touch_fraction(mbar, lp)
            self.wallet.arrive(self.ledger, self.sym, i + (1.0 if hit is None else hit))
        if self.ledger.liquidate_if_hit(self.sym, mbar.high):
            self.short_liquidated_at.append(i)

    def _intra_hour_repay(self, i: int, bar: Bar, mbar: Bar) -> None:
        """The guard reacts where HF crosses the trigger on the way down (liquidators watch
        continuously; so does the daemon), then the capital loop refills the reserve."""
        for _ in range(5):  # each repay restores target_hf; the fall may cross again
            cross = self.loan.trigger_crossings(self.u, mbar.open, mbar.low, self.p.trigger_hf)
            if not cross:
                return
            # Just under the crossing: the guard acts on HF strictly below the trigger.
            px = max(min(mbar.open, cross[0] * (1 - Decimal("1e-8"))), mbar.low)
            at = i + (touch_fraction(mbar, px) or 0.0)
            self.wallet.arrive(self.ledger, self.sym, at)
            snap = _snapshot(self.loan, self.p, px, i, _ts(bar.open_time))
            paid = self.wallet.repay(self.loan, snap, at)
            if self.hedged:
                self.wallet.act(self.ledger, self.sym, mark=px, price=px, now_h=at)
            if paid <= 0:
                return

    def _close(self, i: int, bar: Bar, mbar: Bar) -> None:
        close, now = mbar.close, float(i + 1)
        self.wallet.arrive(self.ledger, self.sym, now)
        ts = _ts(bar.open_time)
        # bot.core.repay.decide holds at HF >= trigger_hf or with an empty reserve: the call
        # is skipped there (a 1e-6 margin sends HFs near the trigger to the core).
        if (
            self.repays
            and self.wallet.reserve > 0
            and self.loan.health_factor({self.u: close}) < self.p.trigger_hf * HF_MARGIN
        ):
            self.wallet.repay(self.loan, _snapshot(self.loan, self.p, close, i, ts), now)
        if self.hedged and not self.ledger.account(self.sym).liquidated:
            self._rebalance(i, bar, mbar, ts)
        if self.hedged:
            self.wallet.act(self.ledger, self.sym, mark=close, price=bar.close, now_h=now)
        self._record(bar, mbar)

    def _rebalance(self, i: int, bar: Bar, mbar: Bar, ts: int) -> None:
        snap = _snapshot(self.loan, self.p, mbar.close, i, ts)
        marks = {self.sym: mbar.close}
        first = i == 0 and self.p.exchange_margin_usd is None
        # The first hour sizes the starting margin: the plan is made with room to spare and
        # the account is then given what it asked for (the user's configured margin).
        available = self.p.collateral_usd * 10 if first else self.ledger.free
        hedges = self.ledger.hedge_positions(marks)
        for intent in self.bridge.plan(snap, hedges, marks, i, available_usd=available):
            self.ledger.fill(intent, bar.close)
        if first:
            margin = self._planned_margin(mbar.close)
            self.ledger.free += margin
            self.ledger.capital_in += margin
        self.ledger.allocate(self.sym, mbar.close, self.p.min_short_liq_distance)

    def _planned_margin(self, mark: Decimal) -> Decimal:
        """What the planner reserves for the short it opened: initial margin with its safety
        factor, or the distance floor's margin, whichever is more (``bot.core.plan``)."""
        q = -self.ledger.account(self.sym).position.quantity
        safety = self.bridge.rules.margin_safety_factor
        floor = self.ledger.required_wallet(self.sym, mark, self.p.min_short_liq_distance)
        need = (
            max(q * mark * safety / self.p.leverage, floor) - self.ledger.account(self.sym).wallet
        )
        return max(need, ZERO).quantize(Decimal("0.01"), rounding=ROUND_CEILING)

    def _wealth(self, price: Decimal) -> Decimal:
        coll = self.loan.collateral[0].units
        equity = self.ledger.equity({self.sym: price})
        reserve = self.wallet.reserve + self.wallet.in_flight_usd()
        return coll * price - self.loan.debt + reserve + equity - self.wallet.gas

    def _record(self, bar: Bar, mbar: Bar) -> None:
        hf = self.loan.health_factor({self.u: mbar.close})
        self.min_hf = min(self.min_hf, hf)
        wealth = self._wealth(mbar.close)
        self.peak = wealth if self.peak is None else max(self.peak, wealth)
        if self.peak > 0:
            self.max_dd = max(self.max_dd, (self.peak - wealth) / self.peak)
        t = self.tape
        t.times.append(bar.open_time)
        t.px.append(float(mbar.close))
        t.hfs.append(float(min(hf, Decimal(10))))
        pos = self.ledger.account(self.sym).position.quantity if self.hedged else ZERO
        t.hedge_usd.append(float(-pos * mbar.close))
        t.repaid.append(float(self.wallet.repaid))
        t.reserve.append(float(self.wallet.reserve))

    def result(self, policy: PolicyConfig) -> BacktestRun:
        last = self.series.mark[-1].close
        ledger, loan, wallet = self.ledger, self.loan, self.wallet
        equity = ledger.equity({self.sym: last})
        coll = loan.collateral[0].units
        reserve_now = wallet.reserve + wallet.in_flight_usd()
        wealth0 = self.units0 * self.p0 - self.debt0 + self.reserve0 + ledger.capital_in
        wealth = coll * last - loan.debt + reserve_now + equity - wallet.gas
        return BacktestRun(
            policy=policy_label(policy),
            mode=self.mode,
            liquidations=len(loan.events),
            liquidation_loss_usd=sum((e.bonus_usd for e in loan.events), ZERO),
            collateral_lost_units=self.units0 - coll,
            collateral_kept_fraction=coll / self.units0,
            bad_debt_usd=sum((e.bad_debt for e in loan.events), ZERO),
            hedge_liquidations=ledger.liquidations,
            fees_usd=ledger.fees,
            slippage_usd=ledger.slippage_cost,
            funding_usd=ledger.funding,
            hedge_pnl_usd=equity + ledger.withdrawn - ledger.deposited - ledger.capital_in,
            hedge_capital_usd=ledger.capital_in,
            gas_usd=wallet.gas,
            withdraw_fees_usd=wallet.withdraw_fees,
            withdrawn_usd=ledger.withdrawn,
            deposited_usd=ledger.deposited,
            transfers=wallet.transfers,
            capital_alerts=sum(wallet.alerts.values()),
            moves=tuple((t, str(k), a) for t, k, a in wallet.history),
            repaid_from_reserve_usd=wallet.repaid,
            repaid_from_hedge_usd=ZERO,
            reserve_start_usd=self.reserve0,
            reserve_end_usd=wallet.reserve,
            min_hf=self.min_hf,
            pnl_usd=wealth - wealth0,
            orders=ledger.fills,
            events=tuple(loan.events),
            series=self.tape.series(),
            max_drawdown=self.max_dd,
            hedge_liquidation_hours=tuple(self.short_liquidated_at),
        )


def run_policy(
    series: MarketSeries,
    p: BacktestParams,
    policy: PolicyConfig,
    mode: str,
    progress: Progress | None = None,
) -> BacktestRun:
    replay = Replay(series, p, policy, mode)
    for i, (bar, mbar) in enumerate(zip(series.perp, series.mark, strict=True)):
        replay.hour(i, bar, mbar)
        if progress is not None:
            progress(1)
    return replay.result(policy)


def run_backtest_series(
    series: MarketSeries, p: BacktestParams, window: str, progress: Progress | None = None
) -> BacktestResult:
    t0 = time.perf_counter()
    runs = tuple(
        run_policy(series, p, pol, mode, progress) for pol in p.policies for mode in p.modes
    )
    hedged_runs = sum(1 for pol in p.policies if pol.kind != "none") * len(p.modes)
    return BacktestResult(
        window=window,
        symbol=series.symbol,
        hours=len(series.perp),
        mark_proxied_hours=series.proxied_hours,
        funding_settlements=sum(1 for b in series.perp if b.open_time in series.funding),
        runs=runs,
        elapsed_s=time.perf_counter() - t0,
        cycles=hedged_runs * len(series.perp),
    )
