"""The daemon's account set-up asks the exchange for the configured margin asset."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import load_config
from bot.config.secrets import ApiCredentials, Secret
from bot.daemon.wiring import LiveTradingRefused, account_setup, live_exchange, trading_mode
from bot.exchange.binance.network import is_production

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


# --- mainnet is decided by where orders go ----------------------------------------------------

PROD = "https://fapi.binance.com"


def _custom(tmp_path: Path, url: str, *, allow: bool = False) -> Path:
    text = DEMO.read_text().replace("http://127.0.0.1:8700", url)
    if allow:
        text = "allow_mainnet: true\n" + text
    path = tmp_path / "custom.yaml"
    path.write_text(text)
    return path


def _keys() -> ApiCredentials:
    return ApiCredentials(key=Secret("k"), secret=Secret("s"))


@pytest.mark.parametrize(
    ("url", "production"),
    [
        (PROD, True),
        ("https://dapi.binance.com/", True),
        ("https://my-proxy.example.com", True),
        ("http://8.8.8.8:8700", True),
        ("https://testnet.binancefuture.com", False),
        ("https://demo-fapi.binance.com", False),
        ("http://127.0.0.1:8700", False),
        ("http://localhost:8700", False),
        ("http://[::1]:8700", False),
        ("http://10.0.0.7:8700", False),
        ("http://192.168.1.20:8700", False),
    ],
)
def test_a_custom_url_is_production_unless_it_is_practice_or_local(
    url: str, production: bool
) -> None:
    assert is_production("custom", url) is production


def test_the_real_exchange_behind_network_custom_needs_every_opt_in(tmp_path: Path) -> None:
    config = load_config(_custom(tmp_path, PROD))
    with pytest.raises(LiveTradingRefused, match="allow_mainnet: true in the config file"):
        trading_mode(config, credentials=_keys(), dry_run_flag=False, live=True)
    allowed = load_config(_custom(tmp_path, PROD, allow=True))
    with pytest.raises(LiveTradingRefused, match="--live"):
        trading_mode(allowed, credentials=_keys(), dry_run_flag=False, live=False)
    assert not trading_mode(allowed, credentials=_keys(), dry_run_flag=False, live=True).dry_run


def test_environment_overrides_cannot_point_a_testnet_config_at_production() -> None:
    env = {"HEDGEBOT__EXCHANGE_BASE_URL": PROD}
    config = load_config(DEMO, env=env)
    with pytest.raises(LiveTradingRefused, match="allow_mainnet: true in the config file"):
        trading_mode(config, credentials=_keys(), dry_run_flag=False, live=True)


def test_dry_run_is_allowed_at_real_prices(tmp_path: Path) -> None:
    config = load_config(_custom(tmp_path, PROD))
    mode = trading_mode(config, credentials=_keys(), dry_run_flag=True, live=False)
    assert mode.dry_run
    public = live_exchange(config, None, live=False)  # prices only: no keys, no orders
    assert public.network.value == "custom"


@pytest.mark.parametrize("command", [("run",), ("flatten",)])
def test_run_and_flatten_refuse_the_real_exchange_without_opt_ins_and_without_a_traceback(
    command: tuple[str, ...], tmp_path: Path
) -> None:
    config = _custom(tmp_path, PROD)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEDGEBOT__")}
    env |= {"BINANCE_API_KEY": "k", "BINANCE_API_SECRET": "s"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", *command, "--config", str(config), "--live"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "allow_mainnet: true in the config file" in output
    assert "Traceback" not in output


def test_a_journal_that_cannot_be_opened_stops_run_with_a_message(tmp_path: Path) -> None:
    from bot.devnet.anvil import free_port

    env = {k: v for k, v in os.environ.items() if not k.startswith("HEDGEBOT__")}
    env["HEDGEBOT__JOURNAL__URL"] = f"postgresql://bot:pw-canary-7@127.0.0.1:{free_port()}/hb"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run", "--config", str(DEMO), "--dry-run"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "cannot open the journal at postgresql+psycopg://bot:***@127.0.0.1" in output
    assert "pw-canary-7" not in output
    assert "Traceback" not in output
