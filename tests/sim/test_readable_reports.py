"""Reports a reader can understand (issue 16): the charts and markdown name the liquidated runs
and when, and every PNG written opens."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path

import matplotlib.pyplot as plt
import pytest
from PIL import Image
from rich.console import Console

from bot.config.models import NoHedgePolicyConfig, RatioPolicyConfig
from bot.sim import plot_backtest
from bot.sim.backtest_params import BacktestParams, BacktestResult
from bot.sim.report import run_backtest
from bot.sim.run_words import at_hour, bar_times, stamp


def _opens_as_png(path: Path) -> tuple[int, int]:
    with Image.open(path) as im:
        assert im.format == "PNG"
        im.verify()
        return im.size


def _titles(fig: plt.Figure) -> list[str]:
    return [t for ax in fig.axes if (t := ax.get_title(loc="left"))]


@pytest.fixture(scope="module")
def march_2020(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BacktestResult]:
    """No hedge and a small hedge, hold and repay, through March 2020: the unhedged loans are
    liquidated on the 12th, the small hedge's short later on."""
    params = dataclasses.replace(
        BacktestParams(),
        policies=(
            NoHedgePolicyConfig(kind="none"),
            RatioPolicyConfig(kind="ratio", r=Decimal("0.25")),
        ),
    )
    out = tmp_path_factory.mktemp("bt")
    return out, run_backtest(params, "2020-03", out, Console(record=True, width=220))


def test_backtest_panels_say_which_runs_were_liquidated_and_when(
    march_2020: tuple[Path, BacktestResult],
) -> None:
    out, result = march_2020
    _opens_as_png(out / "backtest_2020-03.png")
    fig = plot_backtest.backtest_figure(result, 1.3)
    titles = _titles(fig)
    plt.close(fig)
    t = bar_times(result.runs[0].series)
    assert len(titles) == len(result.runs) == 4
    for title, run in zip(titles, result.runs, strict=True):
        assert title.startswith(f"{run.policy} / {run.mode}: ")
        if run.events:
            first = stamp(at_hour(t, run.events[0].hour))
            assert f"LIQUIDATED {run.liquidations}× (first at {first})" in title
        else:
            assert "no liquidation, min HF" in title
        if run.hedge_liquidation_hours:
            assert "short liquidated 1× (first at 2020-" in title
    by_run = dict(zip(((r.policy, r.mode) for r in result.runs), titles, strict=True))
    assert "LIQUIDATED" in by_run[("none", "hold")]
    assert "first at 2020-03-12" in by_run[("none", "hold")]  # Black Thursday
    assert by_run[("ratio r=0.25", "repay")].startswith("ratio r=0.25 / repay: no liquidation")
    assert "\nshort liquidated 1× (first at 2020-04-" in by_run[("ratio r=0.25", "repay")]


def test_backtest_markdown_lists_each_runs_fate_before_the_table(
    march_2020: tuple[Path, BacktestResult],
) -> None:
    out, result = march_2020
    md = (out / "backtest_2020-03.md").read_text()
    hit = sum(1 for r in result.runs if r.events)
    assert f"**Loan liquidated in {hit} of 4 runs; short liquidated in 1.**" in md
    none_hold = next(line for line in md.splitlines() if line.startswith("- none / hold: "))
    assert "LIQUIDATED" in none_hold
    assert "(first at 2020-03-12 " in none_hold
    assert "- ratio r=0.25 / repay: no liquidation, min HF" in md
    assert md.index("- none / hold:") < md.index("| policy | mode |")
