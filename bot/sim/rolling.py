"""``hedgebot backtest --rolling 90d``: the configured loan and protection started on every
month's first day over the shipped continuous data, each run for the same horizon, next to the
shipped crash windows, against doing nothing (no hedge, no repay) on the same prices.

Per run pair (protected = the config's hedge policy, with reserve repays when ``protect`` is
configured; nothing = no hedge, no repay):

- frictions: fees + slippage + withdrawal fees + gas - funding received, %/yr of collateral;
- net vs nothing: (protected PnL - nothing's PnL), %/yr of collateral;
- max drawdown: the largest fall of wealth from its running peak, % of that peak;
- cash paid in: the reserve plus the exchange's starting margin, % of collateral;
- collateral sold: the share of collateral liquidators took.
"""

from __future__ import annotations

import dataclasses
import re
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from rich.console import Console
from rich.table import Table

from bot.config.models import NoHedgePolicyConfig, PolicyConfig
from bot.core.reserve import HistoricalFall
from bot.sim.backtest import run_policy
from bot.sim.backtest_params import BacktestParams, BacktestRun, policy_label
from bot.sim.candles import WINDOW_NAMES, MarketSeries, cached_rolling, load_window
from bot.sim.run_words import at_hour, bar_times, loan_status, run_status, stamp

NOTHING = NoHedgePolicyConfig(kind="none")
HOURS_PER_YEAR = Decimal(8760)
COLUMNS = (
    "run", "starts", "loan liq. runs (nothing / protected)", "short liq. runs",
    "frictions %/yr", "net vs nothing %/yr (pooled / median / worst)",
    "max drawdown % of peak (nothing / protected, worst)", "cash in % (median / max)",
    "collateral sold % (nothing / protected, worst)",
)  # fmt: skip
PER_START = (
    "start", "loan liqs (nothing / protected)", "first loan liq. (nothing / protected)",
    "short liqs", "first short liq.", "net vs nothing %/yr",
)  # fmt: skip


def parse_horizon(text: str) -> int:
    """``"90d"`` -> 2160 hours (also ``"12w"``, ``"36h"``)."""
    m = re.fullmatch(r"\s*(\d+)\s*([dwh])\s*", text)
    if m is None or int(m.group(1)) == 0:
        raise ValueError(f"--rolling {text!r}: a horizon like 90d, 12w or 720h")
    return int(m.group(1)) * {"d": 24, "w": 168, "h": 1}[m.group(2)]


def month_starts(series: MarketSeries, horizon_hours: int) -> list[int]:
    """Indexes of every month's first hour (the 1st, 00:00 UTC) with ``horizon_hours`` of data
    after it."""
    return [
        i
        for i, bar in enumerate(series.perp[: len(series.perp) - horizon_hours + 1])
        if bar.open_time[8:] == "01T00:00:00Z"
    ]


