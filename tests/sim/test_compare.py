"""``hedgebot backtest --rolling 90d --compare``: candidates side by side on the same starts."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app
from bot.config.loader import load_config
from bot.sim import compare, rolling
from bot.sim.from_config import backtest_params

CONFIG = Path(__file__).resolve().parents[2] / "config" / "demo.yaml"
H90 = 90 * 24


def test_a_bigger_reserve_saves_the_starts_a_smaller_one_loses() -> None:
    base = backtest_params(load_config(CONFIG), underlying="BTC")
    small, big = (
        compare.Candidate(label=f"repay {pct}", policy=compare.NONE, reserve_pct=Decimal(pct))
        for pct in (15, 35)
    )
    lean, ample = compare.compare({"BTC": base}, H90, [small, big], windows=False)
    assert len(lean.starts) == len(ample.starts) == 74
    lost = {p.label for p in lean.starts if p.protected.liquidations}
    assert lost  # 15 % of collateral does not see BTC's 2020 and 2022 falls through
    assert not any(p.protected.liquidations for p in ample.starts)
    # The cash column is the reserve put in; doing nothing is the same runs in both.
    assert lean.row()[7] == "15.0"
    assert ample.row()[7] == "35.0"
    assert compare.nothing_row(lean) == compare.nothing_row(ample)
    assert ample.row()[2] == "0 / 0"
    assert lean.row()[2] == f"{len(lost)} / 0"


def test_pooled_figures_weigh_each_run_by_its_collateral_and_hours() -> None:
    base = backtest_params(load_config(CONFIG), underlying="BTC")
    (pair,) = rolling.rolling_pairs(
        rolling.protection(base, compare.NONE, repay=True),
        H90,
        series=rolling.cut(rolling.cached_rolling("BTCUSDT"), 0, H90 + 1),
    )
    half = dataclasses.replace(pair, collateral_usd=pair.collateral_usd / 2)
    net = pair.protected.pnl_usd - pair.nothing.pnl_usd
    # The same dollars over 1.5 x the collateral-hours.
    expected = 2 * net / (Decimal("1.5") * pair.collateral_usd * H90) * 8760 * 100
    assert rolling.net_pooled_pct([pair, half]) == expected


def test_compare_needs_rolling() -> None:
    result = CliRunner().invoke(app, ["backtest", "--config", str(CONFIG), "--compare"])
    assert result.exit_code == 2
    assert "--compare needs --rolling" in result.output


def test_the_default_reserve_sized_for_the_worst_fall_loses_no_start() -> None:
    """``status``'s size (the deepest measured 90-day fall, BTC -63.63 %) is the default's
    reserve: at the demo's HF 1.5 and BTC's LT 0.78 that is 0.78 x (1/1.5 - 0.3637) of the
    collateral, and no BTC start is liquidated with it."""
    base = backtest_params(load_config(CONFIG), underlying="BTC")
    (default,) = (c for c in compare.CANDIDATES if c.reserve_pct is None)
    share = default.reserve_share(base)
    assert share == Decimal("0.78") * (1 / Decimal("1.5") - Decimal("0.3637"))
    (outcome,) = compare.compare({"BTC": base}, H90, [default], windows=False)
    assert outcome.row()[2] == "0 / 0"
    assert outcome.row()[7] == f"{share * 100:,.1f}"
