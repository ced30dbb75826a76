"""PNG plots for the Monte Carlo report (matplotlib, Agg backend: no display); the backtest's
are in ``plot_backtest``."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from bot.sim.label_place import place
from bot.sim.metrics import PolicyOutcome


def sample_paths(outcomes: Sequence[PolicyOutcome], trigger_hf: float, path: Path) -> Path:
    """Price and HF of the first sample paths: unhedged hold (solid) against the first hedged
    repay run (dashed), same paths."""
    fig, axes = plt.subplots(2, 1, figsize=(10, 7), sharex=True)
    base = outcomes[0]
    other = next((o for o in outcomes if o.mode == "repay" and o.policy != "none"), outcomes[-1])
    hours = np.arange(base.samples.price.shape[0])
    axes[0].plot(hours, base.samples.price, lw=0.7)
    axes[0].set_ylabel("price (first asset), USD")
    axes[0].set_title("Sample paths")
    for o, style in ((base, "-"), (other, "--")):
        axes[1].set_prop_cycle(None)
        axes[1].plot(hours, np.minimum(o.samples.hf, 3.0), style, lw=0.7)
    axes[1].axhline(1.0, color="red", lw=1.2, label="HF 1 (liquidation)")
    axes[1].axhline(trigger_hf, color="orange", lw=1.0, label=f"trigger {trigger_hf:g}")
    axes[1].set_ylabel("health factor")
    axes[1].set_xlabel("hour")
    axes[1].legend(loc="upper right", fontsize=8)
    axes[1].set_title(
        f"HF: solid = {base.policy}/{base.mode}, dashed = {other.policy}/{other.mode}"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def equity_distributions(outcomes: Sequence[PolicyOutcome], path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(10, 6))
    all_pnl = np.concatenate([o.final_pnl for o in outcomes])
    lo, hi = np.quantile(all_pnl, [0.005, 0.995])
    bins = [float(b) for b in np.linspace(lo, hi, 80)]
    for o in outcomes:
        ax.hist(o.final_pnl, bins=bins, histtype="step", lw=1.0, label=f"{o.policy} / {o.mode}")
    ax.set_xlabel("final wealth minus initial wealth, USD")
    ax.set_ylabel("paths")
    ax.set_title("Final equity distribution per policy and mode")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


FONT = 9  # frontier numbers, points
MODE_MARKERS = {"hold": "o", "repay": "s"}


def _frontier_xy(
    outcomes: Sequence[PolicyOutcome], reserve_usd: float
) -> tuple[list[tuple[float, float]], list[tuple[float, float]], str]:
    """(hedge cost, P(liq)) and (cash set aside, net) per outcome, and what net is against.
    Cash: PolicyOutcome has no cash figure, so the mean outside margin put on the exchange
    plus, in repay mode, the reserve the guard spends from (hold never touches it)."""
    base = next((o for o in outcomes if o.policy == "none" and o.mode == "hold"), None)
    ref = base.pnl_mean_usd if base is not None else 0.0
    cost = [(o.hedge_cost_usd, o.p_defi_liquidation) for o in outcomes]
    cash = [
        (o.hedge_capital_usd + (reserve_usd if o.mode == "repay" else 0.0), o.pnl_mean_usd - ref)
        for o in outcomes
    ]
    return cost, cash, "no hedge, hold" if base is not None else "nothing (raw PnL)"


def _numbered(ax: Axes, xy: Sequence[tuple[float, float]], colours: Sequence[str]) -> None:
    """Each point's number beside it, none over another number or a point: a reader looks
    the number up in the key instead of untangling overlapping names."""
    ax.margins(0.15)
    ax.autoscale_view()
    ax.set_xlim(ax.get_xlim())  # freeze: the placement is computed in page units
    ax.set_ylim(ax.get_ylim())
    to_pt = 72 / ax.figure.dpi
    pts = [(float(px) * to_pt, float(py) * to_pt) for px, py in ax.transData.transform(xy)]
    sizes = [(0.62 * FONT * len(str(k + 1)) + 2, FONT + 2.0) for k in range(len(xy))]
    for k, (p, spot) in enumerate(zip(xy, place(pts, sizes, marker_radius=6.0), strict=True)):
        far = math.hypot(spot.dx, spot.dy) > 16
        ax.annotate(
            str(k + 1),
            p,
            xytext=(spot.dx, spot.dy),
            textcoords="offset points",
            ha="center",
            va="center",
            fontsize=FONT,
            fontweight="bold",
            color=colours[k],
            arrowprops={"arrowstyle": "-", "color": colours[k], "lw": 0.6} if far else None,
        )


def frontier_figure(outcomes: Sequence[PolicyOutcome], reserve_usd: float) -> Figure:
    """Left: protection against cost. Right: what the protection nets against the cash it ties
    up. Points are numbered; the key under the panels names them."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(15, 8))
    # Fixed margins, not a layout engine: the labels are placed before drawing, in page units.
    fig.subplots_adjust(left=0.07, right=0.98, top=0.9, bottom=0.24, wspace=0.25)
    cmap = plt.get_cmap("tab10")
    policies = list(dict.fromkeys(o.policy for o in outcomes))
    colours = [matplotlib.colors.to_hex(cmap(policies.index(o.policy) % 10)) for o in outcomes]
    cost, cash, against = _frontier_xy(outcomes, reserve_usd)
    for ax, xy in ((left, cost), (right, cash)):
        for k, o in enumerate(outcomes):
            ax.plot(*xy[k], MODE_MARKERS.get(o.mode, "D"), color=colours[k], ms=8, mec="black")
        ax.grid(alpha=0.3)
    for k, o in enumerate(outcomes):
        left.errorbar(*cost[k], yerr=o.p_defi_liquidation_se, color=colours[k], alpha=0.5)
    _numbered(left, cost, colours)
    _numbered(right, cash, colours)
    left.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    left.set_xlabel(
        "expected hedge cost, USD (fees + slippage - funding received; negative: funding paid it)"
    )
    left.set_ylabel("P(loan liquidated), bars ± 1 standard error")
    left.set_title("Protection vs cost: lower left is better")
    right.set_xlabel("cash set aside, USD: exchange margin (mean) + the reserve in repay mode")
    right.set_ylabel(f"net vs {against}: mean PnL difference, USD")
    right.set_title("Net vs cash: upper left is better")
    handles = [
        Line2D(
            [], [], ls="none", marker=MODE_MARKERS.get(o.mode, "D"), color=colours[k], mec="black"
        )
        for k, o in enumerate(outcomes)
    ]
    labels = [f"{k + 1}  {o.policy} / {o.mode}" for k, o in enumerate(outcomes)]
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=9, title="key")
    fig.suptitle(f"Monte Carlo frontier, {outcomes[0].n_paths} paths", fontsize=12)
    return fig


def frontier(outcomes: Sequence[PolicyOutcome], reserve_usd: float, path: Path) -> Path:
    fig = frontier_figure(outcomes, reserve_usd)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
