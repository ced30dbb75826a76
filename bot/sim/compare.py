"""``hedgebot backtest --rolling 90d --compare``: candidate strategies over every rolling start
and crash window of every shipped underlying, in one table: the trade-offs a default is chosen
from (issue 16's targets: 0 loan and 0 short liquidations, frictions <= 1 %/yr, net vs doing
nothing >= +4 %/yr, cash <= 20 % of collateral).

A candidate is a hedge policy, whether the guard repays, and the cash put in: the reserve and
the starting margin as shares of the collateral. Each runs on the configured loan (LT, bonus,
start HF, fees, leverage) per underlying, against doing nothing on the same prices.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bot.config.models import (
    HealthTargetPolicyConfig,
    LadderPolicyConfig,
    NoHedgePolicyConfig,
    PolicyConfig,
    RatioPolicyConfig,
)
from bot.core.reserve import WORST_90D_FALLS, reserve_fraction_for_fall
from bot.sim.backtest_params import BacktestParams
from bot.sim.candles import cached_rolling
from bot.sim.rolling import (
    Pair,
    frictions_pct,
    net_pooled_pct,
    protection,
    rolling_pairs,
    window_pairs,
)

D = Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class Candidate:
    label: str
    policy: PolicyConfig
    repay: bool = True
    # Of the collateral; None: what ``status`` sizes, the underlying's deepest measured fall.
    reserve_pct: Decimal | None
    margin_pct: Decimal | None = None  # None: the margin the first hour's plan asks for

    def params(self, base: BacktestParams) -> BacktestParams:
        c = base.collateral_usd
        margin = None if self.margin_pct is None else c * self.margin_pct / 100
        sized = dataclasses.replace(
            base, reserve_usd=c * self.reserve_share(base), exchange_margin_usd=margin
        )
        return protection(sized, self.policy, self.repay)

    def reserve_share(self, base: BacktestParams) -> Decimal:
        if self.reserve_pct is not None:
            return self.reserve_pct / 100
        fall = WORST_90D_FALLS[base.underlying].fraction
        return reserve_fraction_for_fall(
            liquidation_threshold=base.liquidation_threshold, start_hf=base.start_hf, fall=fall
        )


NONE = NoHedgePolicyConfig(kind="none")
CANDIDATES: tuple[Candidate, ...] = (
    *(
        Candidate(label=f"repay only, reserve {pct} %", policy=NONE, reserve_pct=D(pct))
        for pct in (15, 20, 25, 30, 35)
    ),
    Candidate(
        label="repay only, reserve for the worst measured fall (the default: status's size)",
        policy=NONE,
        reserve_pct=None,
    ),
    Candidate(
        label="ratio 0.5 + reserve 15 %",
        policy=RatioPolicyConfig(kind="ratio", r=D("0.5")),
        reserve_pct=D(15),
    ),
    Candidate(
        label="health_target 1.5 + reserve 15 %",
        policy=HealthTargetPolicyConfig(kind="health_target"),
        reserve_pct=D(15),
    ),
    Candidate(
        label="ladder 0-0.8 (HF 1.4 -> 1.15) + reserve 15 % + margin 10 %",
        policy=LadderPolicyConfig(
            kind="ladder", r_min=D(0), r_max=D("0.8"), hf_high=D("1.4"), hf_low=D("1.15")
        ),
        reserve_pct=D(15),
        margin_pct=D(10),
    ),
)

COLUMNS = (
    "candidate", "runs", "loan liq. (starts / windows)", "short liq. (starts / windows)",
    "frictions %/yr", "net vs nothing %/yr pooled (starts / windows)", "net median %/yr",
    "cash in % (median)", "collateral sold % (worst)",
)  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    candidate: Candidate
    starts: tuple[Pair, ...]  # every underlying's
    windows: tuple[Pair, ...]

    def row(self) -> list[str]:
        runs = (*self.starts, *self.windows)

        def count(pairs: Sequence[Pair], hit: Callable[[Pair], int]) -> int:
            return sum(1 for p in pairs if hit(p))

        def liq(p: Pair) -> int:
            return p.protected.liquidations

        def short(p: Pair) -> int:
            return p.protected.hedge_liquidations

        return [
            self.candidate.label,
            str(len(runs)),
            f"{count(self.starts, liq)} / {count(self.windows, liq)}",
            f"{count(self.starts, short)} / {count(self.windows, short)}",
            f"{frictions_pct(runs):,.1f}",
            f"{_pooled(self.starts)} / {_pooled(self.windows)}",
            f"{statistics.median(p.net_pct_year for p in self.starts):+,.1f}",
            f"{statistics.median(p.cash_in_pct for p in runs):,.1f}",
            f"{max(Pair.sold_pct(p.protected) for p in runs):,.1f}",
        ]


def _pooled(pairs: Sequence[Pair]) -> str:
    return f"{net_pooled_pct(pairs):+,.1f}" if pairs else "-"


def nothing_row(outcome: Outcome) -> list[str]:
    """Doing nothing, from any candidate's pairs (the same runs in every pair)."""
    runs = (*outcome.starts, *outcome.windows)
    liq = [p for p in outcome.starts if p.nothing.liquidations]
    won = [p for p in outcome.windows if p.nothing.liquidations]
    worst = max(Pair.sold_pct(p.nothing) for p in runs)
    return ["doing nothing", str(len(runs)), f"{len(liq)} / {len(won)}", "-", "0.0", "0", "0",
            "0", f"{worst:,.1f}"]  # fmt: skip


