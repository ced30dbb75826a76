"""``hedgebot status``: each position as a user wants to see it, as a table or as JSON, with its
share of the exchange account's hedge when several positions share it."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.table import Table

from bot.config.models import HedgebotConfig, PositionConfig
from bot.config.secrets import binance_credentials
from bot.core.account import AccountAssessment, AccountLine, assess_account
from bot.core.assess import Assessment, UnderlyingView
from bot.core.hedger import HedgerSettings
from bot.core.margin_need import MarginNeed, margin_need
from bot.core.model import AssetPosition, PositionSnapshot
from bot.core.reserve import CrashReserve, reserve_for_crash, worst_fall_for
from bot.core.totals import PositionTotals, position_totals
from bot.daemon.app import build_exchange
from bot.daemon.wiring import hedger_settings, journal_for, reader_for
from bot.journal import FundingRecord, Journal, MoveRecord


@dataclass(frozen=True, slots=True, kw_only=True)
class LoopsState:
    """The two loops as the operator set them: the guard's switch and the hedger's pause."""

    guard: str  # "on", "STOPPED", "off"
    guard_reason: str
    hedger: str  # "running" or "paused"
    hedger_reason: str

    def as_json(self) -> dict[str, str]:
        return {
            "guard": self.guard,
            "guard_reason": self.guard_reason,
            "hedger": self.hedger,
            "hedger_reason": self.hedger_reason,
        }


def loops_state(config: HedgebotConfig, position: str, journal: Journal) -> LoopsState:
    switch = journal.guard_switch(position)
    pause = journal.pause_state()
    if config.protect is None or not config.protect.enabled:
        guard, why = (
            "off",
            ("protect.enabled: false" if config.protect else "no protect section")
            + ": the guard watches and alerts, it repays nothing",
        )
    elif switch.stopped:
        guard, why = "STOPPED", f"by {switch.actor}: {switch.reason}"
    else:
        guard, why = "on", "repays from the reserve under protect.trigger_hf"
    return LoopsState(
        guard=guard,
        guard_reason=why,
        hedger="paused" if pause.paused else "running",
        hedger_reason=pause.reason if pause.paused else "",
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusReport:
    position: str
    mode: str
    snapshot: PositionSnapshot
    assessment: Assessment
    reserve: CrashReserve | None
    loops: LoopsState
    account: str
    lines: tuple[AccountLine, ...]  # the account's hedge, every position sharing it
    moves: tuple[MoveRecord, ...] = ()  # the account's money moves of the last 24 h
    reserve_basis: str = ""  # the crash the reserve is sized for, in words
    reserve_warning: str | None = None  # the configured reserve target is under the need
    margin: MarginNeed | None = None  # the account's: what its wanted shorts need
    totals: PositionTotals | None = None
    funding: tuple[FundingRecord, ...] = ()  # the account's funding of the last 24 h

    def as_json(self) -> dict[str, Any]:
        s, a = self.snapshot, self.assessment
        return {
            "position": self.position,
            "account": {"name": self.account, "hedges": [_line_json(x) for x in self.lines]},
            "exchange": self.mode,
            "chain_id": s.chain_id,
            "block_number": s.block_number,
            "block_timestamp": s.block_timestamp,
            "stale_reason": s.stale_reason,
            "oracle_hf": _num(a.oracle_hf),
            "shadow_hf": _num(a.shadow_hf),
            "totals": None if self.totals is None else _totals_json(self.totals),
            "loops": self.loops.as_json(),
            "unmapped_tokens": list(a.unmapped_tokens),
            "assets": [_asset_json(x) for x in s.assets],
            "underlyings": [_underlying_json(u) for u in a.underlyings],
            "plan": [
                {
                    "symbol": i.symbol,
                    "side": i.side.value,
                    "quantity": str(i.quantity),
                    "reduce_only": i.reduce_only,
                    "reason": i.reason,
                }
                for i in a.plan.intents
            ],
            "notes": [n.message for n in a.plan.notes],
            "reserve_for_crash": None
            if self.reserve is None
            else {
                **_reserve_json(self.reserve),
                "basis": self.reserve_basis,
                "warning": self.reserve_warning,
            },
            "margin_for_hedge": None if self.margin is None else _margin_json(self.margin),
            "money_moves": [_move_json(m) for m in self.moves],
            "funding_24h": [_funding_json(f) for f in self.funding],
        }


def _totals_json(t: PositionTotals) -> dict[str, Any]:
    return {
        "collateral_usd": str(t.collateral_usd),
        "debt_usd": str(t.debt_usd),
        "equity_usd": str(t.equity_usd),
        "chain_hf": _num(t.chain_hf),
        "common_crash_factor": _num(t.common_crash_factor),
        "crash_to_liquidation": _num(t.crash_to_liquidation),
    }


def _margin_json(m: MarginNeed) -> dict[str, Any]:
    return {
        "short_liq_distance": str(m.distance),
        "need_usd": str(m.need_usd),
        "have_usd": str(m.have_usd),
        "shortfall_usd": str(m.shortfall_usd),
        "by_symbol": {k: str(v) for k, v in m.by_symbol.items()},
        "warning": margin_warning(m),
    }


def margin_warning(m: MarginNeed) -> str | None:
    if not m.shortfall_usd > 0:
        return None
    return (
        f"the futures wallet holds ${m.have_usd:,.2f} of margin, ${m.shortfall_usd:,.2f} short "
        f"of the ${m.need_usd:,.2f} the wanted shorts need to stay {m.distance:.0%} from their "
        "liquidation prices: deposit margin (or configure capital:) before the hedge grows"
    )


def _funding_json(f: FundingRecord) -> dict[str, Any]:
    return {
        "symbol": f.symbol,
        "asset": f.asset,
        "amount": str(f.amount),
        "at": f.income_at.isoformat(),
        "transaction_id": f.transaction_id,
    }


def _move_json(m: MoveRecord) -> dict[str, Any]:
    i = m.intent
    return {
        "move_id": i.move_id,
        "kind": i.kind.value,
        "stage": m.stage.value,
        "coin": i.coin,
        "network": i.network,
        "address": i.address,
        "amount": str(i.amount),
        "fee": str(i.fee),
        "venue_status": m.venue_status,
        "tx_id": m.tx_id,
        "detail": m.detail,
        "created_at": m.created_at.isoformat(),
    }


def _num(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _asset_json(x: AssetPosition) -> dict[str, Any]:
    return {
        "symbol": x.symbol,
        "collateral": str(x.collateral),
        "debt": str(x.debt),
        "price_usd": str(x.price_usd),
        "liquidation_threshold": str(x.liquidation_threshold),
        "collateral_enabled": x.collateral_enabled,
    }


def _underlying_json(u: UnderlyingView) -> dict[str, Any]:
    return {
        "underlying": u.underlying,
        "symbol": u.symbol,
        "mark": str(u.mark),
        "liquidation_price": _num(u.liquidation_price),
        "liquidation_distance": _num(u.liquidation_distance),
        "current_short_usd": str(u.current_short_usd),
        "target_short_usd": str(u.target.short_usd),
        "reason": u.target.reason,
    }


def _line_json(x: AccountLine) -> dict[str, Any]:
    return {
        "underlying": x.underlying,
        "symbol": x.symbol,
        "target_short_usd": str(x.target.short_usd),
        "current_short_usd": str(x.current_short_usd),
        "shares": {
            name: {
                "target_short_usd": str(x.target_shares[name]),
                "current_short_usd": str(x.current_shares[name]),
            }
            for name in x.target_shares
        },
    }


def _reserve_json(r: CrashReserve) -> dict[str, Any]:
    return {
        "crash_fraction": str(r.crash_fraction),
        "symbol": r.symbol,
        "amount": str(r.amount),
        "hf_after_crash": str(r.hf_after_crash),
        "hf_after_repay": str(r.hf_after_repay),
        "feasible": r.feasible,
    }


# Without a measured fall for the collateral (an underlying the shipped data lacks).
FALLBACK_CRASH = Decimal("0.4")


def crash_basis(
    settings: HedgerSettings, snapshot: PositionSnapshot, crash_pct: float | None
) -> tuple[Decimal, str]:
    """The crash to size the reserve for: ``crash_pct`` when given, else the deepest fall of
    the collateral's underlyings measured on the shipped data."""
    if crash_pct is not None:
        fraction = Decimal(str(crash_pct)) / 100
        return fraction, f"a {fraction:.0%} crash"
    held = sorted(
        {
            settings.mapping[a.symbol].underlying
            for a in snapshot.assets
            if a.collateral > 0 and a.symbol in settings.mapping
        }
        - {"USD"}
    )
    fall = worst_fall_for(held)
    if fall is None:
        what = ", ".join(held) or "this collateral"
        return FALLBACK_CRASH, f"a {FALLBACK_CRASH:.0%} crash (no measured fall for {what})"
    return fall.fraction, fall.words()


