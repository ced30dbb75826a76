"""``hedgebot status`` as tables for a terminal."""

from __future__ import annotations

from decimal import Decimal

from rich.console import Console
from rich.table import Table

from bot.core.margin_need import MarginNeed
from bot.core.totals import PositionTotals
from bot.daemon.status_report import LeadershipView, StatusReport, margin_warning
from bot.journal import AlertRecord, FundingRecord, MoveRecord, OperatorAction

ALERT_ROWS = 20  # the latest alerts shown in the table (--json has all of the 24 h)


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
    if report.leadership is not None:
        console.print(leadership_line(report.leadership), highlight=False)
    for token in a.unmapped_tokens:
        console.print(f"[yellow]{token} is not in `tokens:`: not hedged[/]", highlight=False)
    assets = Table("asset", "collateral", "debt", "price (USD)", "LT", title="lending position")
    _render_tables(report, console, assets)


def leadership_line(view: LeadershipView) -> str:
    """Who acts among the replicas (``ha``), from the journal's latest epoch."""
    if view.epoch is None:
        led = "replicas: none has led yet"
    else:
        led = (
            f"replicas: {view.leader} leads (epoch {view.epoch}, since {view.since}: {view.reason})"
        )
    return led if view.role is None else f"{led}; this replica ({view.replica}) is {view.role}"


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
    _render_reserve(report, console)
    _render_margin(report.margin, console)
    _render_funding(report.funding, console)
    _render_moves(report.moves, console)
    _render_alerts(report.alerts, console)
    _render_actions(report.actions, console)


def _render_reserve(report: StatusReport, console: Console) -> None:
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


def _render_alerts(alerts: tuple[AlertRecord, ...], console: Console) -> None:
    if not alerts:
        return
    table = Table("when (UTC)", "severity", "alert", "sink", "outcome", title="alerts (24 h)")
    for x in alerts[-ALERT_ROWS:]:
        table.add_row(
            x.created_at.strftime("%H:%M:%S"),
            x.severity,
            x.title,
            ", ".join(x.sinks) or "-",
            x.outcome,
        )
    console.print(table)


def _render_actions(actions: tuple[OperatorAction, ...], console: Console) -> None:
    if not actions:
        return
    table = Table("when (UTC)", "action", "by", "why", title="operator actions (latest)")
    for x in actions:
        what = x.action if x.position is None else f"{x.action} {x.position}"
        table.add_row(x.created_at.strftime("%m-%d %H:%M:%S"), what, x.actor, x.reason)
    console.print(table)


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
