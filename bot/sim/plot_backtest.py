"""The backtest chart: small multiples, one health-factor panel and one money strip per policy
and mode, under the window's price, every panel on the same dates.

A reader must tell at a glance which runs were liquidated and when: the panel title says it,
red X mark each liquidationCall and the health factor after the first one is drawn grey and
dashed on a red background (a liquidated loan is smaller, its HF rises: not a recovery).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from bot.sim.backtest_params import BacktestResult, BacktestRun
from bot.sim.run_words import Times, at_hour, bar_times, loan_status, short_status

HF_TOP = 3.0  # above this the HF line is cut; the loan is far from liquidation anyway
COLOURS = {
    "hf": "tab:blue",
    "after": "0.45",
    "trigger": "darkorange",
    "hf1": "red",
    "liq": "red",
    "short_liq": "purple",
    "repay": "tab:green",
    "withdraw": "tab:olive",
    "deposit": "tab:cyan",
    "short": "tab:brown",
    "reserve": "teal",
}
MOVE_MARKERS = {"repay": "^", "withdraw": "v", "deposit": "^"}
NCOLS = 2


def date_ticks(ax: Axes, maxticks: int) -> None:
    """Month names and days on the shared date axis (matplotlib.dates has no type hints)."""
    locator = mdates.AutoDateLocator(maxticks=maxticks)  # type: ignore[no-untyped-call]
    formatter = mdates.ConciseDateFormatter(locator)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(formatter)


def _vline(ax: Axes, at: np.datetime64, colour: str, style: str, lw: float) -> None:
    ax.vlines([at], 0, 1, transform=ax.get_xaxis_transform(), colors=colour, ls=style, lw=lw)


def _segments(mask: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
    """(start, end) index pairs, end exclusive, of each run of True."""
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))


def _hf_line(ax: Axes, t: Times, hf: npt.NDArray[np.float64], colour: str, style: str) -> None:
    """Plot under HF_TOP; where the HF is above, a dotted line on the top edge with a ^ where
    it leaves, so a cut line never reads as a fall or a recovery."""
    ax.plot(t, np.where(hf > HF_TOP, np.nan, hf), style, color=colour, lw=0.9)
    for a, b in _segments(np.nan_to_num(hf, nan=0.0) > HF_TOP):
        ax.plot(t[a:b], np.full(b - a, HF_TOP), ":", color=colour, lw=1.2)
        ax.plot(t[a], HF_TOP, "^", color=colour, ms=5, clip_on=False)


def _hf_lines(ax: Axes, run: BacktestRun, t: Times) -> None:
    """Blue up to the first liquidation; after it grey, dashed, on red, with words saying the
    rise that follows is a smaller loan's HF."""
    hf = np.asarray(run.series.hf, dtype=float)
    first = run.events[0].hour if run.events else len(hf)
    before, after = hf.copy(), hf.copy()
    before[first + 1 :] = np.nan
    after[: first + 1] = np.nan
    _hf_line(ax, t, before, COLOURS["hf"], "-")
    if not run.events:
        return
    ax.axvspan(t[first], t[-1], color=COLOURS["liq"], alpha=0.08, lw=0)
    _hf_line(ax, t, after, COLOURS["after"], "--")
    late = first > 0.6 * len(hf)
    ax.annotate(
        "after the liquidation: HF of the smaller loan left, not a recovery",
        (t[first], 0.2),  # under HF 1, where the line rarely goes
        xycoords=("data", "axes fraction"),
        xytext=(-6 if late else 6, 0),
        textcoords="offset points",
        ha="right" if late else "left",
        fontsize=8,
        fontstyle="italic",
        color=COLOURS["liq"],
    )


def _hf_panel(ax: Axes, run: BacktestRun, t: Times, trigger_hf: float) -> None:
    _hf_lines(ax, run, t)
    for e in run.events:
        te = at_hour(t, e.hour)
        _vline(ax, te, COLOURS["liq"], "-", 0.7)
        ax.plot(te, float(e.health_factor), "X", color=COLOURS["liq"], ms=9, mec="white", mew=0.6)
    for h in run.hedge_liquidation_hours:
        _vline(ax, at_hour(t, h), COLOURS["short_liq"], "--", 1.0)
    ax.axhline(1.0, color=COLOURS["hf1"], lw=1.0)
    ax.axhline(trigger_hf, color=COLOURS["trigger"], lw=0.9, ls="--")
    _rug(ax, t, [m for m in run.moves if m[1] == "repay"], 0.06)
    ax.set_ylim(0, HF_TOP * 1.06)
    ax.set_ylabel("health factor", fontsize=8)
    ax.tick_params(labelbottom=False, labelsize=7)
    liquidated = bool(run.events)
    short = short_status(run, t)
    ax.set_title(
        f"{run.policy} / {run.mode}: {loan_status(run, t)}" + (f"\n{short}" if short else ""),
        loc="left",
        fontsize=10,
        color=COLOURS["liq"] if liquidated else "black",
        fontweight="bold" if liquidated else "normal",
    )


