"""Stream faults through the control plane: drop, stall, duplicate, reorder, listenKey expiry."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest
import websockets
from binance import ThreadedWebsocketManager
from binance.client import Client
from binance.exceptions import BinanceAPIException

from bot.emulator.testing import EmulatorHandle
from tests.emulator.stream_helpers import (
    Inbox,
    listen_key,
    recv_json,
    recv_until,
    wait_for_open,
    ws_url,
)

TwmFactory = Callable[..., ThreadedWebsocketManager]


def _order(client: Client, client_id: str) -> None:
    client.futures_create_order(
        symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.01", newClientOrderId=client_id
    )


async def _place(client: Client, client_id: str) -> None:
    await asyncio.to_thread(_order, client, client_id)


def _user_url(emulator: EmulatorHandle) -> str:
    return ws_url(emulator, f"/private/ws?listenKey={listen_key(emulator)}")


def test_drop_closes_the_chosen_sockets_and_twm_reconnects(
    emulator: EmulatorHandle, client: Client, twm_factory: TwmFactory
) -> None:
    inbox = Inbox()
    twm_factory().start_symbol_mark_price_socket(callback=inbox, symbol="BTCUSDT")
    inbox.wait_for(lambda m: "stream" in m)

    async def run() -> None:
        async with websockets.connect(_user_url(emulator)) as user:
            await asyncio.to_thread(emulator.control.stream_drop, "user")
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await recv_json(user)
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 1001

    asyncio.run(run())
    assert emulator.control.stream_drop("market") == 1
    closed_at = len(inbox.messages)
    inbox.wait_for(lambda m: m.get("e") == "error", after=closed_at)
    emulator.control.set_mark("BTCUSDT", "61000")
    inbox.wait_for(lambda m: m.get("data", {}).get("p") == "61000.00000000", after=closed_at)


def test_stall_sends_nothing_for_the_stall_then_delivers(
    emulator: EmulatorHandle, client: Client
) -> None:
    async def run() -> None:
        async with websockets.connect(_user_url(emulator)) as user:
            started = time.monotonic()
            await asyncio.to_thread(emulator.control.stream_stall, 1.5, "user")
            await _place(client, "stalled-1")
            first = await recv_json(user)
            assert time.monotonic() - started >= 1.5  # nothing reached us during the stall
            assert first["o"]["c"] == "stalled-1"
            assert first["o"]["x"] == "NEW"

    asyncio.run(run())


def test_duplicate_sends_the_next_events_twice(emulator: EmulatorHandle, client: Client) -> None:
    async def run() -> None:
        async with websockets.connect(_user_url(emulator)) as user:
            await asyncio.to_thread(emulator.control.stream_duplicate, 2, "user")
            await _place(client, "dup-1")
            frames = [await recv_json(user) for _ in range(5)]
            kinds = [(f["e"], f.get("o", {}).get("x")) for f in frames]
            assert kinds == [
                ("ORDER_TRADE_UPDATE", "NEW"),
                ("ORDER_TRADE_UPDATE", "NEW"),
                ("ORDER_TRADE_UPDATE", "TRADE"),
                ("ORDER_TRADE_UPDATE", "TRADE"),
                ("ACCOUNT_UPDATE", None),
            ]
            assert frames[0] == frames[1]

    asyncio.run(run())


def test_reorder_swaps_consecutive_user_events(emulator: EmulatorHandle, client: Client) -> None:
    async def run() -> None:
        async with websockets.connect(_user_url(emulator)) as user:
            await asyncio.to_thread(emulator.control.stream_reorder, 1)
            await _place(client, "swap-1")
            frames = [await recv_json(user) for _ in range(3)]
            kinds = [(f["e"], f.get("o", {}).get("x")) for f in frames]
            assert kinds == [
                ("ORDER_TRADE_UPDATE", "TRADE"),
                ("ORDER_TRADE_UPDATE", "NEW"),
                ("ACCOUNT_UPDATE", None),
            ]
            assert frames[1]["E"] <= frames[0]["E"]  # E still tells the true order

    asyncio.run(run())


def test_market_stall_and_duplicate(emulator: EmulatorHandle) -> None:
    emulator.control.configure(stream_push_on_mark_change=False)

    async def run() -> None:
        async with websockets.connect(ws_url(emulator, "/market/ws/btcusdt@markPrice@1s")) as ws:
            await recv_json(ws)
            started = time.monotonic()
            await asyncio.to_thread(emulator.control.stream_stall, 2.0, "market")
            await asyncio.to_thread(emulator.control.set_mark, "BTCUSDT", "62000")
            await recv_until(ws, lambda m: m["p"] == "62000.00000000")
            assert time.monotonic() - started >= 2.0
            await asyncio.to_thread(emulator.control.stream_duplicate, 1, "market")
            first, second = await recv_json(ws), await recv_json(ws)
            assert first == second

    asyncio.run(run())


def test_listen_key_expire_fault_reaches_twm_and_keepalive_fails(
    emulator: EmulatorHandle, client: Client, twm_factory: TwmFactory
) -> None:
    inbox = Inbox()
    twm_factory().start_futures_user_socket(callback=inbox)
    wait_for_open(emulator, "user", 1)
    key = client.futures_stream_get_listen_key()
    assert emulator.control.listen_key_expire() == 1
    expired = inbox.wait_for(lambda m: m.get("e") == "listenKeyExpired")
    assert expired["listenKey"] == key
    with pytest.raises(BinanceAPIException) as unknown:
        client.futures_stream_keepalive(key)
    assert unknown.value.code == -1125
    assert client.futures_stream_get_listen_key() != key
