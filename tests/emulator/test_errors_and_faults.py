"""Binance's rejection codes, rate limits, and every injectable fault, seen through clients."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
from binance.client import Client
from binance.exceptions import BinanceAPIException

from bot.emulator.testing import EmulatorHandle, python_binance_client

pytestmark = pytest.mark.exchange


def _code(call: Any, **params: Any) -> tuple[int, int, str]:
    with pytest.raises(BinanceAPIException) as caught:
        call(**params)
    return caught.value.status_code, caught.value.code, caught.value.message


BTC = {"symbol": "BTCUSDT", "side": "SELL", "type": "MARKET"}
LIMIT = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC"}


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({**BTC, "quantity": "0.0001"}, -1111),
        ({**BTC, "quantity": "0"}, -4003),
        ({**BTC, "quantity": "200"}, -4005),
        ({**BTC, "quantity": "0.001"}, -4164),
        ({**LIMIT, "quantity": "0.010", "price": "59000.05"}, -1111),
        ({**LIMIT, "quantity": "0.010", "price": "70000"}, -4016),
        ({**BTC, "symbol": "DOGEUSDT", "quantity": "1"}, -1121),
        ({**BTC, "side": "UP", "quantity": "0.010"}, -1117),
        ({**BTC, "type": "FANCY", "quantity": "0.010"}, -1116),
        ({**BTC, "type": "STOP", "quantity": "0.010", "price": "1", "stopPrice": "2"}, None),
        ({**BTC}, -1102),
        ({**BTC, "quantity": "0.010", "positionSide": "SHORT"}, -4061),
        ({**BTC, "quantity": "0.010", "reduceOnly": "true"}, -2022),
        ({**BTC, "quantity": "50"}, -2019),
        ({**LIMIT, "quantity": "0.010", "price": "61000", "timeInForce": "GTX"}, -5022),
        ({**LIMIT, "quantity": "0.010", "price": "59000", "timeInForce": "FOK"}, -5021),
        ({**BTC, "quantity": "0.010", "newClientOrderId": "bad id!"}, -4015),
    ],
)
def test_order_rejections(client: Client, params: dict[str, str], code: int | None) -> None:
    if code is None:  # STOP goes to the algo API via python-binance; LIMIT price etc. checked
        with pytest.raises(BinanceAPIException):
            client.futures_create_order(**params)
        return
    status, got, _ = _code(client.futures_create_order, **params)
    assert (status, got) == (400, code)


def test_stop_on_plain_order_endpoint_is_minus_4120(client: Client) -> None:
    status, code, msg = _code(
        client.futures_coin_create_order,
        symbol="BNBUSD_PERP",
        side="SELL",
        type="STOP_MARKET",
        quantity="1",
        stopPrice="500",
    )
    assert (status, code) == (400, -4120)
    assert "Algo Order API" in msg


def test_lookup_and_idempotency_codes(client: Client) -> None:
    assert _code(client.futures_get_order, symbol="BTCUSDT", orderId=1)[1] == -2013
    assert _code(client.futures_cancel_order, symbol="BTCUSDT", orderId=1)[1] == -2011
    client.futures_create_order(**LIMIT, quantity="0.010", price="59000", newClientOrderId="dup")
    assert (
        _code(
            client.futures_create_order,
            **LIMIT,
            quantity="0.010",
            price="59000",
            newClientOrderId="dup",
        )[1]
        == -4116
    )
    assert (
        _code(client.futures_change_margin_type, symbol="BTCUSDT", marginType="CROSSED")[2]
        == "No need to change margin type."
    )
    assert _code(client.futures_change_position_mode, dualSidePosition="false")[1] == -4059
    assert _code(client.futures_change_multi_assets_mode, multiAssetsMargin=False)[1] == -4171
    assert _code(client.futures_change_position_mode, dualSidePosition="true")[1] == -4067
    assert (
        _code(client.futures_change_margin_type, symbol="BTCUSDT", marginType="ISOLATED")[1]
        == -4047
    )
    assert _code(client.futures_change_leverage, symbol="BTCUSDT", leverage=126)[1] == -4028
    client.futures_cancel_all_open_orders(symbol="BTCUSDT")
    client.futures_create_order(**BTC, quantity="0.010")
    assert (
        _code(client.futures_change_margin_type, symbol="BTCUSDT", marginType="ISOLATED")[1]
        == -4048
    )
    assert _code(client.futures_change_position_mode, dualSidePosition="true")[1] == -4068
    client.futures_change_multi_assets_mode(True)
    assert (
        _code(client.futures_change_margin_type, symbol="ETHUSDT", marginType="ISOLATED")[1]
        == -4168
    )
    algo = _code(
        client.futures_create_order,
        symbol="BTCUSDT",
        side="BUY",
        type="STOP_MARKET",
        stopPrice="59000",
        closePosition="true",
    )
    assert algo[1] == -2021


def test_hedge_mode_rules(client: Client) -> None:
    client.futures_change_position_mode(dualSidePosition="true")
    assert _code(client.futures_create_order, **BTC, quantity="0.010")[1] == -4061
    assert (
        _code(
            client.futures_create_order,
            **BTC,
            quantity="0.010",
            positionSide="SHORT",
            reduceOnly="true",
        )[1]
        == -1106
    )
    client.futures_create_order(**BTC, quantity="0.010", positionSide="SHORT")
    client.futures_create_order(**{**BTC, "side": "BUY"}, quantity="0.010", positionSide="LONG")
    sides = {p["positionSide"]: p["positionAmt"] for p in client.futures_position_information()}
    assert sides == {"LONG": "0.010", "SHORT": "-0.010"}
    assert (
        _code(
            client.futures_create_order,
            **{**BTC, "side": "BUY"},
            quantity="0.020",
            positionSide="SHORT",
        )[1]
        == -2022
    )


def test_weight_limit_429_then_418(emulator: EmulatorHandle, client: Client) -> None:
    emulator.control.configure(weight_per_minute=5, ban_after_rejections=2, ban_secs=60)
    for used in range(1, 6):
        response = requests.get(f"{emulator.base_url}/fapi/v1/time", timeout=5)
        assert response.headers["X-MBX-USED-WEIGHT-1M"] == str(used)
    limited = requests.get(f"{emulator.base_url}/fapi/v1/time", timeout=5)
    assert limited.status_code == 429
    assert limited.json()["code"] == -1003
    assert int(limited.headers["Retry-After"]) >= 1
    requests.get(f"{emulator.base_url}/fapi/v1/time", timeout=5)
    banned = requests.get(f"{emulator.base_url}/fapi/v1/time", timeout=5)
    assert banned.status_code == 418
    assert "IP banned until" in banned.json()["msg"]
    assert banned.headers["Retry-After"] == "60"
    assert _code(client.futures_time)[:2] == (418, -1003)


def test_order_count_headers_and_limit(emulator: EmulatorHandle, client: Client) -> None:
    emulator.control.configure(orders_per_10s=2)
    client.futures_create_order(**BTC, quantity="0.010")
    headers = client.response.headers
    assert headers["X-MBX-ORDER-COUNT-10S"] == "1"
    assert headers["X-MBX-ORDER-COUNT-1M"] == "1"
    client.futures_create_order(**BTC, quantity="0.010")
    status, code, _ = _code(client.futures_create_order, **BTC, quantity="0.010")
    assert (status, code) == (429, -1015)


def _positions(client: Client) -> list[str]:
    return [p["positionAmt"] for p in client.futures_position_information()]


@pytest.mark.parametrize(
    ("kind", "status", "code", "executed"),
    [
        ("http_500", 500, -1000, False),
        ("http_502", 502, 0, False),
        ("http_503_unknown", 503, -1000, True),
        ("http_429", 429, -1003, False),
        ("http_418", 418, -1003, False),
        ("clock_skew_1021", 400, -1021, False),
    ],
)
def test_http_faults(
    emulator: EmulatorHandle, client: Client, kind: str, status: int, code: int, executed: bool
) -> None:
    emulator.control.inject_fault("/fapi/v1/order", kind, count=1)
    got = _code(client.futures_create_order, **BTC, quantity="0.010", newClientOrderId="f1")
    assert got[:2] == (status, code)
    if kind == "http_503_unknown":
        assert "Unknown error" in got[2]
        found = client.futures_get_order(symbol="BTCUSDT", origClientOrderId="f1")
        assert found["status"] == "FILLED", "503 unknown status: the order did execute"
    assert _positions(client) == (["-0.010"] if executed else [])
    client.futures_create_order(**BTC, quantity="0.010", newClientOrderId="f2")  # fault used up


def test_503_without_execution(emulator: EmulatorHandle, client: Client) -> None:
    emulator.control.inject_fault("/fapi/v1/order", "http_503_unknown", executed=False)
    assert _code(client.futures_create_order, **BTC, quantity="0.010")[0] == 503
    assert _positions(client) == []


def test_timeout_executes_but_never_answers(emulator: EmulatorHandle) -> None:
    client = python_binance_client(emulator, timeout=0.5)
    emulator.control.inject_fault("/fapi/v1/order", "timeout_executed", timeout_secs=1.0)
    started = time.monotonic()
    with pytest.raises(requests.exceptions.RequestException):
        client.futures_create_order(**BTC, quantity="0.010", newClientOrderId="t1")
    assert time.monotonic() - started < 3
    found = client.futures_get_order(symbol="BTCUSDT", origClientOrderId="t1")
    assert found["status"] == "FILLED"


def test_partial_fill_fault(emulator: EmulatorHandle, client: Client) -> None:
    emulator.control.inject_fault("/fapi/v1/order", "partial_fill", ratio="0.5")
    order = client.futures_create_order(**BTC, quantity="0.020", newOrderRespType="RESULT")
    assert (order["status"], order["executedQty"]) == ("EXPIRED", "0.010")
    emulator.control.inject_fault("/fapi/v1/order", "partial_fill")
    limit = client.futures_create_order(
        symbol="BTCUSDT",
        side="SELL",
        type="LIMIT",
        timeInForce="GTC",
        quantity="0.020",
        price="59900",
        newOrderRespType="RESULT",
    )
    assert (limit["status"], limit["executedQty"]) == ("PARTIALLY_FILLED", "0.010")
    assert _positions(client) == ["-0.020"]


def test_fault_is_scoped_to_its_path(emulator: EmulatorHandle, client: Client) -> None:
    emulator.control.inject_fault("/fapi/v1/order", "http_500", count=2)
    assert client.futures_time()["serverTime"] > 0
    assert len(emulator.control.snapshot()["faults"]) == 1
    emulator.control.clear_faults()
    client.futures_create_order(**BTC, quantity="0.010")


def test_unknown_route_is_html_404(client: Client) -> None:
    status, code, msg = _code(client._request_futures_api, method="get", path="nope")
    assert (status, code) == (404, 0)
    assert "Invalid JSON" in msg