def reserve_warning(config: HedgebotConfig, need: CrashReserve | None, basis: str) -> str | None:
    """A configured reserve target under what the crash needs."""
    if need is None or not need.amount_usd > 0:
        return None
    target = config.capital.reserve_target_usd if config.capital else None
    if target is None and config.protect is not None:
        target = config.protect.reserve_target_usd
    if target is None or target >= need.amount_usd:
        return None
    return (
        f"the configured reserve target ${target:,.2f} is ${need.amount_usd - target:,.2f} "
        f"short of the ${need.amount_usd:,.2f} {basis} needs: a fall like it would liquidate"
    )


def _reserve(
    config: HedgebotConfig, settings: HedgerSettings, snapshot: PositionSnapshot, crash: Decimal
) -> CrashReserve | None:
    stables = [t for t, m in settings.mapping.items() if m.underlying == "USD"]
    debts = [x.symbol for x in snapshot.assets if x.debt > 0 and x.symbol in stables]
    if not debts:
        return None
    preferred = [t for t in (config.protect.reserve_tokens if config.protect else []) if t in debts]
    return reserve_for_crash(
        snapshot,
        crash_fraction=crash,
        repay_symbol=(preferred or debts)[0],
        stable_symbols=stables,
    )


def account_status(config: HedgebotConfig, *, crash_pct: float | None) -> list[StatusReport]:
    """Every position, planned together as the daemon's hedger plans the account."""
    snapshots = {p.name: _read_snapshot(p) for p in config.positions}
    settings = hedger_settings(config)
    journal = journal_for(config)
    try:
        dry = binance_credentials() is None
        account, margin = _assess(config, settings, snapshots, journal, dry_run=dry)
        loops = {p.name: loops_state(config, p.name, journal) for p in config.positions}
        since = datetime.now(UTC) - timedelta(hours=24)
        moves = tuple(journal.moves_since(since, account=settings.name))
        funding = tuple(journal.funding_income(since=since))
    finally:
        journal.close()
    reports = []
    for name, snapshot in snapshots.items():
        crash, basis = crash_basis(settings, snapshot, crash_pct)
        need = _reserve(config, settings, snapshot, crash)
        reports.append(
            StatusReport(
                position=name,
                mode="paper" if dry else "live",
                snapshot=snapshot,
                assessment=account.positions[name],
                reserve=need,
                loops=loops[name],
                account=settings.name,
                lines=account.lines if len(snapshots) > 1 else (),
                moves=moves,
                reserve_basis=basis,
                reserve_warning=reserve_warning(config, need, basis),
                margin=margin,
                totals=position_totals(snapshot, settings.mapping),
                funding=funding,
            )
        )
    return reports