def cut(series: MarketSeries, start: int, hours: int) -> MarketSeries:
    end = start + hours
    return dataclasses.replace(
        series,
        perp=series.perp[start:end],
        mark=series.mark[start:end],
        mark_source=series.mark_source[start:end],
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Pair:
    """One start: the protected run and doing nothing, on the same hours."""

    label: str  # "2020-03-01" or a window name
    hours: int
    collateral_usd: Decimal
    nothing: BacktestRun
    protected: BacktestRun

    def _pct_year(self, usd: Decimal) -> Decimal:
        return usd / self.collateral_usd * HOURS_PER_YEAR / self.hours * 100

    @property
    def frictions_usd(self) -> Decimal:
        r = self.protected
        return r.fees_usd + r.slippage_usd + r.withdraw_fees_usd + r.gas_usd - r.funding_usd

    @property
    def frictions_pct_year(self) -> Decimal:
        return self._pct_year(self.frictions_usd)

    @property
    def net_pct_year(self) -> Decimal:
        return self._pct_year(self.protected.pnl_usd - self.nothing.pnl_usd)

    @property
    def cash_in_pct(self) -> Decimal:
        r = self.protected
        return (r.reserve_start_usd + r.hedge_capital_usd) / self.collateral_usd * 100

    @staticmethod
    def drawdown_pct(run: BacktestRun) -> Decimal:
        return run.max_drawdown * 100

    @staticmethod
    def sold_pct(run: BacktestRun) -> Decimal:
        return (1 - run.collateral_kept_fraction) * 100


def protection(params: BacktestParams, policy: PolicyConfig, repay: bool) -> BacktestParams:
    """``params`` running only ``policy`` (in mode repay or hold) and doing nothing."""
    return dataclasses.replace(params, policies=(policy,), modes=("repay" if repay else "hold",))


def run_pair(series: MarketSeries, params: BacktestParams, label: str) -> Pair:
    (policy,), (mode,) = params.policies, params.modes
    return Pair(
        label=label,
        hours=len(series.perp),
        collateral_usd=params.collateral_usd,
        nothing=run_policy(series, params, NOTHING, "hold"),
        protected=run_policy(series, params, policy, mode),
    )


def rolling_pairs(
    params: BacktestParams,
    horizon_hours: int,
    *,
    series: MarketSeries | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[Pair]:
    """One pair per month start of the shipped continuous series (or ``series``)."""
    full = series if series is not None else cached_rolling(params.symbol)
    out = []
    for i in month_starts(full, horizon_hours):
        out.append(run_pair(cut(full, i, horizon_hours), params, full.perp[i].open_time[:10]))
        if progress is not None:
            progress(1)
    return out


def window_pairs(
    params: BacktestParams,
    windows: Sequence[str] = WINDOW_NAMES,
    progress: Callable[[int], None] | None = None,
) -> list[Pair]:
    out = []
    for w in windows:
        out.append(run_pair(load_window(w, params.symbol), params, w))
        if progress is not None:
            progress(1)
    return out


def _f(x: Decimal) -> str:
    return f"{x:,.1f}"


def _per_year_pct(pairs: Sequence[Pair], usd: Callable[[Pair], Decimal]) -> Decimal:
    """``usd`` summed over the pairs, %/yr of collateral: each pair weighs by its collateral
    times its hours (pairs of several underlyings carry different collateral)."""
    exposure = sum((p.collateral_usd * p.hours for p in pairs), Decimal(0))
    return sum((usd(p) for p in pairs), Decimal(0)) / exposure * HOURS_PER_YEAR * 100


def frictions_pct(pairs: Sequence[Pair]) -> Decimal:
    """Over all the pairs' hours, %/yr of collateral."""
    return _per_year_pct(pairs, lambda p: p.frictions_usd)


def net_pooled_pct(pairs: Sequence[Pair]) -> Decimal:
    """Net vs nothing over all the pairs' hours, %/yr of collateral: what the protection
    earned across every start together (a start's median hides the crashes it paid for)."""
    return _per_year_pct(pairs, lambda p: p.protected.pnl_usd - p.nothing.pnl_usd)


def row(label: str, pairs: Sequence[Pair]) -> list[str]:
    """One table row summarising ``pairs`` (a single crash window or every rolling start)."""
    net = [p.net_pct_year for p in pairs]
    cash = [p.cash_in_pct for p in pairs]
    return [
        label,
        str(len(pairs)),
        f"{sum(1 for p in pairs if p.nothing.liquidations)} / "
        f"{sum(1 for p in pairs if p.protected.liquidations)}",
        str(sum(1 for p in pairs if p.protected.hedge_liquidations)),
        _f(frictions_pct(pairs)),
        f"{_f(net_pooled_pct(pairs))} / {_f(statistics.median(net))} / {_f(min(net))}",
        f"{_f(max(p.drawdown_pct(p.nothing) for p in pairs))} / "
        f"{_f(max(p.drawdown_pct(p.protected) for p in pairs))}",
        f"{_f(statistics.median(cash))} / {_f(max(cash))}",
        f"{_f(max(Pair.sold_pct(p.nothing) for p in pairs))} / "
        f"{_f(max(Pair.sold_pct(p.protected) for p in pairs))}",
    ]


def rows(rolling: Sequence[Pair], windows: Sequence[Pair], horizon_hours: int) -> list[list[str]]:
    out = []
    if rolling:
        days = horizon_hours / 24
        span = f"{rolling[0].label[:7]}..{rolling[-1].label[:7]}"
        out.append(row(f"rolling {days:g}d, every 1st ({span})", rolling))
    out.extend(row(f"window {p.label}", [p]) for p in windows)
    return out


def rolling_table(title: str, body: Sequence[Sequence[str]]) -> Table:
    table = Table(title=title)
    for c in COLUMNS:
        table.add_column(c, justify="left" if c == "run" else "right")
    for r in body:
        table.add_row(*r)
    return table


def _fate(p: Pair) -> str:
    t = bar_times(p.protected.series)
    return (
        f"- {p.label}: doing nothing: {loan_status(p.nothing, t)}; protected: "
        f"{run_status(p.protected, t)}\n"
    )


def _hit(p: Pair) -> bool:
    return bool(p.nothing.events or p.protected.events or p.protected.hedge_liquidation_hours)


def _first(run: BacktestRun, hours: Sequence[int]) -> str:
    return stamp(at_hour(bar_times(run.series), hours[0]))[:16] if hours else "-"


def _headline(what: str, pairs: Sequence[Pair]) -> str:
    net = [p.net_pct_year for p in pairs]
    cash = [p.cash_in_pct for p in pairs]
    worst = min(pairs, key=lambda p: p.net_pct_year)
    return (
        f"**{len(pairs)} {what}{'s' if len(pairs) != 1 else ''}: the loan was liquidated in "
        f"{sum(1 for p in pairs if p.nothing.events)} doing nothing and in "
        f"{sum(1 for p in pairs if p.protected.events)} protected; the short in "
        f"{sum(1 for p in pairs if p.protected.hedge_liquidations)}.** Frictions "
        f"{_f(frictions_pct(pairs))} %/yr of collateral (negative: funding received paid "
        f"more than the costs); net vs nothing {_f(net_pooled_pct(pairs))} %/yr over all "
        f"hours, median {_f(statistics.median(net))} %/yr, "
        f"worst {_f(worst.net_pct_year)} %/yr ({worst.label}); cash in (reserve + starting "
        f"margin) median {_f(statistics.median(cash))} %, max {_f(max(cash))} % of "
        "collateral.\n\n"
    )


def headline(rolling: Sequence[Pair], windows: Sequence[Pair], horizon_hours: int) -> str:
    """The paragraphs a user pastes: liquidations doing nothing / protected, short
    liquidations, frictions, net, cash; then every start or window that lost anything, when."""
    out = []
    for what, pairs in (
        (f"{horizon_hours / 24:g}-day start", rolling),
        ("crash window", windows),
    ):
        if pairs:
            out.append(_headline(what, pairs))
            out.extend(_fate(p) for p in pairs if _hit(p))
            out.append("\n")
    return "".join(out)


def rolling_markdown(
    title: str, rolling: Sequence[Pair], windows: Sequence[Pair], horizon_hours: int, png: str
) -> str:
    from bot.sim.report import _md_table

    per_start = [
        [
            p.label,
            f"{p.nothing.liquidations} / {p.protected.liquidations}",
            f"{_first(p.nothing, [e.hour for e in p.nothing.events])} / "
            f"{_first(p.protected, [e.hour for e in p.protected.events])}",
            str(p.protected.hedge_liquidations),
            _first(p.protected, p.protected.hedge_liquidation_hours),
            _f(p.net_pct_year),
        ]
        for p in rolling
    ]
    return "".join(
        [
            f"# hedgebot backtest --rolling {horizon_hours / 24:g}d\n\n{title}.\n\n",
            headline(rolling, windows, horizon_hours),
            f"![net per start and when each run was liquidated]({png})\n\n",
            _md_table(COLUMNS, rows(rolling, windows, horizon_hours)),
            "\nLoan / short liq. runs: runs with at least one liquidation. Frictions: fees + "
            "slippage + withdrawal fees + gas - funding received (negative: funding paid more "
            "than the costs), over all hours. Net vs nothing: protected PnL minus doing "
            "nothing's, annualised. Max drawdown: largest fall of wealth (collateral - debt + "
            "reserve + exchange equity) from its peak, % of that peak. Cash in: reserve + "
            "starting margin. The rest: % of the starting collateral. Times: the UTC hour in "
            "which it happened.\n\n",
            _md_table(PER_START, per_start),
        ]
    )


def run_rolling(
    params: BacktestParams, horizon_hours: int, out_dir: Path, console: Console
) -> tuple[list[Pair], list[Pair]]:
    """Every rolling start and every shipped window: print one table, write it as markdown
    with a chart of when each run was liquidated."""
    from bot.sim.plot_rolling import rolling_png
    from bot.sim.report import _progress

    full = cached_rolling(params.symbol)
    starts = month_starts(full, horizon_hours)
    if not starts:
        raise ValueError(f"the shipped data holds no {horizon_hours} h run from a month's 1st")
    out_dir.mkdir(parents=True, exist_ok=True)
    with _progress(console) as bar:
        task = bar.add_task("rolling starts", total=len(starts) + len(WINDOW_NAMES))
        tick = lambda n: bar.advance(task, n)  # noqa: E731
        rolling = rolling_pairs(params, horizon_hours, series=full, progress=tick)
        windows = window_pairs(params, progress=tick)
    (policy,), (mode,) = params.policies, params.modes
    title = (
        f"{params.symbol}: {policy_label(policy)} ({mode}) vs doing nothing, HF "
        f"{params.start_hf}, ${params.collateral_usd:,} collateral, LT "
        f"{params.liquidation_threshold}, bonus {params.liquidation_bonus:.0%}"
    )
    console.print(rolling_table(title, rows(rolling, windows, horizon_hours)))
    name = f"rolling_{horizon_hours / 24:g}d_{params.symbol}"
    png = rolling_png(rolling, windows, title, out_dir / f"{name}.png")
    md = rolling_markdown(title, rolling, windows, horizon_hours, png.name)
    (out_dir / f"{name}.md").write_text(md)
    console.print(f"report written to {out_dir / name}.md and .png")
    return rolling, windows


def worst_fall(series: MarketSeries, horizon_hours: int, underlying: str) -> HistoricalFall:
    """The deepest fall of the mark from any hour's close to the lowest low of the following
    ``horizon_hours - 1`` hours (``bot.core.reserve.WORST_90D_FALLS`` holds the shipped data's)."""
    close = np.array([float(b.close) for b in series.mark])
    low = np.array([float(b.low) for b in series.mark])
    lows_ahead = sliding_window_view(low[1:], horizon_hours - 1).min(axis=1)
    falls = 1 - lows_ahead / close[: len(lows_ahead)]
    start = int(falls.argmax())
    bottom = start + 1 + int(low[start + 1 : start + horizon_hours].argmin())
    return HistoricalFall(
        underlying=underlying,
        fraction=Decimal(str(round(float(falls[start]), 4))),
        peak_hour=series.mark[start].open_time,
        low_hour=series.mark[bottom].open_time,
        horizon_days=horizon_hours // 24,
    )
