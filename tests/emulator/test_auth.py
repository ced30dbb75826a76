"""Authentication like Binance: key header, HMAC over what is sent, timestamp window."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import ccxt
import httpx
import pytest
from binance.client import Client
from binance.exceptions import BinanceAPIException

from bot.emulator.signing import hmac_hex
from bot.emulator.testing import EmulatorHandle, python_binance_client
from tests.emulator.test_conformance_ccxt import _ccxt

pytestmark = pytest.mark.exchange


def test_docs_signature_vector() -> None:
    secret = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9"
    payload = (
        "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000&timeInForce=GTC"
        "&recvWindow=5000&timestamp=1591702613943"
    )
    expected = "3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9"
    assert hmac_hex(secret, payload) == expected


def _signed_get(
    emulator: EmulatorHandle,
    params: dict[str, str],
    *,
    secret: str | None = None,
    key: str | None = None,
) -> httpx.Response:
    query = urlencode(params)
    signature = hmac_hex(secret or emulator.api_secret, query)
    headers = {"X-MBX-APIKEY": key if key is not None else emulator.api_key}
    return httpx.get(
        f"{emulator.base_url}/fapi/v2/account?{query}&signature={signature}", headers=headers
    )


def _now() -> str:
    return str(int(time.time() * 1000))


def test_auth_errors_have_binance_status_and_body(emulator: EmulatorHandle) -> None:
    ok = _signed_get(emulator, {"timestamp": _now()})
    assert ok.status_code == 200
    bad = _signed_get(emulator, {"timestamp": _now()}, secret="wrong")
    assert (bad.status_code, bad.json()["code"]) == (400, -1022)
    assert bad.json()["msg"] == "Signature for this request is not valid."
    unknown = _signed_get(emulator, {"timestamp": _now()}, key="nosuchkey")
    assert unknown.status_code == 401
    assert unknown.json()["code"] == -2015
    assert unknown.json()["msg"].startswith("Invalid API-key, IP, or permissions for action")
    missing = _signed_get(emulator, {"timestamp": _now()}, key="")
    assert (missing.status_code, missing.json()["code"]) == (401, -2014)
    no_ts = _signed_get(emulator, {"recvWindow": "5000"})
    assert no_ts.json() == {
        "code": -1102,
        "msg": "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.",
    }
    old = _signed_get(emulator, {"timestamp": str(int(_now()) - 6000)})
    assert old.json()["code"] == -1021
    assert "outside of the recvWindow" in old.json()["msg"]
    wide = _signed_get(emulator, {"timestamp": str(int(_now()) - 6000), "recvWindow": "10000"})
    assert wide.status_code == 200
    ahead = _signed_get(emulator, {"timestamp": str(int(_now()) + 5000)})
    assert ahead.json()["code"] == -1021
    assert "1000ms ahead" in ahead.json()["msg"]
    too_big = _signed_get(emulator, {"timestamp": _now(), "recvWindow": "70000"})
    assert too_big.status_code == 400
    assert too_big.json()["code"] == -1131
    unsigned = httpx.get(
        f"{emulator.base_url}/fapi/v2/account?timestamp={_now()}",
        headers={"X-MBX-APIKEY": emulator.api_key},
    )
    assert unsigned.json()["code"] == -1102


def test_python_binance_surfaces_auth_errors(emulator: EmulatorHandle) -> None:
    wrong = python_binance_client(emulator, api_secret="not-the-secret")
    with pytest.raises(BinanceAPIException) as caught:
        wrong.futures_account()
    assert (caught.value.status_code, caught.value.code) == (400, -1022)


def test_colon_slash_client_id_lenient_then_strict(
    client: Client, emulator: EmulatorHandle
) -> None:
    order = client.futures_create_order(
        symbol="BTCUSDT", side="SELL", type="MARKET", quantity="0.010", newClientOrderId="my:id/1"
    )
    assert order["clientOrderId"] == "my:id/1"
    assert emulator.control.snapshot()["lenient_signatures"] == 1
    emulator.control.configure(strict_signatures=True)
    with pytest.raises(BinanceAPIException) as caught:
        client.futures_create_order(
            symbol="BTCUSDT",
            side="SELL",
            type="MARKET",
            quantity="0.010",
            newClientOrderId="my:id/2",
        )
    assert caught.value.code == -1022
    safe = client.futures_create_order(
        symbol="BTCUSDT",
        side="SELL",
        type="MARKET",
        quantity="0.010",
        newClientOrderId="hb_safe-id",
    )
    assert safe["clientOrderId"] == "hb_safe-id"


def test_ccxt_percent_encoded_signing_verifies_strictly(emulator: EmulatorHandle) -> None:
    emulator.control.configure(strict_signatures=True)
    usdm = _ccxt(ccxt.binanceusdm, emulator)
    order = usdm.create_order(
        "BTC/USDT:USDT", "market", "sell", 0.01, params={"clientOrderId": "cc:x/1"}
    )
    assert order["clientOrderId"] == "cc:x/1"


def test_server_skew_rejects_until_client_syncs(emulator: EmulatorHandle) -> None:
    emulator.control.configure(server_skew_ms=-20_000)
    client = python_binance_client(emulator)
    with pytest.raises(BinanceAPIException) as caught:
        client.futures_account()
    assert caught.value.code == -1021
    client.timestamp_offset = client.futures_time()["serverTime"] - int(time.time() * 1000)
    assert client.futures_account()["canTrade"] is True
