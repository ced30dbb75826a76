"""The live terminal view (rich): market, health factors, hedge, reserve, money moves,
liquidator, events.

``render`` is pure: a ``ViewModel`` in, a renderable out; the runner feeds it to ``rich.Live``
(or, headless, prints only the event lines).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from bot.demo.liquidator import LiquidatorStats
from bot.demo.observe import Observation
from bot.demo.protocols import AAVE_WORDS, ChainWords
from bot.demo.recorder import Event, EventKind
from bot.watch.loops import NOT_YET, LoopsReading
from bot.watch.widgets import hf_text, loops_table

EVENT_STYLE = {
    EventKind.ORDER: "cyan",
    EventKind.REPAY: "bold green",
    EventKind.TX: "green",
    EventKind.WITHDRAWAL: "bold blue",
    EventKind.DEPOSIT: "bold magenta",
    EventKind.LIQUIDATION: "bold red",
    EventKind.NOTE: "yellow",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ViewModel:
    title: str
    t: Decimal
    duration: Decimal
    phase: str
    speed: float
    observation: Observation | None
    symbols: dict[str, str]  # underlying -> exchange symbol
    start_marks: dict[str, Decimal]
    targets: dict[str, Decimal]  # underlying -> the daemon's latest wanted short USD
    trigger_hf: Decimal | None
    target_hf: Decimal | None
    liquidator: LiquidatorStats
    events: Sequence[Event]
    repays: int
    repaid_usd: Decimal
    loops: LoopsReading = NOT_YET
    reserve_symbol: str = "USDT"
    withdrawals: int = 0  # done
    withdrawn_usd: Decimal = Decimal(0)  # received by the reserve
    deposits: int = 0  # done
    deposited_usd: Decimal = Decimal(0)
    words: ChainWords = AAVE_WORDS


def event_line(e: Event) -> Text:
    line = Text(f"t={e.t:6.1f}s  ", style="dim")
    line.append(f"{e.kind.value.upper():<11} ", style=EVENT_STYLE[e.kind])
    line.append(e.text)
    return line


def render(vm: ViewModel) -> RenderableType:
    header = Text.assemble(
        (vm.title, "bold"),
        f"   t = {vm.t:5.1f} / {vm.duration:.0f} s (speed {vm.speed:g})   ",
        (vm.phase, "italic magenta"),
    )
    obs = vm.observation
    market = Table(expand=True, box=None, pad_edge=False)
    for col in (
        "",
        "exchange mark",
        vm.words.oracle,
        "move",
        "liquidation price",
        "target short",
        "short held",
    ):
        market.add_column(col, justify="right" if col else "left")
    if obs is not None:
        for u, symbol in vm.symbols.items():
            mark = obs.exchange.marks.get(symbol)
            oracle = obs.chain.oracle_usd.get(u)
            start = vm.start_marks.get(u)
            liq_text = "-"  # not collateral
            if u in obs.chain.liquidation_usd:
                liq = obs.chain.liquidation_usd[u]
                liq_text = "never" if liq is None else f"{liq:,.2f}"
            move = f"{(mark / start - 1) * 100:+.1f} %" if mark is not None and start else "-"
            market.add_row(
                u,
                f"{mark:,.2f}" if mark is not None else "-",
                f"{oracle:,.2f}" if oracle is not None else "-",
                move,
                liq_text,
                f"{vm.targets[u]:,.0f} $" if u in vm.targets else "-",
                f"{obs.exchange.short_usd.get(symbol, Decimal(0)):,.0f} $",
            )
    position = Table.grid(padding=(0, 3))
    if obs is not None:
        c = obs.chain
        hf_line = Text.assemble(
            "oracle HF ",
            hf_text(c.oracle_hf, vm.trigger_hf),
            "   shadow HF ",
            hf_text(c.shadow_hf, vm.trigger_hf),
        )
        if vm.trigger_hf is not None and vm.target_hf is not None:
            hf_line.append(f"   (repay below {vm.trigger_hf} up to {vm.target_hf})", style="dim")
        else:
            hf_line.append("   (repay protection OFF)", style="bold red")
        collateral = ", ".join(f"{v:.4f} {k}" for k, v in sorted(c.collateral.items()))
        if c.crash_to_liquidation is not None:
            hf_line.append(
                f"   HF 1 after a further {c.crash_to_liquidation * 100:.1f} % fall of every coin"
            )
        position.add_row(hf_line)
        position.add_row(
            f"collateral {collateral} = {c.collateral_usd:,.0f} $   debt {c.debt_usd:,.0f} $   "
            f"reserve {obs.reserve:,.0f} {vm.reserve_symbol}   "
            f"repaid {vm.repaid_usd:,.0f} $ in {vm.repays} tx"
        )
        moved = (
            f"capital loop: {vm.withdrawn_usd:,.0f} {vm.reserve_symbol} withdrawn from the "
            f"exchange to the reserve in {vm.withdrawals} withdrawal(s)"
        )
        if vm.deposits:
            moved += (
                f", {vm.deposited_usd:,.0f} {vm.reserve_symbol} deposited as margin in "
                f"{vm.deposits} deposit(s)"
            )
        position.add_row(moved)
        ex = obs.exchange
        wallets = ", ".join(f"{v:,.4f} {k}" for k, v in sorted(ex.wallets.items()))
        position.add_row(
            f"exchange wallet {wallets}   hedge PnL "
            f"{ex.realized_pnl_usd + ex.unrealized_pnl_usd:+,.0f} $   fees {ex.fees_usd:,.2f} $"
        )
    s = vm.liquidator
    liq_style = "bold red" if s.succeeded else "green"
    position.add_row(
        Text.assemble(
            f"liquidator: {s.blocks_seen} blocks, {s.attempts} {vm.words.liquidation_call} "
            f"attempts, {s.reverted} {vm.words.refused}, ",
            (f"{s.succeeded} succeeded", liq_style),
        )
    )
    events = Group(*(event_line(e) for e in vm.events)) if vm.events else Text("(none yet)")
    return Group(
        Panel(header, border_style="blue"),
        Panel(market, title="market and hedge", title_align="left"),
        Panel(position, title="position", title_align="left"),
        Panel(loops_table(vm.loops), title="daemon: guard and hedger", title_align="left"),
        Panel(events, title="orders, repays, money moves, liquidations", title_align="left"),
    )


__all__ = ["ViewModel", "event_line", "hf_text", "loops_table", "render"]
