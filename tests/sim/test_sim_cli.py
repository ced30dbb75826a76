"""`hedgebot simulate` and `hedgebot backtest` run the configured loan end to end."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app

CONFIG = Path(__file__).resolve().parents[2] / "config"
runner = CliRunner()


def test_simulate_writes_plots_and_summary(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "simulate",
            "--config",
            str(CONFIG / "demo.yaml"),
            "--paths",
            "200",
            "--days",
            "5",
            "--out",
            str(tmp_path),
        ],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    for name in ("sample_paths.png", "equity_distribution.png", "frontier.png"):
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG", name
    assert "health_target" in (tmp_path / "summary.md").read_text()


def test_backtest_of_a_shipped_window(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "backtest",
            "--config",
            str(CONFIG / "demo.yaml"),
            "--prices",
            "2020-03",
            "--out",
            str(tmp_path),
        ],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "backtest_2020-03.png").read_bytes()[:4] == b"\x89PNG"
    report = (tmp_path / "backtest_2020-03.md").read_text()
    assert "repay" in report
    assert "hold" in report


def test_simulate_without_a_simulation_section_says_what_is_missing(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["simulate", "--config", str(CONFIG / "testnet-coinm-bnb.yaml")], env={}
    )
    assert result.exit_code == 2
    assert "simulation.collateral" in result.output
