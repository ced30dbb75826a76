"""The run as a PNG (matplotlib, Agg): prices, health factors, hedge, repayments over time.

Values are converted to floats here, at the plotting edge only.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display; must precede pyplot

import matplotlib.pyplot as plt

from bot.demo.recorder import EventKind, Recorder

COLORS = {"BTC": "#f7931a", "ETH": "#627eea", "BNB": "#c99400"}


def _f(value: Decimal | None) -> float:
    return float("nan") if value is None or not value.is_finite() else float(value)


def write_chart(
    recorder: Recorder,
    path: Path,
    *,
    title: str,
    trigger_hf: Decimal | None,
    target_hf: Decimal | None,
    phases: tuple[tuple[Decimal, str], ...] = (),
    withdrawals: Sequence[tuple[Decimal, Decimal]] = (),  # (t decided, received) of each one
    oracle_label: str = "Aave oracle",  # the lending protocol's price oracle
) -> Path:
    samples = recorder.samples
    if not samples:
        raise ValueError("no samples recorded: nothing to chart")
    t = [float(s.t) for s in samples]
    underlyings = list(samples[0].marks)
    fig, axes = plt.subplots(
        4, 1, figsize=(12, 12), sharex=True, gridspec_kw={"height_ratios": [3, 3, 2.2, 1.8]}
    )
    ax_price, ax_hf, ax_hedge, ax_repay = axes
    fig.suptitle(title, fontsize=13, fontweight="bold")

    for u in underlyings:
        start = samples[0].marks[u]
        color = COLORS.get(u)
        ax_price.plot(
            t,
            [_f(s.marks[u] / start * 100) for s in samples],
            color=color,
            lw=1.8,
            label=f"{u} exchange mark",
        )
        if u in samples[0].oracle:
            ax_price.step(
                t,
                [_f(s.oracle.get(u, start) / start * 100) for s in samples],
                where="post",
                color=color,
                lw=1.0,
                ls="--",
                alpha=0.8,
                label=f"{u} {oracle_label}",
            )
    ax_price.set_ylabel("price, % of start")
    ax_price.legend(loc="lower left", ncol=3, fontsize=8)
    ax_price.grid(alpha=0.3)
    for n, (start_t, label) in enumerate(phases[1:]):
        ax_price.axvline(float(start_t), color="grey", lw=0.6, alpha=0.5)
        # alternate heights: neighbouring phases can start a few seconds apart
        ax_price.annotate(
            label,
            (float(start_t), 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(2, -4 - 10 * (n % 2)),
            textcoords="offset points",
            fontsize=7,
            color="dimgrey",
            va="top",
        )

    ax_hf.plot(
        t,
        [_f(s.oracle_hf) for s in samples],
        color="black",
        lw=1.8,
        label=f"HF at the {oracle_label}",
    )
    ax_hf.plot(
        t,
        [_f(s.shadow_hf) for s in samples],
        color="tab:purple",
        lw=1.2,
        ls=":",
        label="shadow HF at exchange marks",
    )
    ax_hf.axhline(1.0, color="red", lw=1.2, label="liquidation (HF 1)")
    if trigger_hf is not None:
        ax_hf.axhline(
            float(trigger_hf),
            color="darkorange",
            lw=1,
            ls="--",
            label=f"repay trigger {trigger_hf}",
        )
    if target_hf is not None:
        ax_hf.axhline(
            float(target_hf), color="green", lw=1, ls="--", label=f"repay target {target_hf}"
        )
    for e in recorder.of_kind(EventKind.LIQUIDATION):
        ax_hf.axvline(float(e.t), color="red", lw=2, alpha=0.6)
        ax_hf.annotate(
            "liquidated",
            (float(e.t), 0.02),
            xycoords=("data", "axes fraction"),
            xytext=(3, 0),
            textcoords="offset points",
            color="red",
            fontsize=8,
        )
    for e in recorder.of_kind(EventKind.REPAY):
        ax_hf.axvline(float(e.t), color="green", lw=1, alpha=0.4)
    ax_hf.set_ylabel("health factor")
    ax_hf.legend(loc="lower left", fontsize=8, ncol=2)
    ax_hf.grid(alpha=0.3)

    for u in underlyings:
        color = COLORS.get(u)
        ax_hedge.plot(
            t,
            [_f(s.short_usd.get(u, Decimal(0)) / 1000) for s in samples],
            color=color,
            lw=1.8,
            label=f"{u} short held",
        )
        ax_hedge.plot(
            t,
            [_f(s.target_usd[u] / 1000) if u in s.target_usd else float("nan") for s in samples],
            color=color,
            lw=1,
            ls="--",
            alpha=0.8,
            label=f"{u} target",
        )
    ax_hedge.set_ylabel("short hedge, k$")
    ax_hedge.legend(loc="upper right", fontsize=8, ncol=3)
    ax_hedge.grid(alpha=0.3)

    repays = recorder.of_kind(EventKind.REPAY)
    liqs = recorder.of_kind(EventKind.LIQUIDATION)
    width = max(t[-1] / 120, 0.3)
    if repays:
        ax_repay.bar(
            [float(e.t) for e in repays],
            [_f(e.amount_usd / 1000) for e in repays],
            width=width,
            color="green",
            label="repaid from reserve, k$",
        )
    if withdrawals:
        # At the decision: the tokens arrive seconds later, the journal says "done" only at
        # the capital loop's next pass.
        ax_repay.bar(
            [float(when) for when, _ in withdrawals],
            [_f(received / 1000) for _, received in withdrawals],
            width=width,
            color="tab:blue",
            label="withdrawn from the exchange to the reserve, k$",
        )
    if liqs:
        ax_repay.bar(
            [float(e.t) for e in liqs],
            [_f(e.amount_usd / 1000) for e in liqs],
            width=width,
            color="red",
            label="debt taken by the liquidator, k$",
        )
    ax_reserve = ax_repay.twinx()
    ax_reserve.plot(
        t,
        [_f(s.reserve / 1000) for s in samples],
        color="tab:green",
        lw=1.2,
        ls="-.",
        label="reserve left, k$",
    )
    ax_reserve.set_ylabel("reserve, k$")
    ax_reserve.set_ylim(bottom=0)
    ax_repay.set_ylabel("k$")
    ax_repay.set_xlabel("scenario seconds")
    handles = ax_repay.get_legend_handles_labels()
    more = ax_reserve.get_legend_handles_labels()
    ax_repay.legend(handles[0] + more[0], handles[1] + more[1], loc="upper left", fontsize=8)
    ax_repay.grid(alpha=0.3)
    if not repays and not liqs:
        ax_repay.text(
            0.5,
            0.5,
            "no repayment and no liquidation",
            transform=ax_repay.transAxes,
            ha="center",
            va="center",
            color="grey",
        )

    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


__all__ = ["write_chart"]
