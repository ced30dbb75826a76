"""``hedgebot watch``'s frame: a ``WatchView`` in, a rich renderable out (pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from bot.watch.model import HedgeLine, PositionView, WatchEvent, WatchView
from bot.watch.widgets import hf_text, loops_table

EVENT_STYLE = {
    "order": "cyan",
    "repay": "bold green",
    "tx": "green",
    "withdrawal": "bold blue",
    "deposit": "bold magenta",
    "alert": "bold yellow",
    "funding": "magenta",
    "operator": "bold white",
}


def _clock(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _usd(value: Decimal | None) -> str:
    return "-" if value is None else f"{value:,.0f} $"


def event_line(e: WatchEvent) -> Text:
    line = Text(f"{_clock(e.at_ms)[11:19]}  ", style="dim")
    line.append(f"{e.kind.upper():<10} ", style=EVENT_STYLE.get(e.kind, ""))
    line.append(e.text)
    return line


def _hf_line(p: PositionView, vm: WatchView) -> Text:
    assert p.chain is not None
    c = p.chain
    line = Text.assemble("oracle HF ", hf_text(c.oracle_hf, vm.trigger_hf), "   shadow HF ")
    if p.shadow_hf is None:
        line.append("-")
    else:
        line.append_text(hf_text(p.shadow_hf, vm.trigger_hf))
        if p.shadow_from_journal:
            line.append(" (the hedger's latest cycle)", style="dim")
    line.append("   chain's own HF ")
    line.append("n/a" if c.chain_hf is None else f"{c.chain_hf:.3f}")
    if vm.trigger_hf is not None and vm.target_hf is not None:
        line.append(f"   (repay below {vm.trigger_hf} up to {vm.target_hf})", style="dim")
    else:
        line.append("   (repay protection OFF)", style="bold red")
    return line


def position_panel(p: PositionView, vm: WatchView) -> Panel:
    grid = Table.grid(padding=(0, 3))
    if p.chain is None:
        grid.add_row(Text(f"chain not read: {p.error}", style="bold red"))
    else:
        c = p.chain
        grid.add_row(_hf_line(p, vm))
        collateral = ", ".join(f"{v:.4f} {k}" for k, v in sorted(c.collateral.items())) or "-"
        debt = ", ".join(f"{v:,.2f} {k}" for k, v in sorted(c.debt.items())) or "-"
        grid.add_row(
            f"collateral {collateral} = {c.collateral_usd:,.0f} $   "
            f"debt {debt} = {c.debt_usd:,.0f} $   block {c.block}"
        )
        liq = [
            f"{u} {'never' if price is None else f'{price:,.2f}'}"
            for u, price in c.liquidation_usd.items()
        ]
        crash = (
            "no common fall liquidates it"
            if c.crash_to_liquidation is None
            else f"HF 1 after a further {c.crash_to_liquidation * 100:.1f} % fall of every coin"
        )
        grid.add_row(f"liquidation price {', '.join(liq) or '-'}   {crash}")
    grid.add_row(_reserve_and_loops(p))
    return Panel(grid, title=f"position {p.name}", title_align="left")


def _reserve_and_loops(p: PositionView) -> Text:
    line = Text()
    if p.reserve is not None:
        held = ", ".join(f"{v:,.2f} {k}" for k, v in p.reserve) or "none"
        line.append(f"reserve {held}   ")
    if p.loops is None:
        line.append("guard/hedger switches: no journal", style="dim")
        return line
    guard_style = "green" if p.loops.guard == "on" else "bold red"
    line.append("guard ")
    line.append(p.loops.guard, style=guard_style)
    line.append(f" ({p.loops.guard_reason})   hedger ", style="dim")
    line.append(p.loops.hedger, style="green" if p.loops.hedger == "running" else "bold yellow")
    if p.loops.hedger_reason:
        line.append(f" ({p.loops.hedger_reason})", style="dim")
    return line


def hedge_table(lines: tuple[HedgeLine, ...]) -> Table:
    table = Table(expand=True, box=None, pad_edge=False)
    for col in ("", "symbol", "mark", "target short", "short held", "to trade"):
        table.add_column(col, justify="left" if col in ("", "symbol") else "right")
    for h in lines:
        gap = h.gap_usd
        table.add_row(
            h.underlying,
            h.symbol,
            "-" if h.mark is None else f"{h.mark:,.2f}",
            _usd(h.target_usd),
            _usd(h.held_usd),
            "-" if gap is None else f"{gap:+,.0f} $",
        )
    return table


def _hedge_panel(vm: WatchView) -> Panel:
    cycle = "no good cycle yet" if vm.cycle_at_ms is None else _clock(vm.cycle_at_ms)
    note = Text(
        f"marks: {vm.marks_source}; target and held: the hedger's latest cycle ({cycle}); "
        "margin: not read (signed endpoint: hedgebot status shows it)",
        style="dim",
    )
    return Panel(Group(hedge_table(vm.hedges), note), title="hedge", title_align="left")


def _daemon_panel(vm: WatchView) -> Panel:
    body: RenderableType
    if vm.daemon is None:
        body = Text(
            f"daemon not reachable at {vm.metrics_url or '(no metrics URL)'}: "
            "chain and journal shown",
            style="bold red",
        )
    else:
        body = loops_table(vm.daemon)
    return Panel(body, title="daemon: guard and hedger", title_align="left")


def render(vm: WatchView) -> RenderableType:
    header = Text.assemble(
        (vm.title, "bold"),
        f"   {_clock(vm.at_ms)}   refresh every {vm.interval_secs:g} s   ",
        ("read-only", "italic"),
    )
    events: RenderableType = (
        Group(*(event_line(e) for e in vm.events)) if vm.events else Text("(none yet)")
    )
    if vm.journal_note:
        events = Group(Text(vm.journal_note, style="yellow"), events)
    return Group(
        Panel(header, border_style="blue"),
        *(position_panel(p, vm) for p in vm.positions),
        _hedge_panel(vm),
        _daemon_panel(vm),
        Panel(
            events,
            title="orders, repays, transfers, alerts, funding, operator actions",
            title_align="left",
        ),
    )


__all__ = ["EVENT_STYLE", "event_line", "hedge_table", "position_panel", "render"]
