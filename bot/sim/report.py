"""Terminal tables, progress bars and report folders; the CLI's entry points.

``run_simulation`` and ``run_backtest`` are what ``hedgebot simulate`` / ``backtest`` call.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from bot.sim import plot_backtest, plots
from bot.sim.backtest import run_backtest_series
from bot.sim.backtest_params import BacktestParams, BacktestResult, BacktestRun
from bot.sim.candles import WINDOW_NAMES, MarketSeries, build_series, load_window
from bot.sim.metrics import PolicyOutcome
from bot.sim.montecarlo import SimulationResult, run_monte_carlo
from bot.sim.params import SimulationParams
from bot.sim.run_words import bar_times, run_status

SIM_COLUMNS = (
    "policy", "mode", "P(liq)", "E(liq loss) $", "coll. lost", "P(hedge liq)",
    "hedge cost $", "hedge PnL $", "repaid $ (res/hedge)", "PnL mean $", "VaR5 $", "CVaR5 $",
)  # fmt: skip
BT_COLUMNS = (
    "policy", "mode", "liqs", "liq loss $", "coll. kept", "hedge liqs", "fees+slip $",
    "funding $", "gas+wd fees $", "hedge PnL $", "cash in $", "transfers (wd/dep $)",
    "repaid $", "min HF (close)", "PnL $",
)  # fmt: skip


def _sim_row(o: PolicyOutcome) -> list[str]:
    return [
        o.policy,
        o.mode,
        f"{o.p_defi_liquidation:.1%} ± {o.p_defi_liquidation_se:.1%}",
        f"{o.expected_liquidation_loss_usd:,.0f}",
        f"{o.collateral_lost_fraction:.1%}",
        f"{o.p_hedge_liquidated:.1%}",
        f"{o.hedge_cost_usd:,.0f}",
        f"{o.hedge_pnl_usd:,.0f}",
        f"{o.repaid_from_reserve_usd:,.0f}/{o.repaid_from_hedge_usd:,.0f}",
        f"{o.pnl_mean_usd:,.0f}",
        f"{o.pnl_var5_usd:,.0f}",
        f"{o.pnl_cvar5_usd:,.0f}",
    ]


def _bt_row(r: BacktestRun) -> list[str]:
    return [
        r.policy,
        r.mode,
        str(r.liquidations),
        f"{r.liquidation_loss_usd:,.0f}",
        f"{r.collateral_kept_fraction:.1%}",
        str(r.hedge_liquidations),
        f"{r.fees_usd + r.slippage_usd:,.2f}",
        f"{r.funding_usd:,.2f}",
        f"{r.gas_usd + r.withdraw_fees_usd:,.2f}",
        f"{r.hedge_pnl_usd:,.0f}",
        f"{r.hedge_capital_usd:,.0f}",
        f"{r.transfers} ({r.withdrawn_usd:,.0f}/{r.deposited_usd:,.0f})",
        f"{r.repaid_from_reserve_usd:,.0f}",
        f"{min(r.min_hf, Decimal(99)):.3f}",
        f"{r.pnl_usd:,.0f}",
    ]


def simulation_table(result: SimulationResult) -> Table:
    p = result.params
    table = Table(title=f"Monte Carlo: {p.n_paths} paths x {p.n_steps} steps of {p.dt_hours:g} h")
    for c in SIM_COLUMNS:
        table.add_column(c, justify="left" if c in ("policy", "mode") else "right")
    for o in result.outcomes:
        table.add_row(*_sim_row(o))
    return table


def backtest_table(result: BacktestResult) -> Table:
    table = Table(title=f"Backtest {result.window} {result.symbol} ({result.hours} h)")
    for c in BT_COLUMNS:
        table.add_column(c, justify="left" if c in ("policy", "mode") else "right")
    for r in result.runs:
        table.add_row(*_bt_row(r))
    return table


def _md_table(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "| " + " | ".join(columns) + " |\n|" + "---|" * len(columns) + "\n"
    return head + "".join("| " + " | ".join(r) + " |\n" for r in rows)


def liquidation_summary(result: BacktestResult) -> str:
    """Markdown lines a user can paste: how many runs lost collateral, then each run's fate
    with the dates (the chart's panel titles say the same)."""
    t = bar_times(result.runs[0].series)
    hit = sum(1 for r in result.runs if r.events)
    short = sum(1 for r in result.runs if r.hedge_liquidation_hours)
    head = (
        f"**Loan liquidated in {hit} of {len(result.runs)} runs; short liquidated in {short}.**\n\n"
    )
    return head + "".join(f"- {r.policy} / {r.mode}: {run_status(r, t)}\n" for r in result.runs)


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>5.1f}%"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )


