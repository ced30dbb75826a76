"""The stream client with python-binance's real TWM against the project's emulator: marks and
fills arrive by WebSocket, REST answers while a stream is down, dropped/stalled/expired streams
come back, duplicated or reordered events are not counted twice."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest

from bot.core.model import MarginType, Side
from bot.exchange.base import AccountSetup, SymbolSetup
from bot.exchange.binance import BinanceFutures
from bot.exchange.binance.streams import (
    AccountStreamState,
    MarkBook,
    StreamClient,
    StreamedExchange,
    stream_origins,
)
from tests.exchange.conftest import BNB_SYMBOLS, FakeTime, live_adapter
from tests.exchange.specs import intent

MARK_ROUTES = ("GET /fapi/v1/premiumIndex", "GET /dapi/v1/premiumIndex")
POSITION_ROUTES = ("GET /fapi/v3/positionRisk", "GET /dapi/v1/positionRisk")
SETUP = AccountSetup(
    symbols=(
        SymbolSetup(symbol="BNBUSDT", leverage=5, margin_type=MarginType.CROSS),
        SymbolSetup(symbol="BNBUSD_PERP", leverage=3, margin_type=MarginType.CROSS),
    )
)
DEADLINE_SECS = 45.0  # generous: a loaded CI box; python-binance reconnects with 1-3 s backoff


def wait_until(what: str, condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + DEADLINE_SECS
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for: {what}"
        time.sleep(0.05)


def weight(emulator: Any, routes: tuple[str, ...]) -> int:
    spent = emulator.control.snapshot()["weight_by_endpoint"]
    return sum(int(v) for k, v in spent.items() if k in routes)


def stream_fault(emulator: Any, kind: str, **params: Any) -> Any:
    return emulator.control._call("POST", "stream-faults", {"kind": kind, **params})


@pytest.fixture
def rest(emulator: Any) -> BinanceFutures:
    return live_adapter(emulator, FakeTime(), sleep=time.sleep)


@pytest.fixture
def streamed(emulator: Any, rest: BinanceFutures) -> Iterator[StreamedExchange]:
    specs = rest.contract_specs()
    client = StreamClient(
        symbols=BNB_SYMBOLS,
        marks=MarkBook(),
        account=AccountStreamState(specs),
        network=rest.network,
        origins=stream_origins("custom", emulator.base_url),
        api_key=emulator.api_key,
        api_secret=emulator.api_secret,
    )
    exchange = StreamedExchange(rest, client, mark_max_age_secs=3, account_check_secs=600)
    exchange.setup(SETUP)
    exchange.start()
    yield exchange
    exchange.stop()


def _streaming(exchange: StreamedExchange, symbol: str = "BNBUSDT") -> bool:
    now = time.monotonic()
    return exchange.streams.marks.fresh(symbol, now=now, max_age_secs=3) is not None


def _user_synced(exchange: StreamedExchange) -> bool:
    exchange.positions()
    account = exchange.streams.account
    return account is not None and account.view() is not None


def test_streamed_marks_stop_the_rest_mark_reads(emulator: Any, streamed: StreamedExchange) -> None:
    emulator.control.set_mark("BNBUSDT", Decimal("612.5"))
    wait_until("a streamed USD-M mark", lambda: _streaming(streamed))
    wait_until("a streamed COIN-M mark", lambda: _streaming(streamed, "BNBUSD_PERP"))
    before = weight(emulator, MARK_ROUTES)
    for _ in range(20):
        assert streamed.mark_price("BNBUSDT") == Decimal("612.5")
        streamed.mark_price("BNBUSD_PERP")
    assert weight(emulator, MARK_ROUTES) == before


def test_a_fill_is_read_once_from_rest_then_served_by_the_stream(
    emulator: Any, streamed: StreamedExchange
) -> None:
    """The margin a fill locks is in no event: its ACCOUNT_UPDATE sends the next read to
    REST; after that the position costs no weight."""
    wait_until("the user stream synced", lambda: _user_synced(streamed))
    reads = streamed.account_reads
    report = streamed.place(intent("BNBUSDT", Side.SELL, "0.5", "hb-stream-1"))
    assert report.executed_quantity == Decimal("0.5")
    wait_until(
        "the fill on the stream",
        lambda: [p.quantity for p in streamed.positions()] == [Decimal("-0.5")],
    )
    assert streamed.account_reads > reads
    before = weight(emulator, POSITION_ROUTES)
    for _ in range(3):
        assert [p.quantity for p in streamed.positions()] == [Decimal("-0.5")]
    assert weight(emulator, POSITION_ROUTES) == before


def test_a_dropped_mark_stream_falls_back_to_rest_then_streams_again(
    emulator: Any, streamed: StreamedExchange
) -> None:
    wait_until("a streamed mark", lambda: _streaming(streamed))
    # Dropped, and silent for a while after python-binance reconnects (1-3 s backoff).
    stream_fault(emulator, "stream_stall", scope="market", seconds=6)
    stream_fault(emulator, "stream_drop", scope="market")
    emulator.control.set_mark("BNBUSDT", Decimal(640))
    wait_until("the REST answer", lambda: streamed.mark_price("BNBUSDT") == Decimal(640))
    wait_until("the REST fallback", lambda: streamed.mark_fallbacks >= 1)
    wait_until("marks streaming again", lambda: _streaming(streamed))
    fallbacks = streamed.mark_fallbacks
    streamed.mark_price("BNBUSDT")
    assert streamed.mark_fallbacks == fallbacks


def test_a_stalled_stream_goes_stale_and_rest_answers(
    emulator: Any, streamed: StreamedExchange
) -> None:
    wait_until("a streamed mark", lambda: _streaming(streamed))
    stream_fault(emulator, "stream_stall", scope="market", seconds=8)
    wait_until("the streamed mark to go stale", lambda: not _streaming(streamed))
    before = weight(emulator, MARK_ROUTES)
    assert streamed.mark_price("BNBUSDT") == Decimal(600)
    assert weight(emulator, MARK_ROUTES) > before
    wait_until("marks streaming after the stall", lambda: _streaming(streamed))


def test_an_expired_listen_key_gets_a_new_key_and_a_rest_resync(
    emulator: Any, streamed: StreamedExchange
) -> None:
    wait_until("the user stream synced", lambda: _user_synced(streamed))
    stream_fault(emulator, "listen_key_expire")
    wait_until("the restart", lambda: streamed.streams.restarts >= 1)
    seeded = weight(emulator, POSITION_ROUTES)
    wait_until("the user stream synced again", lambda: _user_synced(streamed))
    assert weight(emulator, POSITION_ROUTES) > seeded  # the resync read
    streamed.place(intent("BNBUSDT", Side.SELL, "0.5", "hb-stream-2"))
    wait_until(
        "the fill on the new key",
        lambda: [p.quantity for p in streamed.positions()] == [Decimal("-0.5")],
    )


def test_duplicated_and_reordered_events_are_not_counted_twice(
    emulator: Any, streamed: StreamedExchange
) -> None:
    wait_until("the user stream synced", lambda: _user_synced(streamed))
    stream_fault(emulator, "stream_duplicate", scope="user", count=20)
    stream_fault(emulator, "stream_reorder", count=5)
    for n in range(3):
        streamed.place(intent("BNBUSDT", Side.SELL, "0.5", f"hb-stream-dup-{n}"))
    wait_until(
        "three fills on the stream",
        lambda: [p.quantity for p in streamed.positions()] == [Decimal("-1.5")],
    )
    account = streamed.streams.account
    assert account is not None
    assert account.duplicates > 0
    assert account.order_status == {f"hb-stream-dup-{n}": "FILLED" for n in range(3)}
