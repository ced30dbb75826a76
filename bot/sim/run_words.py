"""A backtest run's liquidations in the words a reader scans first: the panel titles of the
backtest and rolling charts and the lines of their markdown summaries say the same thing."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import numpy.typing as npt

from bot.sim.backtest_params import BacktestRun, BacktestSeries

Times = npt.NDArray[np.datetime64]


def bar_times(series: BacktestSeries) -> Times:
    """Each hour's open, UTC (the shipped CSVs' ISO times end in Z; datetime64 has no zone)."""
    return np.array([t.removesuffix("Z") for t in series.times], dtype="datetime64[s]")


def at_hour(times: Times, hour: float) -> np.datetime64:
    """Bar index (events) or hours since the first open (moves) -> time."""
    start: np.datetime64 = times[0]
    return start + np.timedelta64(round(hour * 3600), "s")


def stamp(t: np.datetime64) -> str:
    return str(t.astype("datetime64[m]")).replace("T", " ") + " UTC"


def loan_status(run: BacktestRun, times: Times) -> str:
    """``LIQUIDATED 4× (first at 2020-03-12 10:00 UTC)`` or ``no liquidation, min HF 1.34``."""
    if run.events:
        first = at_hour(times, run.events[0].hour)
        return f"LIQUIDATED {len(run.events)}× (first at {stamp(first)})"
    return f"no liquidation, min HF {min(run.min_hf, Decimal(99)):.2f}"


def short_status(run: BacktestRun, times: Times) -> str:
    """``short liquidated 1× (2020-03-12 10:00 UTC)``, or "" when the short never was."""
    hours = run.hedge_liquidation_hours
    if not hours:
        return ""
    return f"short liquidated {len(hours)}× (first at {stamp(at_hour(times, hours[0]))})"


def run_status(run: BacktestRun, times: Times) -> str:
    short = short_status(run, times)
    return loan_status(run, times) + (f"; {short}" if short else "")
