"""What the config names is checked against the venue and the pool at start (issue 14,
finding 5): a symbol Binance does not list, a symbol that tracks another underlying, a reserve
token the pool does not hold. Each stops ``hedgebot run`` with exit 2 and a message naming the
key, before any order or transaction, instead of a traceback or a repay that fails mid-crash."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.devnet.devnet import Devnet
from bot.emulator.testing import EmulatorHandle
from tests.daemon.harness import (
    cli,
    daemon_config,
    daemon_env,
    emulator_orders,
    open_borrower,
    write_config,
)

pytestmark = [pytest.mark.chain, pytest.mark.exchange]


def _unlisted_symbol(config: dict[str, Any]) -> None:
    config["hedge"]["symbols"]["BTC"] = "BTCUSD"


def _symbol_of_another_underlying(config: dict[str, Any]) -> None:
    config["hedge"]["symbols"]["ETH"] = "BTCUSDT"


def _reserve_token_not_in_the_pool(config: dict[str, Any]) -> None:
    config["tokens"]["DAI"] = {"underlying": "USD"}
    config["protect"]["reserve_tokens"] = ["USDC", "DAI"]


CASES: dict[str, tuple[Callable[[dict[str, Any]], None], tuple[str, ...]]] = {
    "unlisted symbol": (
        _unlisted_symbol,
        ("BTCUSD is not a Binance usdm contract", "closest listed: BTCUSDT"),
    ),
    "symbol of another underlying": (
        _symbol_of_another_underlying,
        ("hedge.symbols.ETH: BTCUSDT is a BTC contract, not ETH",),
    ),
    "reserve token not in the pool": (
        _reserve_token_not_in_the_pool,
        ("protect.reserve_tokens: DAI is not a reserve of the pool", "USDC"),
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_run_refuses_what_the_venue_or_the_pool_does_not_have(
    case: str, devnet: Devnet, emulator: EmulatorHandle, tmp_path: Path
) -> None:
    change, expected = CASES[case]
    borrower = open_borrower(devnet, emulator)
    config = daemon_config(
        devnet=devnet, emulator=emulator, wallet=borrower.address, journal_path=tmp_path / "j.db"
    )
    change(config)
    path = write_config(tmp_path / "hedgebot.yaml", config)
    env = daemon_env(emulator, wallet_key=borrower.key)
    result = cli("run", "--config", str(path), "--max-cycles", "3", env=env)
    message = result.stdout + result.stderr
    assert result.returncode == 2, message
    assert "Traceback" not in message, message
    for text in expected:
        assert text in message, message
    assert emulator_orders(emulator) == []