def _read_snapshot(position: PositionConfig) -> PositionSnapshot:
    reader = reader_for(position)
    reader.start()
    return reader.snapshot(position.wallet, now=int(time.time()))


def _assess(
    config: HedgebotConfig,
    settings: HedgerSettings,
    snapshots: dict[str, PositionSnapshot],
    journal: Journal,
    *,
    dry_run: bool,
) -> tuple[AccountAssessment, MarginNeed]:
    exchange = build_exchange(config, journal, dry_run=dry_run, live=False, read_only=True)
    symbols = sorted(set(settings.symbol_for_underlying.values()))
    balances, specs = exchange.balances(), exchange.contract_specs()
    marks = {s: exchange.mark_price(s) for s in symbols}
    account = assess_account(
        snapshots=snapshots,
        mapping=settings.mapping,
        hedges=exchange.positions(),
        balances=balances,
        specs=specs,
        marks=marks,
        symbol_for_underlying=settings.symbol_for_underlying,
        policy=settings.policy,
        rules=settings.rules,
        account=settings.name,
        cycle_id="status",
        use_shadow_hf=settings.use_shadow_hf,
        count_margin_as_exposure=settings.count_margin_as_exposure,
    )
    need = margin_need(
        shorts_usd={line.symbol: line.target.short_usd for line in account.lines},
        specs=specs,
        marks=marks,
        balances=balances,
        distance=config.hedge.min_short_liq_distance,
    )
    return account, need


def _hf(value: Decimal) -> str:
    return "∞" if value.is_infinite() else f"{value:.4f}"


def render_status(report: StatusReport, console: Console) -> None:
    s, a = report.snapshot, report.assessment
    console.print(
        f"[bold]{report.position}[/] chain {s.chain_id} block {s.block_number}"
        f"   oracle HF [bold]{_hf(a.oracle_hf)}[/]   shadow HF {_hf(a.shadow_hf)}"
        f"   hedge on the {report.mode} exchange"
    )
    if s.stale_reason:
        console.print(f"[red]stale: {s.stale_reason}[/]")
    if report.totals is not None:
        _render_totals(report.totals, console)
    loops = report.loops
    style = "green" if loops.guard == "on" else "bold red"
    console.print(f"guard  [{style}]{loops.guard}[/]  {loops.guard_reason}", highlight=False)
    console.print(f"hedger {loops.hedger}  {loops.hedger_reason}", highlight=False)
    for token in a.unmapped_tokens:
        console.print(f"[yellow]{token} is not in `tokens:`: not hedged[/]", highlight=False)
    assets = Table("asset", "collateral", "debt", "price (USD)", "LT", title="lending position")
    _render_tables(report, console, assets)


