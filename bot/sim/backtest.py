"""Hour-by-hour replay of a lending position and its hedge through the daemon's own policy
and planner (``bot.core.policy`` / ``bot.core.plan`` via ``bot.sim.core_bridge``).

Each hour, in this order (conservative: liquidators are never slower than the bot):
funding settles on the mark open; the short is liquidated if the mark's HIGH reached its
liquidation price; the loan is liquidated (exact v3.3+ rules) by liquidators watching the mark
(the oracle proxy) fall from the hour's open to its LOW: each call just under the price where
HF crosses 1; then the bot acts on the hour's close: transfers that arrived repay debt, under
``trigger_hf`` it repays from the on-chain reserve at once and starts moving realised hedge
gains (arriving ``transfer_delay_hours`` later), and the policy + planner rebalance the short,
filled at the perp close moved by slippage. Margin top-ups the planner's distance floor needs
are paid from outside capital and booked as such.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from bot.config.models import PolicyConfig
from bot.core.model import ZERO, AssetPosition, PositionSnapshot
from bot.sim import core_bridge
from bot.sim.backtest_params import (
    BacktestParams,
    BacktestResult,
    BacktestRun,
    BacktestSeries,
    policy_label,
)
from bot.sim.candles import MarketSeries
from bot.sim.lending import Collateral, LendingPosition
from bot.sim.paper_ledger import PaperLedger

Progress = Callable[[int], None]
WALLET = "0x000000000000000000000000000000000000b0b0"


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


def run_policy(
    series: MarketSeries,
    p: BacktestParams,
    policy: PolicyConfig,
    mode: str,
    progress: Progress | None = None,
) -> BacktestRun:
    perp, mark = series.perp, series.mark
    u, sym = p.underlying, p.symbol
    p0 = mark[0].close
    debt0 = p.collateral_usd * p.liquidation_threshold / p.start_hf
    units0 = (p.collateral_usd / p0).quantize(Decimal("1e-8"))
    loan = LendingPosition(
        collateral=[
            Collateral(
                symbol=u,
                units=units0,
                liquidation_threshold=p.liquidation_threshold,
                liquidation_bonus=p.liquidation_bonus,
            )
        ],
        debt=debt0,
        borrow_apr=p.borrow_apr,
    )
    spec = core_bridge.contract_spec(sym, u)
    ledger = PaperLedger(
        specs={sym: spec}, leverage=p.leverage, taker_fee=p.taker_fee, slippage=p.slippage
    )
    bridge = core_bridge.CoreHedger(policy=policy, params=p, spec=spec)
    repay = mode == "repay"
    reserve0 = p.reserve_for(units0 * p0, debt0)
    reserve, pending, arrive_at = reserve0, ZERO, -1
    from_reserve = from_hedge = ZERO
    wealth0 = units0 * p0 - debt0 + reserve0
    hedged = policy.kind != "none"
    times, px, hfs, hedge_usd, repaid, res_s = [], [], [], [], [], []
    min_hf = Decimal("Infinity")
    for i, (bar, mbar) in enumerate(zip(perp, mark, strict=True)):
        if i:
            loan.accrue_hours(1)
        rate = series.funding.get(bar.open_time)
        if rate is not None and hedged:
            ledger.fund(sym, mbar.open, rate)
        if hedged:
            ledger.liquidate_if_hit(sym, mbar.high)
        if repay and p.intra_hour_reserve_repay:
            for _ in range(5):  # each repay restores target_hf; the fall may cross again
                cross = loan.trigger_crossings(u, mbar.open, mbar.low, p.trigger_hf)
                if not cross or reserve <= 0:
                    break
                at = {u: cross[0]}
                used = loan.repay(min(loan.repay_needed(at, p.target_hf), reserve))
                reserve -= used
                from_reserve += used
        loan.liquidate_through(u, mbar.open, mbar.low, i)
        close = {u: mbar.close}
        if repay:
            if pending > 0 and i >= arrive_at:
                used = loan.repay(min(pending, loan.repay_needed(close, p.target_hf)))
                from_hedge += used
                reserve += pending - used  # the hedge's gains refill the reserve
                pending = ZERO
            if loan.debt > 0 and loan.health_factor(close) < p.trigger_hf:
                used = loan.repay(min(loan.repay_needed(close, p.target_hf), reserve))
                reserve -= used
                from_reserve += used
                if hedged and pending == 0:
                    pending = ledger.realise_and_withdraw(
                        sym, mbar.close, bar.close, p.min_short_liq_distance
                    )
                    arrive_at = i + p.transfer_delay_hours
                    if p.transfer_delay_hours == 0 and pending > 0:
                        used = loan.repay(min(pending, loan.repay_needed(close, p.target_hf)))
                        from_hedge += used
                        reserve += pending - used
                        pending = ZERO
        if hedged and not ledger.account(sym).liquidated:
            snap = _snapshot(loan, p, mbar.close, i, _ts(bar.open_time))
            marks = {sym: mbar.close}
            for intent in bridge.plan(snap, ledger.hedge_positions(marks), marks, i):
                ledger.fill(intent, bar.close)
            need = ledger.required_wallet(sym, mbar.close, p.min_short_liq_distance)
            ledger.top_up(sym, need - ledger.account(sym).wallet)
        hf = loan.health_factor(close)
        min_hf = min(min_hf, hf)
        times.append(bar.open_time)
        px.append(float(mbar.close))
        hfs.append(float(min(hf, Decimal(10))))
        pos = ledger.account(sym).position.quantity if hedged else ZERO
        hedge_usd.append(float(-pos * mbar.close))
        repaid.append(float(from_reserve + from_hedge))
        res_s.append(float(reserve))
        if progress is not None:
            progress(1)
    last = mark[-1].close
    marks = {sym: last}
    equity = ledger.equity(marks)
    coll = loan.collateral[0].units
    wealth = coll * last - loan.debt + reserve + pending + equity - ledger.capital_in
    return BacktestRun(
        policy=policy_label(policy),
        mode=mode,
        liquidations=len(loan.events),
        liquidation_loss_usd=sum((e.bonus_usd for e in loan.events), ZERO),
        collateral_lost_units=units0 - coll,
        collateral_kept_fraction=coll / units0,
        bad_debt_usd=sum((e.bad_debt for e in loan.events), ZERO),
        hedge_liquidations=ledger.liquidations,
        fees_usd=ledger.fees,
        slippage_usd=ledger.slippage_cost,
        funding_usd=ledger.funding,
        hedge_pnl_usd=equity + ledger.withdrawn - ledger.capital_in,
        hedge_capital_usd=ledger.capital_in,
        repaid_from_reserve_usd=from_reserve,
        repaid_from_hedge_usd=from_hedge,
        reserve_start_usd=reserve0 if repay else ZERO,
        reserve_end_usd=reserve if repay else ZERO,
        min_hf=min_hf,
        pnl_usd=wealth - wealth0,
        orders=ledger.fills,
        events=tuple(loan.events),
        series=BacktestSeries(
            times=tuple(times),
            price=tuple(px),
            hf=tuple(hfs),
            hedge_usd=tuple(hedge_usd),
            repaid_usd=tuple(repaid),
            reserve_usd=tuple(res_s),
        ),
    )


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