def _rug(ax: Axes, t: Times, moves: Sequence[tuple[float, str, object]], y: float) -> None:
    """Triangles along the panel's bottom edge at each move (y in axes fractions)."""
    for kind in ("repay", "withdraw", "deposit"):
        at = [at_hour(t, h) for h, k, _ in moves if k == kind]
        if at:
            ax.plot(
                at,
                np.full(len(at), y),
                MOVE_MARKERS[kind],
                color=COLOURS[kind],
                ms=5,
                transform=ax.get_xaxis_transform(),
                linestyle="none",
            )


def _money_panel(ax: Axes, run: BacktestRun, t: Times) -> None:
    short = np.asarray(run.series.hedge_usd) / 1000
    ax.plot(t, short, color=COLOURS["short"], lw=0.9)
    ax.plot(t, np.asarray(run.series.reserve_usd) / 1000, color=COLOURS["reserve"], lw=0.9)
    for h in run.hedge_liquidation_hours:
        # The tape records closes: the short's size the hour before it was taken.
        y = short[max(h - 1, 0)]
        _vline(ax, at_hour(t, h), COLOURS["short_liq"], "--", 1.0)
        ax.plot(at_hour(t, h), y, "D", color=COLOURS["short_liq"], ms=7, mec="white")
    _rug(ax, t, [m for m in run.moves if m[1] != "repay"], 0.1)
    ax.set_ylim(bottom=-0.05 * max(float(np.max(short, initial=0.0)), 1.0))
    ax.set_ylabel("$k", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.xaxis.offsetText.set_visible(False)  # the figure's title says the dates' year
    ax.grid(axis="x", alpha=0.3)


def _legend(fig: Figure, trigger_hf: float) -> None:
    def line(colour: str, style: str = "-", marker: str = "", lw: float = 1.2) -> Line2D:
        return Line2D([], [], color=colour, ls=style, marker=marker, lw=lw, ms=7)

    entries = [
        (line(COLOURS["hf"]), "health factor"),
        (line(COLOURS["hf"], ":", "^"), f"HF above {HF_TOP:g} (off scale)"),
        (line(COLOURS["hf1"]), "HF 1: liquidation"),
        (line(COLOURS["trigger"], "--"), f"repay trigger {trigger_hf:g}"),
        (line(COLOURS["liq"], "none", "X"), "loan liquidation"),
        (line(COLOURS["after"], "--"), "HF after the first liquidation (smaller loan)"),
        (Patch(color=COLOURS["liq"], alpha=0.15), "loan liquidated"),
        (line(COLOURS["short_liq"], "--", "D"), "short liquidated"),
        (line(COLOURS["repay"], "none", "^"), "repay from reserve"),
        (line(COLOURS["withdraw"], "none", "v"), "withdraw exchange → reserve"),
        (line(COLOURS["deposit"], "none", "^"), "deposit reserve → exchange"),
        (line(COLOURS["short"]), "short notional"),
        (line(COLOURS["reserve"]), "reserve wallet"),
    ]
    handles, labels = zip(*entries, strict=True)
    fig.legend(handles, labels, loc="outside upper center", ncol=7, fontsize=8, frameon=False)


def backtest_figure(result: BacktestResult, trigger_hf: float) -> Figure:
    """The window's price on top; under it, per run, its HF panel and a money strip."""
    runs = result.runs
    ncols = min(NCOLS, len(runs))
    rows = -(-len(runs) // ncols)
    fig = plt.figure(figsize=(8 * ncols, 3.2 + 2.9 * rows), layout="constrained")
    grid = fig.add_gridspec(1 + 2 * rows, ncols, height_ratios=[2.0] + [2.0, 0.75] * rows)
    t = bar_times(runs[0].series)
    price = fig.add_subplot(grid[0, :])
    price.plot(t, runs[0].series.price, color="black", lw=0.8)
    price.set_ylabel(f"{result.symbol} mark", fontsize=8)
    price.set_title(
        f"Backtest {result.window} {result.symbol}, {str(t[0])[:10]} to {str(t[-1])[:10]} "
        f"(UTC): {len(runs)} runs, {sum(1 for r in runs if r.events)} with the loan liquidated",
        fontsize=12,
    )
    price.grid(alpha=0.3)
    price.xaxis.offsetText.set_visible(False)  # the title says the dates
    date_ticks(price, 10)
    for k, run in enumerate(runs):
        r, c = divmod(k, ncols)
        hf_ax = fig.add_subplot(grid[1 + 2 * r, c], sharex=price)
        _hf_panel(hf_ax, run, t, trigger_hf)
        _money_panel(fig.add_subplot(grid[2 + 2 * r, c], sharex=price), run, t)
    _legend(fig, trigger_hf)
    return fig


def backtest_panels(result: BacktestResult, trigger_hf: float, path: Path) -> Path:
    fig = backtest_figure(result, trigger_hf)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
