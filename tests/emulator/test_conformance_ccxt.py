"""ccxt's binanceusdm / binancecoinm parse every call the bot relies on (URLs overridden)."""

from __future__ import annotations

from typing import Any

import ccxt
import pytest

from bot.emulator.testing import EmulatorHandle

pytestmark = pytest.mark.exchange


def _point_at(exchange: Any, base_url: str) -> Any:
    for name, url in list(exchange.urls["api"].items()):
        if isinstance(url, str) and url.startswith("https://"):
            path = url.split("/", 3)[3] if url.count("/") >= 3 else ""
            exchange.urls["api"][name] = f"{base_url}/{path}"
    exchange.options["fetchCurrencies"] = False
    exchange.options["adjustForTimeDifference"] = False
    return exchange


def _ccxt(cls: Any, emulator: EmulatorHandle) -> Any:
    exchange = cls(
        {"apiKey": emulator.api_key, "secret": emulator.api_secret, "enableRateLimit": False}
    )
    return _point_at(exchange, emulator.base_url)


def test_binanceusdm_parses_every_call(emulator: EmulatorHandle) -> None:
    usdm = _ccxt(ccxt.binanceusdm, emulator)
    markets = usdm.load_markets()
    assert {"BTC/USDT:USDT", "ETH/USDT:USDT", "BNB/USDT:USDT"} <= set(markets)
    btc = markets["BTC/USDT:USDT"]
    assert btc["limits"]["cost"]["min"] == 100
    assert btc["precision"]["amount"] == 0.001
    assert usdm.fetch_time() > 0
    assert usdm.fetch_mark_price("BTC/USDT:USDT")["markPrice"] == 60000
    assert usdm.fetch_funding_rate("BTC/USDT:USDT")["fundingRate"] == 0.0001
    usdm.set_leverage(5, "BTC/USDT:USDT")
    assert usdm.fetch_position_mode("BTC/USDT:USDT")["hedged"] is False
    order = usdm.create_order(
        "BTC/USDT:USDT", "market", "sell", 0.01, params={"newOrderRespType": "RESULT"}
    )
    assert order["status"] == "closed"
    assert order["filled"] == 0.01
    fetched = usdm.fetch_order(order["id"], "BTC/USDT:USDT")
    assert fetched["average"] == 60000
    limit = usdm.create_order("BTC/USDT:USDT", "limit", "buy", 0.01, 59000)
    assert [o["id"] for o in usdm.fetch_open_orders("BTC/USDT:USDT")] == [limit["id"]]
    usdm.cancel_order(limit["id"], "BTC/USDT:USDT")
    assert len(usdm.fetch_orders("BTC/USDT:USDT")) == 2
    positions = usdm.fetch_positions(["BTC/USDT:USDT"])
    assert positions[0]["contracts"] == 0.01
    assert positions[0]["side"] == "short"
    balance = usdm.fetch_balance()
    assert balance["USDT"]["total"] == pytest.approx(10000 - 0.3)
    trades = usdm.fetch_my_trades("BTC/USDT:USDT")
    assert trades[0]["fee"]["cost"] == pytest.approx(0.3)
    history = usdm.fetch_funding_history("BTC/USDT:USDT")
    assert history == []
    emulator.control.advance_time(8 * 3600)
    assert len(usdm.fetch_funding_history("BTC/USDT:USDT")) == 1
    tiers = usdm.fetch_leverage_tiers(["BTC/USDT:USDT"])
    assert tiers["BTC/USDT:USDT"][0]["maintenanceMarginRate"] == 0.004
    fee = usdm.fetch_trading_fee("BTC/USDT:USDT")
    assert fee["taker"] == 0.0005
    usdm.set_margin_mode("isolated", "ETH/USDT:USDT")


def test_binancecoinm_parses_every_call(emulator: EmulatorHandle) -> None:
    coinm = _ccxt(ccxt.binancecoinm, emulator)
    markets = coinm.load_markets()
    bnb = markets["BNB/USD:BNB"]
    assert bnb["contractSize"] == 10
    assert bnb["inverse"] is True
    order = coinm.create_order(
        "BNB/USD:BNB", "market", "sell", 10, params={"newOrderRespType": "RESULT"}
    )
    assert order["filled"] == 10
    assert coinm.fetch_order(order["id"], "BNB/USD:BNB")["status"] == "closed"
    positions = [p for p in coinm.fetch_positions() if p["contracts"]]
    assert positions[0]["symbol"] == "BNB/USD:BNB"
    assert positions[0]["side"] == "short"
    balance = coinm.fetch_balance()
    assert balance["BNB"]["total"] == pytest.approx(10 - 100 / 600 * 0.0005)
    assert coinm.fetch_my_trades("BNB/USD:BNB")[0]["amount"] == 10
    coinm.set_leverage(10, "BNB/USD:BNB")
    assert coinm.fetch_mark_price("BNB/USD:BNB")["markPrice"] == 600
    limit = coinm.create_order("BNB/USD:BNB", "limit", "buy", 1, 590)
    assert len(coinm.fetch_open_orders("BNB/USD:BNB")) == 1
    coinm.cancel_order(limit["id"], "BNB/USD:BNB")
    emulator.control.advance_time(8 * 3600)
    assert len(coinm.fetch_funding_history("BNB/USD:BNB")) == 1
