"""Reports a reader can understand (issue 16): the charts and markdown name the liquidated runs
and when, the frontier's labels do not overlap, and every PNG written opens."""

from __future__ import annotations

import dataclasses
import itertools
from decimal import Decimal
from pathlib import Path

import matplotlib.pyplot as plt
import pytest
from PIL import Image
from rich.console import Console

from bot.config.models import NoHedgePolicyConfig, RatioPolicyConfig
from bot.sim import plot_backtest, plot_rolling, plots, rolling
from bot.sim.backtest_params import BacktestParams, BacktestResult
from bot.sim.candles import cached_rolling
from bot.sim.label_place import place
from bot.sim.montecarlo import run_monte_carlo
from bot.sim.report import run_backtest
from bot.sim.run_words import at_hour, bar_times, stamp
from tests.sim.conftest import article_params

H90 = 90 * 24


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


def test_frontier_numbers_do_not_overlap_and_the_key_names_every_run(tmp_path: Path) -> None:
    params = dataclasses.replace(article_params(), n_paths=200, horizon_hours=48)
    outcomes = run_monte_carlo(params).outcomes
    path = plots.frontier(outcomes, params.protect.reserve_usd, tmp_path / "frontier.png")
    _opens_as_png(path)
    fig = plots.frontier_figure(outcomes, params.protect.reserve_usd)
    fig.canvas.draw()
    panels = [ax for ax in fig.axes if ax.texts]
    assert len(panels) == 2  # P(liquidation) vs cost, net vs cash
    for ax in panels:
        boxes = [t.get_window_extent() for t in ax.texts]
        assert [t.get_text() for t in ax.texts] == [str(k + 1) for k in range(len(outcomes))]
        for a, b in itertools.combinations(boxes, 2):
            assert not a.overlaps(b)
    (key,) = fig.legends
    assert [t.get_text() for t in key.get_texts()] == [
        f"{k + 1}  {o.policy} / {o.mode}" for k, o in enumerate(outcomes)
    ]
    assert "net vs no hedge, hold" in panels[1].get_ylabel()
    plt.close(fig)


def test_labels_at_one_point_fan_out_without_touching() -> None:
    spots = place([(100.0, 100.0)] * 6, [(12.0, 10.0)] * 6)
    boxes = [s.box for s in spots]
    for a, b in itertools.combinations(boxes, 2):
        assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
    for x0, y0, x1, y1 in boxes:  # none covers the marker
        assert x1 <= 96 or x0 >= 104 or y1 <= 96 or y0 >= 104


def test_rolling_report_names_the_liquidated_starts_with_their_dates(tmp_path: Path) -> None:
    params = rolling.protection(
        BacktestParams(), RatioPolicyConfig(kind="ratio", r=Decimal("0.5")), repay=True
    )
    full = cached_rolling("BTCUSDT")
    at = {b.open_time[:10]: i for i, b in enumerate(full.perp) if b.open_time[8:] == "01T00:00:00Z"}
    pairs = [
        rolling.run_pair(rolling.cut(full, at[d], H90), params, d)
        for d in ("2020-02-01", "2023-06-01")
    ]
    windows = rolling.window_pairs(params, ("2020-03",))
    md = rolling.rolling_markdown("title", pairs, windows, H90, "x.png")
    assert "**2 90-day starts: the loan was liquidated in 1 doing nothing and in 0 protected" in md
    crash = next(line for line in md.splitlines() if line.startswith("- 2020-02-01: "))
    assert "doing nothing: LIQUIDATED" in crash
    assert "(first at 2020-03-12 " in crash
    assert "protected: no liquidation" in crash
    assert "- 2023-06-01:" not in md  # quiet starts stay in the table only
    assert "| 2023-06-01 |" in md
    assert "**1 crash window: the loan was liquidated in 1 doing nothing" in md
    assert md.index("**2 90-day starts") < md.index("| run | starts |")

    png = plot_rolling.rolling_png(pairs, windows, "title", tmp_path / "rolling.png")
    _opens_as_png(png)
    fig = plot_rolling.rolling_figure(pairs, windows, "title")
    starts = next(ax for ax in fig.axes if "rolling starts" in ax.get_title())
    ticks = {t.get_text(): t.get_color() for t in starts.get_yticklabels()}
    plt.close(fig)
    assert ticks["2020-02-01"] == "red"  # the liquidated start stands out
    assert ticks["2023-06-01"] != "red"
