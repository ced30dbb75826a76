"""StreamedExchange: marks and the account from the streams, REST when they cannot answer."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from bot.core.model import Venue
from bot.exchange.binance.streams import (
    REST_FALLBACK,
    STREAMING,
    AccountStreamState,
    MarkBook,
    StreamClient,
    StreamedExchange,
)
from tests.exchange.specs import BNB_SETUP, SPECS
from tests.exchange.streams import payloads
from tests.exchange.streams.fakes import Managers, RestExchange, position


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def rest() -> RestExchange:
    return RestExchange()


@pytest.fixture
def managers() -> Managers:
    return Managers()


@pytest.fixture
def exchange(rest: RestExchange, managers: Managers, clock: Clock) -> Iterator[StreamedExchange]:
    streams = StreamClient(
        symbols={s: spec.venue for s, spec in SPECS.items()},
        marks=MarkBook(),
        account=AccountStreamState(SPECS),
        clock=clock,
        manager_factory=managers,
    )
    streamed = StreamedExchange(
        rest, streams, mark_max_age_secs=3, account_check_secs=60, clock=clock
    )
    streamed.start()
    managers.wait_for(1)
    streamed.setup(BNB_SETUP)
    yield streamed
    streamed.stop()


def test_a_streamed_mark_is_answered_without_rest(
    exchange: StreamedExchange, rest: RestExchange, managers: Managers, clock: Clock
) -> None:
    managers.made[0].mark(payloads.mark("BNBUSDT", "612.5", 1000))
    assert exchange.mark_price("BNBUSDT") == Decimal("612.5")
    clock.now += 2.9
    assert exchange.mark_price("BNBUSDT") == Decimal("612.5")
    assert rest.mark_reads == 0


def test_a_stale_mark_is_never_returned_rest_answers_and_is_counted(
    exchange: StreamedExchange, rest: RestExchange, managers: Managers, clock: Clock
) -> None:
    managers.made[0].mark(payloads.mark("BNBUSDT", "612.5", 1000))
    clock.now += 3.0
    assert exchange.mark_price("BNBUSDT") == Decimal(600)  # REST's
    assert rest.mark_reads == 1
    assert exchange.mark_fallbacks == 1
    assert exchange.mark_price("BNBUSD_PERP") == Decimal(600)  # never streamed
    states = {s.stream: s.state for s in exchange.status()}
    assert states["marks-usdm"] == REST_FALLBACK
    managers.made[0].mark(payloads.mark("BNBUSDT", "613", 2000))
    assert exchange.mark_price("BNBUSDT") == Decimal(613)
    assert rest.mark_reads == 2


def test_positions_come_from_rest_once_then_from_the_stream(
    exchange: StreamedExchange, rest: RestExchange, managers: Managers, clock: Clock
) -> None:
    assert exchange.positions() == []
    assert rest.position_reads == 1  # the seed
    # A fill: the margin it locks is in no event, so the next read is REST's, once.
    rest.held = [position("BNBUSDT", "-2")]
    managers.made[0].user(payloads.account_update(5000, positions=(("BNBUSDT", "-2", "600"),)))
    (held,) = exchange.positions()
    assert held.quantity == Decimal(-2)
    assert held.leverage == 5
    exchange.positions()
    exchange.balances()
    assert rest.position_reads == 2
    assert rest.balance_reads == 2
    assert {s.stream: s.state for s in exchange.status()}["user-usdm"] == STREAMING


def test_a_streamed_position_is_valued_at_the_streamed_mark(
    exchange: StreamedExchange, rest: RestExchange, managers: Managers
) -> None:
    """No position row comes when only the mark moves: the short opened at 600 shows the
    loss at 660 (what REST's unRealizedProfit would say), with no REST mark read."""
    rest.held = [position("BNBUSDT", "-2")]  # entry 600
    managers.made[0].mark(payloads.mark("BNBUSDT", "660", 6000))
    (held,) = exchange.positions()
    assert held.mark_price == Decimal(660)
    assert held.unrealized_pnl == Decimal(-120)
    assert rest.mark_reads == 0


def test_a_dropped_user_socket_answers_from_rest_until_reseeded(
    exchange: StreamedExchange, rest: RestExchange, managers: Managers
) -> None:
    exchange.positions()
    manager = managers.made[0]
    manager.user(payloads.error("ConnectionClosedOK"))
    manager.streaming = False  # python-binance is reconnecting
    rest.held = [position("BNBUSDT", "-1")]
    assert [p.quantity for p in exchange.positions()] == [Decimal(-1)]
    assert [p.quantity for p in exchange.positions()] == [Decimal(-1)]
    assert rest.position_reads == 3  # seed + two answers from REST while down
    manager.streaming = True
    exchange.positions()  # reseed
    exchange.positions()  # from the stream
    assert rest.position_reads == 4


def test_the_periodic_check_corrects_the_stream_state(
    exchange: StreamedExchange, rest: RestExchange, clock: Clock
) -> None:
    exchange.positions()
    rest.held = [position("BNBUSDT", "-4")]  # something the stream never told
    clock.now += 59
    assert exchange.positions() == []
    clock.now += 1
    assert [p.quantity for p in exchange.positions()] == [Decimal(-4)]
    assert exchange.account_disagreements == 1


def test_an_expired_listen_key_restarts_the_sockets_and_resyncs(
    exchange: StreamedExchange, rest: RestExchange, managers: Managers
) -> None:
    exchange.positions()
    managers.made[0].user(payloads.expired("1736996475556"))
    assert exchange.streams.account is not None
    assert exchange.streams.account.view() is None
    second = managers.wait_for(2)
    assert managers.made[0].stopped.wait(10)  # closed beside the new sockets, not before
    rest.held = [position("BNBUSDT", "-1")]
    assert [p.quantity for p in exchange.positions()] == [Decimal(-1)]
    rest.held = [position("BNBUSDT", "-2")]
    second.user(payloads.account_update(9000, positions=(("BNBUSDT", "-2", "600"),)))
    assert [p.quantity for p in exchange.positions()] == [Decimal(-2)]  # the fill: REST again
    assert exchange.streams.restarts == 1


def test_an_error_flood_restarts_the_sockets_once(
    exchange: StreamedExchange, managers: Managers
) -> None:
    first = managers.made[0]
    for _ in range(10_000):
        first.mark(payloads.error("ReadLoopClosed"))
    managers.wait_for(2)
    assert exchange.streams.restarts == 1
    assert len(managers.made) == 2


def test_marks_only_streams_serve_a_paper_exchange(rest: RestExchange, clock: Clock) -> None:
    managers = Managers()
    streams = StreamClient(
        symbols={"BNBUSDT": Venue.USDM}, marks=MarkBook(), account=None, clock=clock,
        manager_factory=managers,
    )  # fmt: skip
    streamed = StreamedExchange(rest, streams, mark_max_age_secs=3, clock=clock)
    streamed.start()
    try:
        with managers.changed:
            assert managers.changed.wait_for(lambda: bool(managers.made), 10)
        manager = managers.made[0]
        streamed.positions()
        assert rest.position_reads == 1  # no user stream: REST as before
        manager.mark(payloads.mark("BNBUSDT", "612.5", 1000))
        assert streamed.mark_price("BNBUSDT") == Decimal("612.5")
    finally:
        streamed.stop()
