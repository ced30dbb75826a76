"""Rolling starts (``hedgebot backtest --rolling``), the config's LT and bonus, and Aave's close
factor."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from bot.cli import app
from bot.config.loader import load_config
from bot.config.models import RatioPolicyConfig
from bot.sim import rolling
from bot.sim.backtest_params import BacktestParams
from bot.sim.candles import cached_rolling, data_dir, load_window
from bot.sim.from_config import SimulationConfigError, backtest_params
from bot.sim.lending import Collateral, LendingPosition

CONFIG = Path(__file__).resolve().parents[2] / "config"
H90 = 90 * 24
PROTECTED = rolling.protection(
    BacktestParams(), RatioPolicyConfig(kind="ratio", r=Decimal("0.5")), repay=True
)


def _months(first: str, last: str) -> list[str]:
    y, m = int(first[:4]), int(first[5:7])
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}-01T00:00:00Z")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


@pytest.mark.parametrize(
    ("symbol", "first", "last"),
    [("BTCUSDT", "2020-01", "2026-02"), ("BNBUSDT", "2020-03", "2025-12")],
)
def test_rolling_starts_are_every_months_first_day(symbol: str, first: str, last: str) -> None:
    series = cached_rolling(symbol)
    starts = rolling.month_starts(series, H90)
    assert [series.perp[i].open_time for i in starts] == _months(first, last)
    # Every start has its whole horizon, hour after hour, and the next month's would not fit.
    assert all(i + H90 <= len(series.perp) for i in starts)
    nxt = _months(last, "9999-12")[1]
    assert all(b.open_time != nxt for b in series.perp[: len(series.perp) - H90 + 1])


def test_rolling_data_is_the_windows_data_where_they_overlap() -> None:
    full = cached_rolling("BTCUSDT")
    win = load_window("2020-03", "BTCUSDT")
    at = next(i for i, b in enumerate(full.perp) if b.open_time == win.perp[0].open_time)
    part = rolling.cut(full, at, len(win.perp))
    assert [b.close for b in part.perp] == [b.close for b in win.perp]
    assert part.mark == win.mark
    total = sum(p.stat().st_size for p in data_dir().glob("rolling_*.csv.gz"))
    assert total < 4_500_000
    assert "build_rolling.py" in (data_dir() / "PROVENANCE.md").read_text()


def test_a_start_spanning_march_2020_liquidates_doing_nothing_not_the_protected_loan() -> None:
    full = cached_rolling("BTCUSDT")
    at = next(i for i, b in enumerate(full.perp) if b.open_time == "2020-03-01T00:00:00Z")
    pair = rolling.run_pair(rolling.cut(full, at, H90), PROTECTED, "2020-03-01")
    assert pair.hours == H90
    assert pair.nothing.liquidations > 0
    assert rolling.Pair.sold_pct(pair.nothing) > 0
    assert pair.protected.liquidations == 0
    assert rolling.Pair.sold_pct(pair.protected) == 0
    assert pair.net_pct_year > 0  # the bonus paid to liquidators is not paid
    assert rolling.Pair.drawdown_pct(pair.protected) < rolling.Pair.drawdown_pct(pair.nothing)
    row = rolling.row("x", [pair, pair])
    assert row[1:4] == ["2", "2 / 0", str(2 * bool(pair.protected.hedge_liquidations))]
    # Pooled over equal runs, the net is each run's own: hours and dollars add alike.
    assert rolling.net_pooled_pct([pair, pair]) == pair.net_pct_year


def test_horizons_parse() -> None:
    assert rolling.parse_horizon("90d") == 2160
    assert rolling.parse_horizon("12w") == 12 * 168
    assert rolling.parse_horizon("36h") == 36
    for bad in ("90", "0d", "d90", "1y"):
        with pytest.raises(ValueError, match="horizon like 90d"):
            rolling.parse_horizon(bad)


def test_cli_rolling_prints_one_table_with_the_windows(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            *("backtest", "--config", str(CONFIG / "demo.yaml"), "--rolling", "30d"),
            *("--underlying", "BNB", "--out", str(tmp_path)),
        ],
        env={"COLUMNS": "250"},
    )
    assert result.exit_code == 0, result.output
    report = (tmp_path / "rolling_30d_BNBUSDT.md").read_text()
    assert "rolling 30d, every 1st (2020-03..2026-02)" in report
    assert "bonus 10%" in report
    for w in ("2020-03", "2021-05", "2026-02"):
        assert f"window {w}" in report
    assert "| 2020-03-01 |" in report
    assert (tmp_path / "rolling_30d_BNBUSDT.png").read_bytes()[:4] == b"\x89PNG"


# -- the loan from the config ------------------------------------------------------------------


def test_lt_bonus_and_margin_safety_come_from_the_config() -> None:
    cfg = load_config(CONFIG / "demo.yaml")
    bnb = backtest_params(cfg, underlying="BNB")
    assert (bnb.liquidation_threshold, bnb.liquidation_bonus) == (Decimal("0.75"), Decimal("0.10"))
    btc = backtest_params(cfg, underlying="BTC")
    assert (btc.liquidation_threshold, btc.liquidation_bonus) == (Decimal("0.78"), Decimal("0.05"))
    # The configured 1 BTC at $60,000; the $15,000 reserve keeps its share of $90,000.
    assert btc.collateral_usd == 60_000
    assert btc.reserve_usd == 10_000
    assert backtest_params(cfg, underlying="ETH").liquidation_threshold == Decimal("0.825")
    careful = cfg.model_copy(
        update={"hedge": cfg.hedge.model_copy(update={"margin_safety_factor": Decimal(2)})}
    )
    assert backtest_params(careful, underlying="BTC").margin_safety_factor == 2
    with pytest.raises(SimulationConfigError, match=r"simulation\.risk_params"):
        backtest_params(cfg, underlying="SOL")


def test_the_config_bonus_is_what_liquidators_take() -> None:
    """A BNB loan run into liquidation pays the configured 10 % bonus on what is seized."""
    params = backtest_params(load_config(CONFIG / "demo.yaml"), underlying="BNB")
    series = load_window("2021-05", "BNBUSDT")
    params = rolling.protection(params, RatioPolicyConfig(kind="ratio"), repay=True)
    run = rolling.run_pair(series, dataclasses.replace(params, start_hf=Decimal("1.2")), "w")
    events = run.nothing.events
    assert events
    for e in events:
        assert e.collateral_seized * e.price == pytest.approx(
            e.debt_covered * Decimal("1.10"), rel=Decimal("1e-6"), abs=Decimal("1e-6")
        )


# -- Aave's close factor (LiquidationLogic v3.3+) ------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    debt=st.decimals(min_value=10_000, max_value=1_000_000, places=2),
    hf=st.decimals(min_value=Decimal("0.30"), max_value=Decimal("0.9999"), places=4),
    lt=st.decimals(min_value=Decimal("0.5"), max_value=Decimal("0.9"), places=3),
    bonus=st.sampled_from([Decimal("0.05"), Decimal("0.075"), Decimal("0.10")]),
)
def test_close_factor_is_half_above_hf_095_and_all_under(
    debt: Decimal, hf: Decimal, lt: Decimal, bonus: Decimal
) -> None:
    price = Decimal(100)
    units = (debt * hf / (lt * price)).quantize(Decimal("1e-8"))
    coll = Collateral(symbol="X", units=units, liquidation_threshold=lt, liquidation_bonus=bonus)
    loan = LendingPosition(collateral=[coll], debt=debt)
    before = loan.health_factor({"X": price})
    assert loan.liquidate({"X": price}, hour=0, max_rounds=1) == 1
    (event,) = loan.events
    if before > Decimal("0.95"):
        # 50 %: half the debt repaid (rounded up to the debt token's decimals), both legs
        # worth far more than the $2,000 / $1,000 thresholds here.
        assert event.debt_covered == (debt / 2).quantize(Decimal("1e-6"))
        assert loan.debt > 0
        assert coll.units > 0
    else:
        # 100 %: all the debt, or all the collateral when it is worth less than debt + bonus.
        assert loan.debt == 0 or coll.units == 0
        assert event.debt_covered == debt or event.collateral_seized == units
