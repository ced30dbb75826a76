"""User-data streams: listenKey REST, the events after fills, cancels, transfers and funding,
and listenKey expiry, through python-binance (TWM and Client) and a plain websockets client."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from decimal import Decimal

import httpx
import pytest
import websockets
from binance import ThreadedWebsocketManager
from binance.client import Client
from binance.exceptions import BinanceAPIException

from bot.emulator.testing import EmulatorHandle
from tests.emulator.stream_helpers import (
    Inbox,
    is_event,
    listen_key,
    recv_json,
    wait_for_open,
    ws_url,
)

TwmFactory = Callable[..., ThreadedWebsocketManager]


def _open_user_socket(emulator: EmulatorHandle, twm_factory: TwmFactory, inbox: Inbox) -> None:
    twm_factory().start_futures_user_socket(callback=inbox)
    wait_for_open(emulator, "user", 1)


def test_listen_key_rest_rules(emulator: EmulatorHandle, client: Client) -> None:
    key = client.futures_stream_get_listen_key()
    assert len(key) == 64
    assert client.futures_stream_get_listen_key() == key  # active key returned again
    assert client.futures_stream_keepalive(key) == {"listenKey": key}
    coin_key = client.futures_coin_stream_get_listen_key()
    assert coin_key != key
    assert client.futures_stream_close(key) == {}
    with pytest.raises(BinanceAPIException) as unknown:
        client.futures_stream_keepalive(key)
    assert (unknown.value.code, unknown.value.message) == (-1125, "This listenKey does not exist.")
    assert client.futures_coin_stream_keepalive(coin_key) == {"listenKey": coin_key}
    assert client.futures_stream_get_listen_key() != key  # a new one after the close
    weights = emulator.control.snapshot()["weight_by_endpoint"]
    assert weights["POST /fapi/v1/listenKey"] == 3
    assert weights["PUT /fapi/v1/listenKey"] == 2


def test_listen_key_needs_the_api_key_header(emulator: EmulatorHandle) -> None:
    response = httpx.post(f"{emulator.base_url}/fapi/v1/listenKey")
    assert response.status_code == 401
    assert response.json()["code"] == -2014


def test_market_order_fill_events(
    emulator: EmulatorHandle, client: Client, twm_factory: TwmFactory
) -> None:
    inbox = Inbox()
    _open_user_socket(emulator, twm_factory, inbox)
    emulator.control.set_mark("BTCUSDT", "60000")
    client.futures_create_order(
        symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.01", newClientOrderId="hedge-1"
    )
    fill = inbox.wait_for(is_event("ORDER_TRADE_UPDATE", x="TRADE"))["o"]
    new = inbox.wait_for(is_event("ORDER_TRADE_UPDATE", x="NEW"))["o"]
    account = inbox.wait_for(is_event("ACCOUNT_UPDATE"))
    order_events = inbox.events("ORDER_TRADE_UPDATE")
    assert [e["o"]["x"] for e in order_events] == ["NEW", "TRADE"]
    assert (new["c"], new["X"], new["z"]) == ("hedge-1", "NEW", "0")
    assert (fill["c"], fill["X"], fill["l"], fill["z"], fill["L"]) == (
        "hedge-1",
        "FILLED",
        "0.01",
        "0.01",
        "60000",
    )
    assert Decimal(fill["n"]) == Decimal("0.01") * 60000 * Decimal("0.0005")
    assert (fill["N"], fill["rp"], fill["m"]) == ("USDT", "0", False)
    update = account["a"]
    assert update["m"] == "ORDER"
    assert update["P"][0]["s"] == "BTCUSDT"
    assert update["P"][0]["pa"] == "0.01"
    assert Decimal(update["B"][0]["wb"]) == Decimal("10000") - Decimal(fill["n"])


def test_resting_order_cancel_and_closing_fill_realise_profit(
    emulator: EmulatorHandle, client: Client, twm_factory: TwmFactory
) -> None:
    inbox = Inbox()
    _open_user_socket(emulator, twm_factory, inbox)
    emulator.control.set_mark("ETHUSDT", "3000")
    client.futures_create_order(
        symbol="ETHUSDT",
        side="BUY",
        type="LIMIT",
        timeInForce="GTC",
        quantity="1",
        price="2900",
        newClientOrderId="rest-1",
    )
    client.futures_cancel_order(symbol="ETHUSDT", origClientOrderId="rest-1")
    canceled = inbox.wait_for(is_event("ORDER_TRADE_UPDATE", x="CANCELED"))["o"]
    assert (canceled["c"], canceled["X"]) == ("rest-1", "CANCELED")
    client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="1")
    emulator.control.set_mark("ETHUSDT", "3100")
    client.futures_create_order(symbol="ETHUSDT", side="SELL", type="MARKET", quantity="1")
    closing = inbox.wait_for(is_event("ORDER_TRADE_UPDATE", x="TRADE", S="SELL"))["o"]
    assert Decimal(closing["rp"]) == Decimal("100")
    flat = inbox.wait_for(lambda m: is_event("ACCOUNT_UPDATE")(m) and m["a"]["P"][0]["pa"] == "0")
    assert Decimal(flat["a"]["P"][0]["cr"]) == Decimal("100")


def test_transfers_and_funding_push_account_updates(
    emulator: EmulatorHandle, client: Client, twm_factory: TwmFactory
) -> None:
    inbox = Inbox()
    _open_user_socket(emulator, twm_factory, inbox)
    emulator.control.fund("USDT", "500", venue="spot")
    client.universal_transfer(type="MAIN_UMFUTURE", asset="USDT", amount="250")
    client.universal_transfer(type="UMFUTURE_MAIN", asset="USDT", amount="50")
    deposit = inbox.wait_for(lambda m: m.get("a", {}).get("m") == "DEPOSIT")["a"]
    withdraw = inbox.wait_for(lambda m: m.get("a", {}).get("m") == "WITHDRAW")["a"]
    assert deposit["P"] == []
    assert deposit["B"][0]["a"] == "USDT"
    assert Decimal(deposit["B"][0]["bc"]) == 250
    assert Decimal(deposit["B"][0]["wb"]) == 10250
    assert Decimal(withdraw["B"][0]["bc"]) == -50
    assert Decimal(withdraw["B"][0]["wb"]) == 10200
    client.futures_create_order(symbol="BTCUSDT", side="SELL", type="MARKET", quantity="0.01")
    emulator.control.advance_time(8 * 3600)
    funding = inbox.wait_for(lambda m: m.get("a", {}).get("m") == "FUNDING_FEE")["a"]
    assert funding["S"] == "BTCUSDT"
    assert funding["P"] == []


def test_expired_listen_key_pushes_the_event_then_nothing(
    emulator: EmulatorHandle, client: Client
) -> None:
    emulator.control.configure(listen_key_validity_secs=1)
    key = listen_key(emulator)

    async def run() -> None:
        async with websockets.connect(ws_url(emulator, f"/private/ws?listenKey={key}")) as ws:
            expired = await recv_json(ws)
            assert expired == {"e": "listenKeyExpired", "E": expired["E"], "listenKey": key}
            assert isinstance(expired["E"], int)
            with pytest.raises(BinanceAPIException) as unknown:
                await asyncio.to_thread(client.futures_stream_keepalive, key)
            assert unknown.value.code == -1125
            await asyncio.to_thread(
                client.futures_create_order,
                symbol="BTCUSDT",
                side="BUY",
                type="MARKET",
                quantity="0.01",
            )
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(ws.recv(), 1.0)

    asyncio.run(run())


def test_unknown_listen_key_is_refused(emulator: EmulatorHandle) -> None:
    async def run() -> None:
        with pytest.raises(websockets.InvalidStatus):
            async with websockets.connect(ws_url(emulator, "/private/ws?listenKey=nope")):
                pass

    asyncio.run(run())


def test_coinm_user_stream_on_the_d_prefix(
    emulator: EmulatorHandle, client: Client, twm_factory: TwmFactory
) -> None:
    inbox = Inbox()
    twm_factory().start_coin_futures_user_socket(callback=inbox)
    wait_for_open(emulator, "user", 1)
    client.futures_coin_create_order(
        symbol="BNBUSD_PERP", side="BUY", type="MARKET", quantity="1", newClientOrderId="cm-1"
    )
    fill = inbox.wait_for(is_event("ORDER_TRADE_UPDATE", x="TRADE"))["o"]
    assert (fill["s"], fill["c"], fill["X"], fill["N"], fill["ma"]) == (
        "BNBUSD_PERP",
        "cm-1",
        "FILLED",
        "BNB",
        "BNB",
    )
    account = inbox.wait_for(is_event("ACCOUNT_UPDATE"))["a"]
    assert account["B"][0]["a"] == "BNB"
    assert account["P"][0]["pa"] == "1"
