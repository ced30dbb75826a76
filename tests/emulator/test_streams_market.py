"""Mark-price streams as python-binance's TWM and a plain websockets client see them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
import websockets
from binance import ThreadedWebsocketManager
from binance.enums import FuturesType

from bot.emulator.testing import EmulatorHandle
from tests.emulator.stream_helpers import Inbox, drain, recv_json, recv_until, ws_url

USDM_KEYS = {"e", "E", "s", "p", "i", "P", "r", "ap", "T", "st"}
COINM_KEYS = {"e", "E", "s", "p", "i", "P", "r", "T"}
TwmFactory = Callable[..., ThreadedWebsocketManager]


def _data_with_price(price: str) -> Callable[[Any], bool]:
    return lambda m: isinstance(m, dict) and m.get("data", {}).get("p") == price


def test_twm_mark_socket_gets_combined_frames_with_the_emulator_mark(
    emulator: EmulatorHandle, twm_factory: TwmFactory
) -> None:
    inbox = Inbox()
    twm_factory().start_symbol_mark_price_socket(callback=inbox, symbol="BTCUSDT")
    inbox.wait_for(lambda m: "stream" in m)
    emulator.control.set_mark("BTCUSDT", "71234.5", index="71200")
    frame = inbox.wait_for(_data_with_price("71234.50000000"))
    assert frame["stream"] == "btcusdt@markPrice@1s"
    data = frame["data"]
    assert set(data) == USDM_KEYS
    assert (data["e"], data["s"], data["i"], data["st"]) == (
        "markPriceUpdate",
        "BTCUSDT",
        "71200.00000000",
        1,
    )
    assert data["r"] == "0.00010000"
    assert isinstance(data["E"], int)
    assert data["T"] > data["E"]


def test_twm_coinm_mark_socket_on_the_d_prefix(
    emulator: EmulatorHandle, twm_factory: TwmFactory
) -> None:
    inbox = Inbox()
    twm_factory().start_symbol_mark_price_socket(
        callback=inbox, symbol="BTCUSD_PERP", futures_type=FuturesType.COIN_M
    )
    emulator.control.set_mark("BTCUSD_PERP", "65000.1")
    frame = inbox.wait_for(_data_with_price("65000.10000000"))
    assert frame["stream"] == "btcusd_perp@markPrice@1s"
    assert set(frame["data"]) == COINM_KEYS
    assert frame["data"]["r"] != ""
    assert frame["data"]["T"] > 0


def test_raw_path_sends_the_bare_payload_and_1s_3s_cadence_shape(
    emulator: EmulatorHandle,
) -> None:
    emulator.control.configure(stream_push_on_mark_change=False)

    async def run() -> None:
        url = ws_url(emulator, "/market/stream?streams=ethusdt@markPrice/ethusdt@markPrice@1s")
        async with (
            websockets.connect(ws_url(emulator, "/market/ws/ethusdt@markPrice@1s")) as raw,
            websockets.connect(url) as combined,
        ):
            bare = await recv_json(raw)
            assert bare["e"] == "markPriceUpdate"
            assert bare["s"] == "ETHUSDT"
            slow = lambda m: m["stream"] == "ethusdt@markPrice"  # noqa: E731
            await recv_until(combined, slow)
            _, between = await recv_until(combined, slow)
            assert [m["stream"] for m in between] == ["ethusdt@markPrice@1s"] * 3
            times = [m["data"]["E"] for m in between]
            assert times == sorted(times)

    asyncio.run(run())


def test_mark_change_is_pushed_at_once_by_default(emulator: EmulatorHandle) -> None:
    async def run() -> None:
        async with websockets.connect(ws_url(emulator, "/market/ws/bnbusdt@markPrice")) as ws:
            await asyncio.to_thread(emulator.control.set_mark, "BNBUSDT", "701")
            await asyncio.to_thread(emulator.control.set_mark, "BNBUSDT", "702")
            await recv_until(ws, lambda m: m["p"] == "701.00000000")
            await recv_until(ws, lambda m: m["p"] == "702.00000000")

    asyncio.run(run())


def test_all_market_array_stream(emulator: EmulatorHandle) -> None:
    async def run() -> None:
        async with websockets.connect(ws_url(emulator, "/market/ws/!markPrice@arr@1s")) as ws:
            rows = await recv_json(ws)
            assert sorted(r["s"] for r in rows) == ["BNBUSDT", "BTCUSDT", "ETHUSDT"]

    asyncio.run(run())


def test_coinm_raw_stream_and_legacy_usdm_path_pushes_nothing(emulator: EmulatorHandle) -> None:
    async def run() -> None:
        legacy_url = ws_url(emulator, "/stream?streams=btcusdt@markPrice@1s")
        async with (
            websockets.connect(legacy_url) as legacy,
            websockets.connect(ws_url(emulator, "/ws/btcusdt@markPrice@1s")) as legacy_raw,
            websockets.connect(ws_url(emulator, "/d/ws/bnbusd_perp@markPrice@1s")) as coinm,
        ):
            await asyncio.to_thread(emulator.control.set_mark, "BTCUSDT", "66000")
            first = await recv_json(coinm)
            await recv_json(coinm)  # a second tick: the legacy sockets had their chance
            assert first["s"] == "BNBUSD_PERP"
            assert set(first) == COINM_KEYS
            for socket in (legacy, legacy_raw):
                with pytest.raises(TimeoutError):
                    await asyncio.wait_for(socket.recv(), 0.2)
            await legacy.ping()  # the handshake held: the socket is open

    asyncio.run(run())


def test_live_subscribe_and_message_rate_limit(emulator: EmulatorHandle) -> None:
    async def run() -> None:
        async with websockets.connect(ws_url(emulator, "/market/ws/btcusdt@markPrice")) as ws:
            await ws.send('{"method":"SUBSCRIBE","params":["ethusdt@markPrice@1s"],"id":7}')
            reply, _ = await recv_until(ws, lambda m: isinstance(m, dict) and m.get("id") == 7)
            assert reply == {"result": None, "id": 7}
            await recv_until(ws, lambda m: m.get("s") == "ETHUSDT")
            for ident in range(30):
                await ws.send(f'{{"method":"LIST_SUBSCRIPTIONS","id":{ident}}}')
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await drain(ws)
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 1008

    asyncio.run(run())


def test_connection_is_closed_at_its_lifetime_and_stream_cap(emulator: EmulatorHandle) -> None:
    emulator.control.configure(stream_max_lifetime_secs=1)

    async def run() -> None:
        async with websockets.connect(ws_url(emulator, "/market/ws/btcusdt@markPrice")) as ws:
            with pytest.raises(websockets.ConnectionClosedOK):
                await drain(ws)
        names = "/".join(f"s{i}@markPrice" for i in range(1025))
        with pytest.raises(websockets.InvalidStatus):
            async with websockets.connect(ws_url(emulator, f"/market/stream?streams={names}")):
                pass

    asyncio.run(run())