def _render_totals(t: PositionTotals, console: Console) -> None:
    chain = "-" if t.chain_hf is None else _hf(t.chain_hf)
    crash = t.crash_to_liquidation
    console.print(
        f"collateral ${t.collateral_usd:,.2f}   debt ${t.debt_usd:,.2f}   "
        f"equity ${t.equity_usd:,.2f}   HF as the chain reports it {chain}",
        highlight=False,
    )
    if crash is not None:
        console.print(f"HF 1 after a further {crash:.1%} fall of every coin together")


def _render_tables(report: StatusReport, console: Console, assets: Table) -> None:
    s, a = report.snapshot, report.assessment
    for x in s.assets:
        assets.add_row(
            x.symbol,
            f"{x.collateral:,.6f}",
            f"{x.debt:,.6f}",
            f"{x.price_usd:,.2f}",
            f"{x.liquidation_threshold:.2%}",
        )
    console.print(assets)
    hedges = Table(
        "underlying",
        "mark",
        "liq. price",
        "distance",
        "current short",
        "target short",
        title="hedge" if not report.lines else f"hedge: this position's share of {report.account}",
    )
    for u in a.underlyings:
        hedges.add_row(
            u.underlying,
            f"{u.mark:,.2f}",
            "-" if u.liquidation_price is None else f"{u.liquidation_price:,.2f}",
            "-" if u.liquidation_distance is None else f"{u.liquidation_distance:.1%}",
            f"${u.current_short_usd:,.0f}",
            f"${u.target.short_usd:,.0f}",
        )
    console.print(hedges)
    for line in report.lines:
        parts = ", ".join(f"{n} ${v:,.0f}" for n, v in line.target_shares.items())
        console.print(
            f"  account {report.account}: {line.symbol} short ${line.current_short_usd:,.0f} "
            f"held, ${line.target.short_usd:,.0f} wanted ({parts})",
            highlight=False,
        )
    for u in a.underlyings:
        console.print(f"  {u.underlying}: {u.target.reason}", highlight=False)
    for i in a.plan.intents:
        console.print(
            f"  would {i.side.value} {i.quantity} {i.symbol}: {i.reason}", highlight=False
        )
    for n in a.plan.notes:
        console.print(f"  note: {n.message}", highlight=False)
    r = report.reserve
    if r is not None:
        verdict = "" if r.feasible else " (not enough even repaying all of it)"
        console.print(
            f"reserve needed to survive {report.reserve_basis}: "
            f"{r.amount:,.2f} {r.symbol} (HF {_hf(r.hf_after_crash)} -> "
            f"{_hf(r.hf_after_repay)}){verdict}",
            highlight=False,
        )
    if report.reserve_warning is not None:
        console.print(f"[bold yellow]warning:[/] {report.reserve_warning}", highlight=False)
    _render_margin(report.margin, console)
    _render_funding(report.funding, console)
    _render_moves(report.moves, console)


def _render_funding(funding: tuple[FundingRecord, ...], console: Console) -> None:
    if not funding:
        return
    totals: dict[tuple[str, str], Decimal] = {}
    for f in funding:
        totals[(f.symbol, f.asset)] = totals.get((f.symbol, f.asset), Decimal(0)) + f.amount
    parts = ", ".join(f"{s} {v:+,.4f} {a}" for (s, a), v in sorted(totals.items()))
    console.print(f"funding (24 h, + received): {parts}", highlight=False)


def _render_margin(m: MarginNeed | None, console: Console) -> None:
    if m is None or not m.need_usd > 0:
        return
    console.print(
        f"margin needed to hold the wanted shorts {m.distance:.0%} from their liquidation "
        f"prices: ${m.need_usd:,.2f} (the futures wallet holds ${m.have_usd:,.2f})",
        highlight=False,
    )
    warning = margin_warning(m)
    if warning is not None:
        console.print(f"[bold yellow]warning:[/] {warning}", highlight=False)


def _render_moves(moves: tuple[MoveRecord, ...], console: Console) -> None:
    if not moves:
        return
    table = Table(
        "when (UTC)", "move", "amount", "fee", "stage", "chain tx", title="money moves (24 h)"
    )
    for m in moves:
        i = m.intent
        table.add_row(
            m.created_at.strftime("%H:%M:%S"),
            f"{i.kind.value} {i.coin} {i.network}",
            f"{i.amount:,.2f}",
            f"{i.fee:,.2f}",
            m.stage.value if not m.venue_status else f"{m.stage.value} ({m.venue_status})",
            m.tx_id or "-",
        )
    console.print(table)
