"""`hedgebot status` shows a user their position, hedge and reserve needs; a wrong chain id
stops it with a clear error."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from bot.cli import app
from bot.devnet.devnet import Devnet
from bot.emulator.testing import EmulatorHandle
from bot.journal import Journal

REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()


def _config(
    devnet: Devnet, emulator: EmulatorHandle, wallet: str, tmp: Path, **extra: object
) -> Path:
    config = yaml.safe_load((REPO / "config" / "demo.yaml").read_text())
    config["exchange_base_url"] = emulator.base_url
    config["positions"][0].update(
        rpc_urls=[devnet.rpc_url],
        addresses_provider=devnet.deployment.addresses_provider,
        wallet=wallet,
        **extra,
    )
    config["journal"]["url"] = f"sqlite:///{tmp / 'journal.db'}"
    path = tmp / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.mark.chain
@pytest.mark.exchange
def test_status_json_reports_position_hedge_and_reserve(
    devnet: Devnet, emulator: EmulatorHandle, tmp_path: Path
) -> None:
    wallet = devnet.account(4)
    devnet.open_position(
        wallet, collateral={"WBTC": Decimal(1), "WETH": Decimal(10)}, debt={"USDC": Decimal(40_000)}
    )
    for token, symbol in (("WBTC", "BTCUSDT"), ("WETH", "ETHUSDT"), ("WBNB", "BNBUSDT")):
        emulator.control.set_mark(symbol, devnet.price(token))
    path = _config(devnet, emulator, wallet, tmp_path)
    env = {"BINANCE_API_KEY": emulator.api_key, "BINANCE_API_SECRET": emulator.api_secret}
    result = runner.invoke(
        app, ["status", "--config", str(path), "--json", "--crash-pct", "50"], env=env
    )
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "journal.db").exists(), "status is a reader: it creates no journal"
    (report,) = json.loads(result.output)
    assert Decimal(report["oracle_hf"]) == Decimal(devnet.account_data(wallet)[-1]) / 10**18
    btc = next(u for u in report["underlyings"] if u["underlying"] == "BTC")
    assert Decimal(btc["liquidation_price"]) < Decimal(60_000)
    assert Decimal(btc["target_short_usd"]) == Decimal(30_000)  # ratio 0.5 x 1 BTC at 60,000
    assert Decimal(btc["liquidation_price"]) % Decimal("1e-8") == 0  # a price the oracle can show
    totals = report["totals"]
    assert Decimal(totals["collateral_usd"]) == 60_000 + 10 * 3_000
    assert Decimal(totals["debt_usd"]) == 40_000
    assert totals["chain_hf"] == report["oracle_hf"]  # the chain's own answer, beside ours
    # Every coin falling together: HF 1 at 40,000 / (0.78 x 60,000 + 0.825 x 30,000) of today.
    readable = 1 - Decimal(40_000) / (Decimal("0.78") * 60_000 + Decimal("0.825") * 30_000)
    assert abs(Decimal(totals["crash_to_liquidation"]) - readable) < Decimal("0.0001")
    assert report["plan"], "a fresh position with no hedge needs orders"
    # The wanted shorts (30,000 BTC + 15,000 ETH) stay 30 % from their liquidation prices with
    # (1.30 x 1.004 - 1) = 30.52 % of their notional in margin.
    margin = report["margin_for_hedge"]
    assert Decimal(margin["need_usd"]) == Decimal("13734.000")
    shortfall = max(Decimal(13734) - Decimal(margin["have_usd"]), Decimal(0))
    assert Decimal(margin["shortfall_usd"]) == shortfall
    assert (margin["warning"] is not None) == (shortfall > 0)
    reserve = report["reserve_for_crash"]
    assert reserve["symbol"] == "USDC"
    # After a 50 % crash: 0.78 x 30,000 + 0.825 x 15,000 = 35,775 of weighted collateral
    # against 40,000 of debt; repaying 4,225 USDC (plus rounding) restores HF 1.
    assert Decimal("4225") <= Decimal(reserve["amount"]) < Decimal("4226")
    text = runner.invoke(app, ["status", "--config", str(path), "--crash-pct", "50"], env=env)
    assert "reserve needed to survive a 50% crash: 4,225" in text.output
    words = " ".join(text.output.split())
    assert "collateral $90,000.00 debt $40,000.00 equity $50,000.00" in words
    assert f"HF as the chain reports it {Decimal(report['oracle_hf']):.4f}" in words
    assert f"HF 1 after a further {Decimal(totals['crash_to_liquidation']):.1%} fall" in words
    assert "margin needed to hold the wanted shorts 30% from their liquidation prices: " in (
        " ".join(text.output.split())
    )

    # By default the reserve is sized for the collateral's deepest measured 90-day fall: ETH's
    # -75.16 % (2022), deeper than BTC's; the demo's 9,000 reserve target is short of it.
    result = runner.invoke(app, ["status", "--config", str(path), "--json"], env=env)
    reserve = json.loads(result.output)[0]["reserve_for_crash"]
    assert reserve["crash_fraction"] == "0.7516"
    assert "ETH -75%, 2022-04-03 -> 2022-06-18" in reserve["basis"]
    weighted = (Decimal("0.78") * 60_000 + Decimal("0.825") * 30_000) * (1 - Decimal("0.7516"))
    assert 40_000 - weighted <= Decimal(reserve["amount"]) < 40_001 - weighted
    assert "reserve target $9,000.00 is" in reserve["warning"]
    text = runner.invoke(app, ["status", "--config", str(path)], env=env)
    assert "reserve needed to survive the worst 90-day fall" in text.output
    assert "warning: the configured reserve target $9,000.00" in " ".join(text.output.split())


@pytest.mark.chain
@pytest.mark.exchange
def test_status_with_the_wrong_chain_id_exits_with_a_clear_error(
    devnet: Devnet, emulator: EmulatorHandle, tmp_path: Path
) -> None:
    path = _config(devnet, emulator, devnet.account(4), tmp_path, chain_id=56)
    result = runner.invoke(app, ["status", "--config", str(path)], env={})
    assert result.exit_code == 2
    assert "chain id 31337" in result.output
    assert "56" in result.output


@pytest.mark.chain
@pytest.mark.exchange
def test_status_shows_funding_alerts_and_operator_actions_from_the_journal(
    devnet: Devnet, emulator: EmulatorHandle, tmp_path: Path
) -> None:
    """What the daemon knows and the operator asks: funding settled in the last 24 h, per
    symbol; the alerts with what became of each; who paused and why."""
    wallet = devnet.account(5)
    devnet.open_position(wallet, collateral={"WETH": Decimal(10)}, debt={"USDC": Decimal(9_000)})
    path = _config(devnet, emulator, wallet, tmp_path)
    journal = Journal.open(f"sqlite:///{tmp_path / 'journal.db'}")
    now_ms = int(time.time() * 1000)
    for n, amount in enumerate(("1.25", "-0.50")):
        journal.record_funding(
            symbol="ETHUSDT",
            asset="USDT",
            amount=Decimal(amount),
            income_at=now_ms - (n + 1) * 3_600_000,
            transaction_id=f"paper-ETHUSDT-{n}",
        )
    journal.record_funding(  # two days ago: not in the last 24 h
        symbol="ETHUSDT",
        asset="USDT",
        amount=Decimal(9),
        income_at=now_ms - 48 * 3_600_000,
        transaction_id="paper-ETHUSDT-old",
    )
    journal.record_alert(
        kind="repay_failed", severity="critical", title="main: repay failed", text="",
        dedupe_key="r", sinks=("telegram",), outcome="failed",
    )  # fmt: skip
    journal.set_paused(True, reason="exchange maintenance", actor="telegram:424242")
    journal.close()
    result = runner.invoke(app, ["status", "--config", str(path), "--json"], env={})
    assert result.exit_code == 0, result.output
    (report,) = json.loads(result.output)
    assert sorted(Decimal(f["amount"]) for f in report["funding_24h"]) == [
        Decimal("-0.50"),
        Decimal("1.25"),
    ]
    (alert,) = report["alerts_24h"]
    assert (alert["title"], alert["sinks"], alert["outcome"]) == (
        "main: repay failed",
        ["telegram"],
        "failed",
    )
    assert report["operator_actions"][0]["actor"] == "telegram:424242"
    assert report["operator_actions"][0]["reason"] == "exchange maintenance"
    text = runner.invoke(app, ["status", "--config", str(path)], env={})
    words = " ".join(text.output.split())
    assert "funding (24 h, + received): ETHUSDT +0.7500 USDT" in words
    assert "main: repay failed" in words
    assert "telegram:424242" in words