def run_simulation(params: SimulationParams, out_dir: Path, console: Console) -> SimulationResult:
    """Run every policy x mode, print the table, write PNGs and ``summary.md`` to ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    total = len(params.policies) * len(params.modes) * params.n_steps
    with _progress(console) as bar:
        task = bar.add_task("simulating", total=total)
        result = run_monte_carlo(params, lambda n: bar.advance(task, n))
    console.print(simulation_table(result))
    pngs = [
        plots.sample_paths(
            result.outcomes, params.protect.trigger_hf, out_dir / "sample_paths.png"
        ),
        plots.equity_distributions(result.outcomes, out_dir / "equity_distribution.png"),
        plots.frontier(result.outcomes, params.protect.reserve_usd, out_dir / "frontier.png"),
    ]
    rate = result.path_steps / max(result.elapsed_s, 1e-9)
    md = [
        "# hedgebot simulation\n\n",
        f"{params.n_paths} paths, {params.n_steps} steps of {params.dt_hours:g} h, seed "
        f"{params.seed}; assets {', '.join(params.market.symbols)}; hedge "
        f"{params.hedge.venue} at {params.hedge.leverage:g}x, band {params.hedge.band_rel:.0%}; "
        f"protect trigger {params.protect.trigger_hf:g} -> target {params.protect.target_hf:g}, "
        f"reserve ${params.protect.reserve_usd:,.0f}, transfer delay "
        f"{params.protect.transfer_delay_hours:g} h. {result.elapsed_s:.1f} s "
        f"({rate / 1e6:.1f} M path-steps/s).\n\n",
        "**hold**: the loan is liquidated when HF < 1; hedge gains stay on the exchange. "
        "**repay**: under the trigger the reserve repays at once and realised hedge gains "
        "follow after the transfer delay.\n\n",
        _md_table(SIM_COLUMNS, [_sim_row(o) for o in result.outcomes]),
        "\nHedge cost = fees + slippage - funding received (negative: funding paid the hedge). "
        "PnL = final wealth (collateral - debt + reserve + futures equity - outside margin) "
        "minus initial wealth. VaR/CVaR at 5 %, as positive losses. Frontier: points numbered "
        "as in its key; cash set aside = mean exchange margin + the reserve in repay mode; net "
        "= mean PnL minus no hedge / hold's (the raw PnL when that was not run).\n",
        *(f"\n![{p.stem}]({p.name})\n" for p in pngs),
    ]
    (out_dir / "summary.md").write_text("".join(md))
    console.print(f"report written to {out_dir}")
    return result


def _series_for(prices: Path | str, symbol: str) -> tuple[MarketSeries, str]:
    if isinstance(prices, str) and prices in WINDOW_NAMES:
        return load_window(prices, symbol), prices
    path = Path(prices)
    if not path.exists():
        raise ValueError(
            f"--prices {prices}: neither a shipped window ({', '.join(WINDOW_NAMES)}) nor a file"
        )
    # A user's CSV may bring its mark and funding along as <stem>_mark / <stem>_funding files.
    sib = {k: path.with_name(path.name.replace(".csv", f"_{k}.csv")) for k in ("mark", "funding")}
    series = build_series(
        symbol,
        path,
        sib["mark"] if sib["mark"].exists() else None,
        sib["funding"] if sib["funding"].exists() else None,
    )
    return series, path.stem


def _capital_words(p: BacktestParams) -> str:
    if not p.capital_loop:
        return (
            "capital loop off: no transfer, the short keeps the margin it started with and "
            "its gains stay on the exchange"
        )
    return (
        f"capital loop bot.core.capital.decide_money_move: withdrawals arrive "
        f"{p.transfer_delay_minutes} min later, fee {p.network.withdraw_fee} {p.network.coin} "
        f"on {p.network.network}; deposits credited after {p.deposit_credit_minutes} min; gas "
        f"${p.repay_gas_usd} a repay, ${p.deposit_gas_usd} a deposit; cash in is the starting "
        "margin, nothing else reaches the exchange"
    )


def run_backtest(
    params: BacktestParams, prices: Path | str, out_dir: Path, console: Console
) -> BacktestResult:
    """Replay one window (shipped name or CSV path) for every policy x mode; print and write."""
    series, name = _series_for(prices, params.symbol)
    out_dir.mkdir(parents=True, exist_ok=True)
    total = len(params.policies) * len(params.modes) * len(series.perp)
    with _progress(console) as bar:
        task = bar.add_task(f"backtest {name}", total=total)
        result = run_backtest_series(series, params, name, lambda n: bar.advance(task, n))
    console.print(backtest_table(result))
    png = plot_backtest.backtest_panels(
        result, float(params.trigger_hf), out_dir / f"backtest_{name}.png"
    )
    md = [
        f"# hedgebot backtest {name} {series.symbol}\n\n",
        f"{result.hours} hourly bars; mark proxied on {result.mark_proxied_hours} h; "
        f"{result.funding_settlements} funding settlements. Collateral "
        f"${params.collateral_usd:,} of {params.underlying}, LT {params.liquidation_threshold}, "
        f"HF {params.start_hf} at the start; hedge {params.leverage}x, min liq distance "
        f"{params.min_short_liq_distance:.0%}; repay trigger {params.trigger_hf} -> "
        f"{params.target_hf} (bot.core.repay.decide); {_capital_words(params)}.\n\n",
        liquidation_summary(result),
        "\n",
        _md_table(BT_COLUMNS, [_bt_row(r) for r in result.runs]),
        f"\n![backtest {name}: one panel per run, liquidations marked]({png.name})\n",
    ]
    (out_dir / f"backtest_{name}.md").write_text("".join(md))
    console.print(f"report written to {out_dir}")
    return result
