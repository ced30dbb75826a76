"""``hedgebot backtest-capital``: the capital loop's effect on every shipped window.

The default protection (ratio 0.5 short at 3x, reserve repay from the crash rule's reserve)
replayed at several starting health factors, with the capital loop at two withdrawal delays
and with the loop disabled, so what the transfers change is visible side by side.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bot.config.models import RatioPolicyConfig
from bot.sim.backtest import run_policy
from bot.sim.backtest_params import BacktestParams, BacktestRun
from bot.sim.candles import WINDOW_NAMES, load_window

DEFAULT_HFS = (Decimal("1.5"), Decimal("1.3"), Decimal("2.0"))
DEFAULT_POLICY = RatioPolicyConfig(kind="ratio", r=Decimal("0.5"))
COLUMNS = (
    "window", "HF", "loop", "loan liqs", "short liqs", "cash in % coll.", "fees+slip $",
    "gas $", "wd fees $", "funding $", "transfers", "repaid $", "reserve end $", "PnL $",
)  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class Variant:
    label: str  # "10 min", "60 min", "off"
    capital_loop: bool
    transfer_delay_minutes: int = 10


DEFAULT_VARIANTS = (
    Variant(label="10 min", capital_loop=True, transfer_delay_minutes=10),
    Variant(label="60 min", capital_loop=True, transfer_delay_minutes=60),
    Variant(label="off", capital_loop=False),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class CapitalRow:
    window: str
    start_hf: Decimal
    variant: str
    run: BacktestRun
    collateral_usd: Decimal

    def cells(self) -> list[str]:
        r = self.run
        return [
            self.window,
            f"{self.start_hf}",
            self.variant,
            str(r.liquidations),
            str(r.hedge_liquidations),
            f"{r.hedge_capital_usd / self.collateral_usd:.1%}",
            f"{r.fees_usd + r.slippage_usd:,.2f}",
            f"{r.gas_usd:,.2f}",
            f"{r.withdraw_fees_usd:,.2f}",
            f"{r.funding_usd:,.2f}",
            str(r.transfers),
            f"{r.repaid_from_reserve_usd:,.0f}",
            f"{r.reserve_end_usd:,.0f}",
            f"{r.pnl_usd:,.0f}",
        ]


def capital_rows(
    base: BacktestParams,
    *,
    windows: Sequence[str] = WINDOW_NAMES,
    start_hfs: Sequence[Decimal] = DEFAULT_HFS,
    variants: Sequence[Variant] = DEFAULT_VARIANTS,
    progress: Callable[[int], None] | None = None,
) -> list[CapitalRow]:
    rows = []
    for window in windows:
        series = load_window(window, base.symbol)
        for hf in start_hfs:
            for v in variants:
                params = dataclasses.replace(
                    base,
                    start_hf=hf,
                    capital_loop=v.capital_loop,
                    transfer_delay_minutes=v.transfer_delay_minutes,
                )
                run = run_policy(series, params, DEFAULT_POLICY, "repay")
                rows.append(
                    CapitalRow(
                        window=window,
                        start_hf=hf,
                        variant=v.label,
                        run=run,
                        collateral_usd=base.collateral_usd,
                    )
                )
                if progress is not None:
                    progress(1)
    return rows


def capital_table(rows: Sequence[CapitalRow], symbol: str) -> Table:
    table = Table(title=f"Capital loop on the shipped windows, {symbol}, ratio 0.5 at 3x, repay")
    for c in COLUMNS:
        table.add_column(c, justify="left" if c in ("window", "loop") else "right")
    for row in rows:
        table.add_row(*row.cells())
    return table


def write_capital_report(
    rows: Sequence[CapitalRow], base: BacktestParams, out_dir: Path, console: Console
) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    net = base.network
    head = "| " + " | ".join(COLUMNS) + " |\n|" + "---|" * len(COLUMNS) + "\n"
    body = "".join("| " + " | ".join(r.cells()) + " |\n" for r in rows)
    md = (
        f"# hedgebot backtest-capital {base.symbol}\n\n"
        f"${base.collateral_usd:,} of {base.underlying}, LT {base.liquidation_threshold}; "
        f"ratio 0.5 short at {base.leverage}x; guard {base.trigger_hf} -> {base.target_hf} "
        f"(bot.core.repay.decide); capital loop bot.core.capital.decide_money_move with "
        f"{net.coin} on {net.network}, withdrawal fee {net.withdraw_fee}, deposit credited "
        f"after {base.deposit_credit_minutes} min, gas ${base.repay_gas_usd} a repay and "
        f"${base.deposit_gas_usd} a deposit. Cash in = money from outside put on the exchange "
        "(the starting margin only: nothing else is ever added).\n\n" + head + body
    )
    path = out_dir / f"backtest_capital_{base.symbol}.md"
    path.write_text(md)
    console.print(capital_table(rows, base.symbol))
    console.print(f"report written to {path}")
    return path
