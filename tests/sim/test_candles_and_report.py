"""Shipped data, user CSVs, and the report folder a user opens."""

from __future__ import annotations

import dataclasses
import filecmp
from pathlib import Path

import pytest
from rich.console import Console

from bot.sim.candles import WINDOW_NAMES, build_series, data_dir, load_window
from bot.sim.data.build_rolling import build as build_rolling
from bot.sim.data.build_windows import build
from bot.sim.report import run_simulation
from tests.sim.conftest import article_params

MARKET = Path(__file__).resolve().parents[3] / "shared" / "data" / "market"


def test_every_window_ships_btc_eth_bnb_small_and_with_provenance() -> None:
    d = data_dir()
    total = sum(p.stat().st_size for p in d.glob("20*.csv.gz"))
    assert total < 3_000_000
    assert "Roshan7869/algotrading" in (d / "PROVENANCE.md").read_text()
    for w in WINDOW_NAMES:
        for sym in ("BTCUSDT", "ETHUSDT", "BNBUSDT"):
            s = load_window(w, sym)
            assert len(s.perp) == len(s.mark) > 1500
    assert load_window("2020-03", "BTCUSDT").proxied_hours == 0
    assert load_window("2020-03", "BNBUSDT").mark_source[0] == "spot"


def test_unknown_window_and_bad_csv_say_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown window '1999-01'"):
        load_window("1999-01")
    bad = tmp_path / "p.csv"
    bad.write_text("time,open,close\n2020-01-01T00:00:00Z,1,2\n")
    with pytest.raises(
        ValueError, match=r"p.csv: missing column\(s\) \['high', 'low', 'open_time'\]"
    ):
        build_series("BTCUSDT", bad)
    neg = tmp_path / "n.csv"
    neg.write_text("open_time,open,high,low,close\n2020-01-01T00:00:00Z,1,2,-1,1\n")
    with pytest.raises(ValueError, match=r"n.csv:2: prices must be > 0"):
        build_series("BTCUSDT", neg)


@pytest.mark.slow
def test_build_script_reproduces_the_shipped_files_byte_for_byte(tmp_path: Path) -> None:
    assert MARKET.is_dir(), f"market data folder missing: {MARKET}"
    build(MARKET, tmp_path)
    build_rolling(MARKET, tmp_path)
    shipped = sorted(p.name for p in data_dir().glob("*.csv.gz"))
    assert sorted(p.name for p in tmp_path.glob("*.csv.gz")) == shipped
    _match, mismatch, errors = filecmp.cmpfiles(tmp_path, data_dir(), shipped, shallow=False)
    assert mismatch == []
    assert errors == []


def test_simulation_report_has_table_plots_and_summary(tmp_path: Path) -> None:
    params = dataclasses.replace(article_params(), n_paths=300, horizon_hours=120)
    console = Console(record=True, width=220)
    result = run_simulation(params, tmp_path, console)
    assert len(result.outcomes) == len(params.policies) * 2
    for png in ("sample_paths.png", "equity_distribution.png", "frontier.png"):
        assert (tmp_path / png).stat().st_size > 10_000
    md = (tmp_path / "summary.md").read_text()
    assert "| ratio r=0.5 | repay |" in md
    assert "VaR5" in md
    assert "P(hedge liq)" in console.export_text()
