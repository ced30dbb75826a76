"""PNG plots for the Monte Carlo report (matplotlib, Agg backend: no display); the backtest's
are in ``plot_backtest``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

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


def frontier(outcomes: Sequence[PolicyOutcome], path: Path) -> Path:
    """Cost against protection: hedge cost (fees + slippage - funding) vs P(liquidation)."""
    fig, ax = plt.subplots(figsize=(9, 6))
    for mode, marker in (("hold", "o"), ("repay", "s")):
        pts = [o for o in outcomes if o.mode == mode]
        if not pts:
            continue
        ax.scatter(
            [o.hedge_cost_usd for o in pts],
            [o.p_defi_liquidation for o in pts],
            marker=marker,
            label=mode,
        )
        for o in pts:
            ax.annotate(o.policy, (o.hedge_cost_usd, o.p_defi_liquidation), fontsize=7)
    ax.set_xlabel("expected hedge cost, USD (fees + slippage - funding received)")
    ax.set_ylabel("P(DeFi liquidation)")
    ax.set_title("Cost vs protection")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
