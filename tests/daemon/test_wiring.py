"""The daemon's account set-up asks the exchange for the configured margin asset."""

from __future__ import annotations

from pathlib import Path

from bot.config import load_config
from bot.daemon.wiring import account_setup

DEMO = Path(__file__).resolve().parents[2] / "config" / "demo.yaml"


def test_bnb_margined_usdm_setup_checks_the_bnb_wallet_in_multi_assets_mode() -> None:
    setup = account_setup(load_config(DEMO))
    assert setup.usdm_margin_asset == "BNB"
    assert setup.multi_assets_margin
    assert {s.symbol for s in setup.symbols} == {"BTCUSDT", "ETHUSDT", "BNBUSDT"}


def test_usdt_margined_setup_stays_single_asset(tmp_path: Path) -> None:
    text = DEMO.read_text().replace("margin_asset: BNB", "margin_asset: USDT")
    path = tmp_path / "usdt.yaml"
    path.write_text(text)
    setup = account_setup(load_config(path))
    assert setup.usdm_margin_asset == "USDT"
    assert not setup.multi_assets_margin
