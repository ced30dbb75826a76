"""Every python-binance call the bot uses, against the emulator, shaped like Binance's examples."""

from __future__ import annotations

import pytest
from binance.client import Client

from bot.emulator.testing import EmulatorHandle
from tests.emulator.shapes import assert_shape

pytestmark = pytest.mark.exchange
# Only trailing-stop orders carry these; the examples are TRAILING_STOP_MARKET orders.
TRAILING = ("activatePrice", "priceRate")


def _short_btc(client: Client) -> dict[str, object]:
    order: dict[str, object] = client.futures_create_order(
        symbol="BTCUSDT",
        side="SELL",
        type="MARKET",
        quantity="0.010",
        newOrderRespType="RESULT",
        newClientOrderId="hedge-btc-1",
    )
    return order


def test_market_data_shapes(client: Client) -> None:
    assert_shape(client.futures_time(), "usdm:check_server_time")
    assert client.futures_ping() == {}
    info = client.futures_exchange_info()
    assert_shape(info, "usdm:exchange_information", skip=("filters",))
    btc = next(s for s in info["symbols"] if s["symbol"] == "BTCUSDT")
    filters = {f["filterType"]: f for f in btc["filters"]}
    assert filters["PRICE_FILTER"]["tickSize"] == "0.1"
    assert filters["LOT_SIZE"]["stepSize"] == "0.001"
    assert filters["MIN_NOTIONAL"]["notional"] == "100"
    assert {s["symbol"] for s in info["symbols"]} == {"BTCUSDT", "ETHUSDT", "BNBUSDT"}
    assert_shape(client.futures_mark_price(symbol="BTCUSDT"), "usdm:mark_price")
    all_marks = client.futures_mark_price()
    assert [m["symbol"] for m in all_marks] == ["BTCUSDT", "ETHUSDT", "BNBUSDT"]
    assert_shape(all_marks[0], "usdm:mark_price")
    assert_shape(client.futures_symbol_ticker(symbol="BTCUSDT"), "usdm:symbol_price_ticker_v2")
    assert client.futures_symbol_ticker(symbol="BNBUSDT")["price"] == "600.000"


def test_account_shapes(client: Client) -> None:
    _short_btc(client)
    assert_shape(client.futures_account(), "usdm:account_information_v2")
    assert_shape(client.futures_account(version=3), "usdm:account_information_v3")
    assert_shape(client.futures_account_balance(), "usdm:futures_account_balance_v3")
    positions = client.futures_position_information()
    assert_shape(positions, "usdm:position_information_v3")
    assert [p["symbol"] for p in positions] == ["BTCUSDT"], "v3 omits flat symbols"
    assert "leverage" not in positions[0]
    assert client.futures_position_information(symbol="ETHUSDT") == []
    v2 = client.futures_position_information(version=2)
    assert_shape(v2, "usdm:position_information_v2")
    assert len(v2) == 3
    assert_shape(client.futures_account_config(), "usdm:futures_account_configuration")
    assert_shape(client.futures_symbol_config(symbol="BTCUSDT"), "usdm:symbol_configuration")
    assert_shape(
        client.futures_leverage_bracket(symbol="BTCUSDT"), "usdm:notional_and_leverage_brackets"
    )
    brackets = client.futures_leverage_bracket(symbol="BTCUSDT")[0]["brackets"]
    assert brackets[0] == {
        "bracket": 1,
        "initialLeverage": 125,
        "notionalCap": 50000,
        "notionalFloor": 0,
        "maintMarginRatio": 0.004,
        "cum": 0,
    }
    assert_shape(client.futures_commission_rate(symbol="BTCUSDT"), "usdm:user_commission_rate")
    # Live USD-M trade rows have no "pair" (real ccxt capture); the docs example adds it.
    assert_shape(
        client.futures_account_trades(symbol="BTCUSDT"), "usdm:account_trade_list", skip=("pair",)
    )
    assert_shape(client.futures_income_history(), "usdm:get_income_history")


def test_settings_round_trip(client: Client) -> None:
    assert_shape(client.futures_get_position_mode(), "usdm:get_current_position_mode")
    assert_shape(
        client.futures_change_position_mode(dualSidePosition="true"), "usdm:change_position_mode"
    )
    assert client.futures_get_position_mode() == {"dualSidePosition": True}
    assert client.futures_coin_get_position_mode() == {"dualSidePosition": True}, "shared mode"
    client.futures_change_position_mode(dualSidePosition="false")
    assert_shape(client.futures_get_multi_assets_mode(), "usdm:get_current_multi_assets_mode")
    assert_shape(client.futures_change_multi_assets_mode(True), "usdm:change_multi_assets_mode")
    assert client.futures_account_config()["multiAssetsMargin"] is True
    client.futures_change_multi_assets_mode(False)
    assert_shape(
        client.futures_change_leverage(symbol="BTCUSDT", leverage=5), "usdm:change_initial_leverage"
    )
    assert client.futures_symbol_config(symbol="BTCUSDT")[0]["leverage"] == 5
    assert_shape(
        client.futures_change_margin_type(symbol="BTCUSDT", marginType="ISOLATED"),
        "usdm:change_margin_type",
    )
    assert client.futures_symbol_config(symbol="BTCUSDT")[0]["marginType"] == "ISOLATED"


