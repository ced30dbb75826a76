"""Every shipped config validates, and the CLI around configs behaves as documented."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.config import load_config
from bot.config.advice import config_notes, config_warnings, rally_that_liquidates
from bot.config.models import LadderPolicyConfig, NoHedgePolicyConfig

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"
runner = CliRunner()


@pytest.mark.parametrize("path", sorted(CONFIG_DIR.glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_config_validates(path: Path) -> None:
    config = load_config(path, env={})
    assert config.positions
    result = runner.invoke(app, ["check-config", str(path)], env={})
    assert result.exit_code == 0, result.output


def test_shipped_configs_cover_the_documented_deployments() -> None:
    names = {p.name for p in CONFIG_DIR.glob("*.yaml")}
    assert {"demo.yaml", "testnet-aave-bsc.yaml", "testnet-coinm-bnb.yaml"} <= names
    coinm = load_config(CONFIG_DIR / "testnet-coinm-bnb.yaml", env={})
    assert coinm.hedge.venue == "coinm"
    assert coinm.hedge.symbols == {"BNB": "BNBUSD_PERP"}
    bsc = load_config(CONFIG_DIR / "testnet-aave-bsc.yaml", env={})
    assert bsc.hedge.margin_asset == "BNB"
    assert bsc.network == "testnet"
    venus_test = load_config(CONFIG_DIR / "testnet-venus-bsc.yaml", env={})
    (position,) = venus_test.positions
    assert (position.protocol, position.chain_id, venus_test.network) == (
        "venus-core",
        97,
        "testnet",
    )
    assert venus_test.protect is not None
    venus_main = load_config(CONFIG_DIR / "mainnet-venus-bsc.yaml", env={})
    assert (venus_main.positions[0].chain_id, venus_main.network) == (56, "mainnet")
    assert venus_main.allow_mainnet  # written in the file; `run` still needs --live and keys


def test_defaults_are_safe() -> None:
    text = (CONFIG_DIR / "testnet-coinm-bnb.yaml").read_text()
    minimal = text.replace("  leverage: 2\n", "")
    from bot.config import parse_config

    config = parse_config(minimal.replace("network: testnet\n", ""), env={})
    assert config.network == "testnet"
    assert config.hedge.leverage == 3


def test_env_overrides_a_nested_value_and_a_list_item() -> None:
    env = {
        "HEDGEBOT__HEDGE__LEVERAGE": "5",
        "HEDGEBOT__POSITIONS__0__MAX_BLOCK_AGE_SECS": "7",
        "HEDGEBOT__SCHEDULE__INTERVAL_SECS": "3.5",
    }
    config = load_config(CONFIG_DIR / "demo.yaml", env=env)
    assert config.hedge.leverage == 5
    assert config.positions[0].max_block_age_secs == 7
    assert config.schedule.interval_secs == 3.5


def test_env_override_keeps_addresses_and_ids_as_strings() -> None:
    wallet = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
    env = {"HEDGEBOT__POSITIONS__0__WALLET": wallet, "HEDGEBOT__HEDGE__LEVERAGE": "4"}
    config = load_config(CONFIG_DIR / "demo.yaml", env=env)
    assert config.positions[0].wallet == wallet
    assert config.hedge.leverage == 4


def test_check_config_masks_secrets_and_says_dry_run(tmp_path: Path) -> None:
    secret = "S" * 64
    result = runner.invoke(
        app,
        ["check-config", str(CONFIG_DIR / "demo.yaml")],
        env={"BINANCE_API_KEY": "K" * 64, "BINANCE_API_SECRET": secret},
    )
    assert result.exit_code == 0
    assert secret not in result.output
    assert "*** (set)" in result.output
    dry = runner.invoke(app, ["check-config", str(CONFIG_DIR / "demo.yaml")], env={})
    assert "DRY-RUN" in dry.output


def test_secret_files_are_read(tmp_path: Path) -> None:
    from bot.config.secrets import binance_credentials

    (tmp_path / "k").write_text("key-from-file\n")
    (tmp_path / "s").write_text("secret-from-file\n")
    creds = binance_credentials(
        {
            "BINANCE_API_KEY_FILE": str(tmp_path / "k"),
            "BINANCE_API_SECRET_FILE": str(tmp_path / "s"),
        }
    )
    assert creds is not None
    assert creds.secret.reveal() == "secret-from-file"
    assert "secret-from-file" not in repr(creds)


def test_high_leverage_warning_names_the_rally() -> None:
    config = load_config(CONFIG_DIR / "demo.yaml", env={"HEDGEBOT__HEDGE__LEVERAGE": "20"})
    warnings = config_warnings(config, have_api_keys=True)
    assert any("20x" in w and "4.6 %" in w for w in warnings), warnings
    assert rally_that_liquidates(3) > rally_that_liquidates(20)


def test_a_config_with_neither_hedge_nor_repay_says_nothing_protects_it() -> None:
    config = load_config(CONFIG_DIR / "demo.yaml", env={})
    hedged = config.model_copy(update={"protect": None, "capital": None})
    no_hedge = config.hedge.model_copy(update={"policy": NoHedgePolicyConfig(kind="none")})
    bare = hedged.model_copy(update={"hedge": no_hedge})
    assert not any("NOTHING PROTECTS" in w for w in config_warnings(config, have_api_keys=True))
    assert any("hedge alone" in w for w in config_warnings(hedged, have_api_keys=True))
    assert any("NOTHING PROTECTS" in w for w in config_warnings(bare, have_api_keys=True))


def test_check_config_sizes_the_reserve_for_the_worst_measured_fall() -> None:
    result = runner.invoke(app, ["check-config", str(CONFIG_DIR / "demo.yaml")], env={})
    text = " ".join(result.output.split())
    # 40,000 of debt; 1 BTC x 60,000 x LT 0.78 + 10 ETH x 3,000 x 0.825 = 71,550 weighted,
    # of which 24.84 % is left after ETH's -75.16 %: 22,226.98 to repay, 9,000 configured.
    assert "capital.reserve_target_usd $9,000.00 is $13,226.98 short of the $22,226.98" in text, (
        text
    )
    assert "ETH -75%, 2022-04-03 -> 2022-06-18" in text


def test_config_schema_is_json_schema() -> None:
    result = runner.invoke(app, ["config-schema"])
    schema = json.loads(result.output)
    assert schema["type"] == "object"
    assert "hedge" in schema["properties"]


def test_help_lists_commands_and_python_m_bot_works() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--help"], capture_output=True, text=True, check=True
    )
    for command in ("check-config", "config-schema", "emulator"):
        assert command in result.stdout


def test_run_logs_the_config_warnings_before_starting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.daemon.app

    started: list[bool] = []

    def fake_run_daemon(*_args: object, **_kwargs: object) -> int:
        started.append(True)
        return 0

    monkeypatch.setattr(bot.daemon.app, "run_daemon", fake_run_daemon)
    text = (
        (CONFIG_DIR / "demo.yaml")
        .read_text()
        .replace("  port: 9108", "  host: 0.0.0.0\n  port: 9108")
    )
    path = tmp_path / "exposed.yaml"
    path.write_text(text)
    result = runner.invoke(
        app, ["run", "--config", str(path), "--dry-run", "--log-format", "json"], env={}
    )
    assert result.exit_code == 0, result.output
    assert started
    assert "metrics.host 0.0.0.0" in result.output
    assert "WITHOUT authentication" in result.output


def test_env_values_are_yaml_or_else_literal_text() -> None:
    from bot.config.overrides import env_value

    assert env_value("[http://127.0.0.1:8545]") == ["http://127.0.0.1:8545"]
    assert env_value("5") == 5
    assert env_value("0x10") == "0x10"  # YAML 1.2 numbers: no hex, octal or base 60
    assert env_value("@alerts_channel") == "@alerts_channel"  # not YAML: taken literally
    assert env_value("#general") == "#general"  # a comment to YAML, text to whoever set it
    assert env_value("null") is None
    config = load_config(
        CONFIG_DIR / "demo.yaml",
        env={"HEDGEBOT__POSITIONS__0__RPC_URLS": "[http://127.0.0.1:9545, http://127.0.0.1:9546]"},
    )
    assert [str(u) for u in config.positions[0].rpc_urls] == [
        "http://127.0.0.1:9545/",
        "http://127.0.0.1:9546/",
    ]


def test_check_config_says_what_the_hedge_needs_in_margin() -> None:
    result = runner.invoke(app, ["check-config", str(CONFIG_DIR / "demo.yaml")], env={})
    text = " ".join(result.output.split())
    # ratio 0.5 of 60,000 BTC + 30,000 ETH = 45,000 short; 30 % from its liquidation price
    # takes (1.30 x 1.004 - 1) = 30.52 % of it.
    assert "hedge.policy ratio at its largest shorts $45,000.00" in text, text
    assert "takes $13,734.00 of margin on the exchange" in text
    config = load_config(CONFIG_DIR / "demo.yaml", env={})
    ladder = LadderPolicyConfig(kind="ladder", r_min=Decimal(0), r_max=Decimal("0.8"))
    laddered = config.model_copy(
        update={"hedge": config.hedge.model_copy(update={"policy": ladder})}
    )
    assert any("ladder at its largest shorts $72,000.00" in n for n in config_notes(laddered))
    none = config.hedge.model_copy(update={"policy": NoHedgePolicyConfig(kind="none")})
    unhedged = config.model_copy(update={"hedge": none})
    assert not any("margin" in n for n in config_notes(unhedged))
