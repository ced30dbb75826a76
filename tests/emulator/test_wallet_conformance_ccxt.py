"""ccxt's ``binance`` (spot class: transfers, withdrawals, deposits, currencies) parses the
emulator's wallet answers. URLs are pointed at the emulator as in test_conformance_ccxt.py;
markets come from /fapi and /dapi and margin pairs are not fetched (the emulator has no spot
or margin markets)."""

from __future__ import annotations

from typing import Any

import ccxt
import pytest

from bot.emulator.testing import EmulatorHandle
from tests.emulator.test_conformance_ccxt import _point_at

pytestmark = pytest.mark.exchange
RECIPIENT = "0x94df8b352de7f46f64b01d3666bf6e936e44ce60"


def ccxt_wallet(emulator: EmulatorHandle) -> Any:
    exchange = ccxt.binance(
        {"apiKey": emulator.api_key, "secret": emulator.api_secret, "enableRateLimit": False}
    )
    _point_at(exchange, emulator.base_url)
    exchange.options["fetchCurrencies"] = True  # reads /sapi/v1/capital/config/getall
    exchange.options["fetchMargins"] = False
    exchange.options["fetchMarkets"] = {"types": ["linear", "inverse"]}
    return exchange


def test_ccxt_wallet_calls(emulator: EmulatorHandle) -> None:
    binance = ccxt_wallet(emulator)
    binance.load_markets()
    usdt = binance.currencies["USDT"]
    assert usdt["networks"]["BEP20"]["id"] == "BSC"
    assert usdt["networks"]["BEP20"]["fee"] == 0.8
    assert usdt["networks"]["BEP20"]["limits"]["withdraw"]["min"] == 10
    fees = binance.fetch_deposit_withdraw_fees(["USDT"])
    assert fees["USDT"]["withdraw"]["fee"] == 0.8

    transfer = binance.transfer("USDT", 100, "linear", "spot")
    assert transfer["id"]
    assert binance.fetch_balance()["USDT"] == {"free": 100.0, "used": 0.0, "total": 100.0}
    back = binance.transfer("USDT", 40, "spot", "linear")
    assert int(back["id"]) > int(transfer["id"])
    transfers = binance.fetch_transfers("USDT", params={"type": "MAIN_UMFUTURE"})
    assert [t["amount"] for t in transfers] == [40.0]

    address = binance.fetch_deposit_address("USDT", {"network": "BEP20"})
    assert address["network"] == "BEP20"
    assert address["address"].startswith("0x")

    withdrawal = binance.withdraw("USDT", 20, RECIPIENT, {"network": "BEP20"})
    (row,) = binance.fetch_withdrawals("USDT")
    assert row["id"] == withdrawal["id"]
    assert (row["status"], row["network"], row["amount"]) == ("pending", "BEP20", 19.2)
    assert row["fee"] == {"currency": "USDT", "cost": 0.8}
    assert row["timestamp"] == pytest.approx(binance.milliseconds(), abs=60_000)
    assert binance.fetch_balance()["USDT"]["free"] == 40.0
    assert binance.fetch_deposits("USDT") == []
