"""A MARGIN_CALL from the emulator's user stream through python-binance's TWM: the parsed event
reaches ``on_margin_call`` and the next account read goes to REST."""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from bot.core.model import MarginType, Side
from bot.exchange.binance import BinanceFutures
from bot.exchange.binance.schemas.streams import MarginCall
from bot.exchange.binance.streams import (
    AccountStreamState,
    MarkBook,
    StreamClient,
    StreamedExchange,
    stream_origins,
)
from tests.exchange.conftest import BNB_SYMBOLS, FakeTime, live_adapter
from tests.exchange.specs import intent
from tests.exchange.streams.test_streams_emulator import SETUP, wait_until


@pytest.fixture
def calls() -> list[MarginCall]:
    return []


@pytest.fixture
def streamed(emulator: Any, calls: list[MarginCall]) -> Iterator[StreamedExchange]:
    rest: BinanceFutures = live_adapter(emulator, FakeTime(), sleep=time.sleep)
    client = StreamClient(
        symbols=BNB_SYMBOLS,
        marks=MarkBook(),
        account=AccountStreamState(rest.contract_specs()),
        network=rest.network,
        origins=stream_origins("custom", emulator.base_url),
        api_key=emulator.api_key,
        api_secret=emulator.api_secret,
    )
    exchange = StreamedExchange(
        rest, client, mark_max_age_secs=3, account_check_secs=600, on_margin_call=calls.append
    )
    exchange.setup(SETUP)
    exchange.start()
    yield exchange
    exchange.stop()


def _served_by_the_stream(exchange: StreamedExchange) -> bool:
    """A fill's ACCOUNT_UPDATE sends the next read to REST (the margin it locks is in no
    event): True once a read no longer does."""
    reads = exchange.account_reads
    exchange.positions()
    return exchange.account_reads == reads


def test_margin_call_is_parsed_told_and_sends_the_next_read_to_rest(
    emulator: Any, streamed: StreamedExchange, calls: list[MarginCall]
) -> None:
    # 100 USDT backs a 0.5 BNB short at 600 (99.85 after the fee): at 795.2 the maintenance
    # 0.005·397.6 = 1.988 is 88 % of the margin balance 99.85 − 0.5·195.2 = 2.25
    emulator.control.fund("USDT", "-9900", venue="usdm")
    wait_until("the user stream synced", lambda: streamed.positions() == [])
    streamed.place(intent("BNBUSDT", Side.SELL, "0.5", "hb-mcall-1"))
    wait_until(
        "the fill on the stream",
        lambda: [p.quantity for p in streamed.positions()] == [Decimal("-0.5")],
    )
    wait_until("the fill read once from REST", lambda: _served_by_the_stream(streamed))
    reads = streamed.account_reads

    emulator.control.set_mark("BNBUSDT", "795.2")
    wait_until("the margin call", lambda: len(calls) == 1)
    [call] = calls
    assert call.cross_wallet_balance == Decimal("99.85")
    [row] = call.positions
    assert (row.symbol, row.position_side, row.amount, row.margin_type) == (
        "BNBUSDT",
        "BOTH",
        Decimal("-0.5"),
        MarginType.CROSS,
    )
    assert (row.mark_price, row.maintenance_margin) == (Decimal("795.2"), Decimal("1.988"))
    assert row.unrealized_pnl == Decimal("-97.6")
    assert streamed.margin_calls == 1
    [position] = streamed.positions()
    assert streamed.account_reads == reads + 1  # read again from REST
    assert position.mark_price == Decimal("795.2")