def test_order_lifecycle_shapes(client: Client) -> None:
    filled = _short_btc(client)
    assert_shape(filled, "usdm:new_order", skip=TRAILING)
    assert filled["status"] == "FILLED"
    assert filled["avgPrice"] == "60000.00000"
    ack = client.futures_create_order(
        symbol="BTCUSDT",
        side="BUY",
        type="LIMIT",
        timeInForce="GTC",
        quantity="0.010",
        price="59000",
    )
    assert ack["status"] == "NEW"
    assert ack["executedQty"] == "0.000"
    queried = client.futures_get_order(symbol="BTCUSDT", origClientOrderId="hedge-btc-1")
    assert_shape(queried, "usdm:query_order", skip=TRAILING)
    assert queried["orderId"] == filled["orderId"]
    assert_shape(
        client.futures_get_open_orders(symbol="BTCUSDT"),
        "usdm:current_all_open_orders",
        skip=TRAILING,
    )
    assert_shape(
        client.futures_get_all_orders(symbol="BTCUSDT"),
        "usdm:all_orders",
        skip=("cumBase", "pair", *TRAILING),
    )
    canceled = client.futures_cancel_order(symbol="BTCUSDT", orderId=ack["orderId"])
    assert_shape(canceled, "usdm:cancel_order", skip=TRAILING)
    assert canceled["status"] == "CANCELED"
    assert client.futures_get_open_orders(symbol="BTCUSDT") == []


def test_stop_market_goes_to_algo_api(client: Client, emulator: EmulatorHandle) -> None:
    _short_btc(client)
    algo = client.futures_create_order(
        symbol="BTCUSDT",
        side="BUY",
        type="STOP_MARKET",
        stopPrice="66000",
        closePosition="true",
        workingType="MARK_PRICE",
    )
    assert_shape(algo, "usdm:new_algo_order")
    assert algo["algoStatus"] == "NEW"
    assert algo["triggerPrice"] == "66000.00"
    got = client.futures_get_order(symbol="BTCUSDT", algoId=algo["algoId"])
    assert_shape(got, "usdm:query_algo_order")
    assert_shape(
        client.futures_get_open_orders(symbol="BTCUSDT", conditional=True),
        "usdm:current_all_algo_open_orders",
    )
    emulator.control.set_mark("BTCUSDT", "66500")
    done = client.futures_get_order(symbol="BTCUSDT", algoId=algo["algoId"])
    assert done["algoStatus"] == "FINISHED"
    assert done["actualOrderId"] != ""
    assert client.futures_position_information(symbol="BTCUSDT") == [], "closePosition closed it"
    second = client.futures_create_order(
        symbol="BTCUSDT", side="SELL", type="STOP_MARKET", stopPrice="60000", quantity="0.010"
    )
    assert_shape(
        client.futures_cancel_order(symbol="BTCUSDT", algoId=second["algoId"]),
        "usdm:cancel_algo_order",
    )


def test_coinm_calls_and_shapes(client: Client) -> None:
    assert_shape(client.futures_coin_time(), "coinm:check_server_time")
    info = client.futures_coin_exchange_info()
    assert_shape(info, "coinm:exchange_information", skip=("filters",))
    sizes = {s["symbol"]: s["contractSize"] for s in info["symbols"]}
    assert sizes == {"BTCUSD_PERP": 100, "ETHUSD_PERP": 10, "BNBUSD_PERP": 10}
    assert_shape(
        client.futures_coin_mark_price(symbol="BNBUSD_PERP"), "coinm:index_price_and_mark_price"
    )
    assert_shape(
        client.futures_coin_symbol_ticker(symbol="BNBUSD_PERP"), "coinm:symbol_price_ticker"
    )
    order = client.futures_coin_create_order(
        symbol="BNBUSD_PERP", side="SELL", type="MARKET", quantity="10", newOrderRespType="RESULT"
    )
    assert_shape(order, "coinm:new_order", skip=TRAILING)
    assert order["status"] == "FILLED"
    assert order["cumBase"] == "0.16666667"
    assert_shape(
        client.futures_coin_get_order(symbol="BNBUSD_PERP", orderId=order["orderId"]),
        "coinm:query_order",
        skip=TRAILING,
    )
    limit = client.futures_coin_create_order(
        symbol="BNBUSD_PERP", side="BUY", type="LIMIT", timeInForce="GTC", quantity="1", price="590"
    )
    assert_shape(
        client.futures_coin_get_open_orders(symbol="BNBUSD_PERP"),
        "coinm:current_all_open_orders",
        skip=TRAILING,
    )
    assert_shape(
        client.futures_coin_cancel_order(symbol="BNBUSD_PERP", orderId=limit["orderId"]),
        "coinm:cancel_order",
        skip=TRAILING,
    )
    assert_shape(client.futures_coin_account(), "coinm:account_information")
    assert_shape(client.futures_coin_account_balance(), "coinm:futures_account_balance")
    assert_shape(client.futures_coin_position_information(), "coinm:position_information")
    assert_shape(
        client.futures_coin_account_trades(symbol="BNBUSD_PERP"), "coinm:account_trade_list"
    )
    assert_shape(client.futures_coin_income_history(), "coinm:get_income_history")
    assert_shape(
        client.futures_coin_leverage_bracket(symbol="BNBUSD_PERP"),
        "coinm:notional_bracket_for_symbol",
    )
    assert_shape(
        client.futures_coin_change_leverage(symbol="BNBUSD_PERP", leverage=10),
        "coinm:change_initial_leverage",
    )
    assert_shape(client.futures_coin_get_position_mode(), "coinm:get_current_position_mode")


def test_spot_ping_for_constructor(emulator: EmulatorHandle) -> None:
    class Pinging(Client):  # type: ignore[misc]
        API_URL = f"{emulator.base_url}/api"
        FUTURES_URL = f"{emulator.base_url}/fapi"

    pinging = Pinging(emulator.api_key, emulator.api_secret)  # ping=True by default
    assert pinging.futures_time()["serverTime"] > 0