def compare(
    bases: Mapping[str, BacktestParams],
    horizon_hours: int,
    candidates: Sequence[Candidate] = CANDIDATES,
    *,
    windows: bool = True,
    progress: Callable[[int], None] | None = None,
) -> list[Outcome]:
    """``bases``: the configured loan per underlying (``backtest_params``)."""
    out = []
    for cand in candidates:
        starts: list[Pair] = []
        wins: list[Pair] = []
        for base in bases.values():
            params = cand.params(base)
            full = cached_rolling(params.symbol)
            starts += rolling_pairs(params, horizon_hours, series=full, progress=progress)
            if windows:
                wins += window_pairs(params, progress=progress)
        out.append(Outcome(candidate=cand, starts=tuple(starts), windows=tuple(wins)))
    return out


def run_compare(
    bases: Mapping[str, BacktestParams], horizon_hours: int, out_dir: Path, console: Console
) -> list[Outcome]:
    """Every candidate on every underlying in ``bases``: print one table, write it as
    markdown."""
    from bot.sim.report import _md_table, _progress

    start_hf = next(iter(bases.values())).start_hf
    with _progress(console) as bar:
        task = bar.add_task(f"{len(CANDIDATES)} candidates x {', '.join(bases)}", total=None)
        outcomes = compare(bases, horizon_hours, progress=lambda n: bar.advance(task, n))
    body = [nothing_row(outcomes[0]), *(o.row() for o in outcomes)]
    title = (
        f"candidates at HF {start_hf}, {horizon_hours / 24:g}-day starts on every month's 1st "
        f"and the crash windows, {', '.join(bases)}"
    )
    table = Table(title=title)
    for c in COLUMNS:
        table.add_column(c, justify="left" if c == "candidate" else "right")
    for r in body:
        table.add_row(*r)
    console.print(table)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"compare_{horizon_hours / 24:g}d_hf{start_hf}.md"
    path.write_text(
        f"# hedgebot backtest --rolling {horizon_hours / 24:g}d --compare\n\n{title}.\n\n"
        + _md_table(COLUMNS, body)
        + "\nCash in: reserve + starting margin, % of collateral. Net pooled: protected PnL "
        "minus doing nothing's over all runs' hours, %/yr of collateral. Frictions: fees + "
        "slippage + withdrawal fees + gas - funding received, %/yr.\n"
    )
    console.print(f"report written to {path}")
    return outcomes
