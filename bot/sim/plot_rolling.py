"""The rolling chart (``hedgebot backtest --rolling 90d``): what the protection netted per start,
and a timeline, one row per start and per crash window, marking when each run's loan (doing
nothing, protected) and short were liquidated: a reader sees which starts lost collateral and
to which crash."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from bot.sim.plot_backtest import COLOURS, date_ticks
from bot.sim.run_words import at_hour, bar_times

if TYPE_CHECKING:  # rolling draws this chart: a run-time import would be circular
    from bot.sim.rolling import Pair

NOTHING_LIQ = "black"
ROW_INCHES = 0.15  # one timeline row: room for a 7 pt start date


def _timeline(ax: Axes, pairs: Sequence[Pair]) -> None:
    """Row k: pair k's hours as a grey bar; x doing nothing's loan liquidations, red X the
    protected loan's, purple diamonds its short's."""
    for k, p in enumerate(pairs):
        t = bar_times(p.protected.series)
        hit = bool(p.nothing.events or p.protected.events)
        ax.hlines(k, t[0], t[-1], color=COLOURS["liq"] if hit else "0.6", lw=3, alpha=0.25)
        marks = (
            ([e.hour for e in p.nothing.events], "x", NOTHING_LIQ, 6),
            ([e.hour for e in p.protected.events], "X", COLOURS["liq"], 9),
            (list(p.protected.hedge_liquidation_hours), "D", COLOURS["short_liq"], 6),
        )
        for hours, marker, colour, size in marks:
            if hours:
                at = [at_hour(t, h) for h in hours]
                ax.plot(at, np.full(len(at), k), marker, color=colour, ms=size, ls="none")
    ax.set_yticks(range(len(pairs)), [p.label for p in pairs], fontsize=7)
    for tick, p in zip(ax.get_yticklabels(), pairs, strict=True):
        if p.nothing.events or p.protected.events:
            tick.set_color(COLOURS["liq"])
            tick.set_fontweight("bold")
        elif p.protected.hedge_liquidation_hours:
            tick.set_color(COLOURS["short_liq"])
    ax.set_ylim(len(pairs) - 0.5, -0.5)  # first start on top, like the markdown table
    ax.grid(axis="x", alpha=0.3)
    ax.tick_params(labelbottom=False)


def _net_bars(ax: Axes, pairs: Sequence[Pair]) -> None:
    starts = [bar_times(p.protected.series)[0] for p in pairs]
    net = [float(p.net_pct_year) for p in pairs]
    colours = [
        COLOURS["liq"] if p.protected.events else "tab:green" if n >= 0 else "0.55"
        for p, n in zip(pairs, net, strict=True)
    ]
    ax.bar(starts, net, width=np.timedelta64(20, "D"), color=colours, align="edge")
    ax.axhline(0, color="black", lw=0.8)
    ax.set_ylabel("net vs nothing, %/yr\nof collateral", fontsize=8)
    ax.grid(alpha=0.3)
    ax.tick_params(labelbottom=False, labelsize=7)


def _legend(fig: Figure) -> None:
    entries = [
        (
            Line2D([], [], color=NOTHING_LIQ, marker="x", ls="none"),
            "doing nothing: loan liquidated",
        ),
        (
            Line2D([], [], color=COLOURS["liq"], marker="X", ls="none", ms=8),
            "protected: loan liquidated",
        ),
        (
            Line2D([], [], color=COLOURS["short_liq"], marker="D", ls="none"),
            "protected: short liquidated",
        ),
        (Line2D([], [], color=COLOURS["liq"], lw=4, alpha=0.25), "a run with a loan liquidation"),
        (Line2D([], [], color="0.6", lw=4, alpha=0.25), "a run without"),
        (Patch(color="tab:green"), "protection netted more"),
        (Patch(color="0.55"), "protection cost more"),
    ]
    handles, labels = zip(*entries, strict=True)
    fig.legend(handles, labels, loc="outside upper center", ncol=4, fontsize=8, frameon=False)


def rolling_figure(rolling: Sequence[Pair], windows: Sequence[Pair], title: str) -> Figure:
    """Net per start on top; the rolling starts' timeline; the crash windows' under it."""
    heights = [2.2, max(len(rolling), 1) * ROW_INCHES, max(len(windows), 1) * ROW_INCHES + 0.3]
    fig = plt.figure(figsize=(14, sum(heights) + 1.6), layout="constrained")
    net, starts, crashes = fig.subplots(3, 1, sharex=True, height_ratios=heights)
    _net_bars(net, rolling)
    net.set_title(title, fontsize=10)
    _timeline(starts, rolling)
    starts.set_title(
        f"{len(rolling)} rolling starts, marks at the hour it happened: loan liquidated in "
        f"{sum(1 for p in rolling if p.nothing.events)} doing nothing, "
        f"{sum(1 for p in rolling if p.protected.events)} protected (red dates); the short "
        f"in {sum(1 for p in rolling if p.protected.hedge_liquidation_hours)} (purple ◆)",
        fontsize=9,
    )
    _timeline(crashes, windows)
    crashes.set_title("shipped crash windows, same marks", fontsize=9)
    crashes.tick_params(labelbottom=True, labelsize=8)
    date_ticks(crashes, 16)
    _legend(fig)
    return fig


def rolling_png(rolling: Sequence[Pair], windows: Sequence[Pair], title: str, path: Path) -> Path:
    fig = rolling_figure(rolling, windows, title)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
