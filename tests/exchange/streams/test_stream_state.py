"""The mark book and the user-stream account state: dedupe, order, staleness, seeding."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from bot.core.futures import estimated_liquidation_price
from bot.core.model import MarginBalance, MarginType, Venue
from bot.exchange.binance.schemas.streams import (
    AccountUpdate,
    MarkPriceUpdate,
    OrderTradeUpdate,
    parse_user_message,
)
from bot.exchange.binance.streams import AccountStreamState, MarkBook
from tests.exchange.specs import SPECS
from tests.exchange.streams import payloads
from tests.exchange.streams.fakes import position, usdt


def _mark(price: str, event_ms: int, symbol: str = "BNBUSDT") -> MarkPriceUpdate:
    return MarkPriceUpdate(symbol=symbol, event_time_ms=event_ms, mark_price=Decimal(price))


def _account(raw: dict[str, object]) -> AccountUpdate:
    event = parse_user_message(raw)
    assert isinstance(event, AccountUpdate)
    return event


def test_a_duplicate_or_older_mark_is_dropped_and_does_not_refresh_the_age() -> None:
    book = MarkBook()
    assert book.apply(_mark("600", 2000), received_at=10.0, max_lag_ms=3000)
    assert not book.apply(_mark("600", 2000), received_at=12.0, max_lag_ms=3000)
    assert not book.apply(_mark("590", 1000), received_at=12.0, max_lag_ms=3000)
    assert book.fresh("BNBUSDT", now=12.5, max_age_secs=3) == Decimal(600)
    assert book.fresh("BNBUSDT", now=13.0, max_age_secs=3) is None
    assert book.dropped == 2


def test_a_replayed_backlog_far_behind_the_newest_event_is_dropped() -> None:
    book = MarkBook()
    book.apply(_mark("600", 10_000, "BNBUSDT"), received_at=10.0, max_lag_ms=3000)
    assert not book.apply(_mark("5", 5_000, "BNBUSD_PERP"), received_at=10.0, max_lag_ms=3000)
    assert book.fresh("BNBUSD_PERP", now=10.0, max_age_secs=3) is None


@given(
    received_at=st.floats(min_value=0, max_value=1e6, allow_nan=False),
    age=st.floats(min_value=-1e3, max_value=1e3, allow_nan=False),
    max_age=st.floats(min_value=0.001, max_value=100, allow_nan=False),
)
def test_a_mark_older_than_the_limit_is_never_returned(
    received_at: float, age: float, max_age: float
) -> None:
    book = MarkBook()
    book.apply(_mark("600", 1), received_at=received_at, max_lag_ms=3000)
    now = received_at + age
    answer = book.fresh("BNBUSDT", now=now, max_age_secs=max_age)
    if answer is not None:
        assert 0 <= now - received_at < max_age
    if 0 <= now - received_at < max_age:
        assert answer == Decimal(600)


def _seeded(positions: tuple[str, ...] = ()) -> AccountStreamState:
    state = AccountStreamState(SPECS)
    token = state.begin_seed()
    held = [position("BNBUSDT", q) for q in positions]
    assert state.finish_seed(token, held, [usdt("1000")])
    return state


def test_the_state_answers_nothing_until_seeded_and_again_after_a_gap() -> None:
    state = AccountStreamState(SPECS)
    assert state.view() is None
    state = _seeded()
    assert state.view() is not None
    state.gap()
    assert state.view() is None


def test_a_fill_sends_the_state_to_rest_and_the_same_event_twice_is_a_duplicate() -> None:
    """The margin a fill locks is in no event: the available balance and the liquidation
    price come from REST's next read (a stale balance would let the planner short again)."""
    state = _seeded()
    state.set_leverage("BNBUSDT", 5)
    fill = _account(payloads.account_update(5000, positions=(("BNBUSDT", "-1.5", "600"),)))
    state.apply_account(Venue.USDM, fill)
    state.apply_account(Venue.USDM, fill)
    assert state.view() is None
    assert state.duplicates == 1
    token = state.begin_seed()
    assert state.finish_seed(token, [position("BNBUSDT", "-1.5")], [usdt("1000")])
    view = state.view()
    assert view is not None
    assert [p.quantity for p in view.positions] == [Decimal("-1.5")]


def test_an_older_account_event_is_ignored() -> None:
    state = _seeded(("-1",))
    newer = payloads.account_update(5000, balances=(("USDT", "990"),), reason="FUNDING_FEE")
    older = payloads.account_update(4000, balances=(("USDT", "995"),), reason="FUNDING_FEE")
    state.apply_account(Venue.USDM, _account(newer))
    state.apply_account(Venue.USDM, _account(older))
    view = state.view()
    assert view is not None
    assert view.balances[0].wallet_balance == Decimal(990)
    assert state.out_of_order == 1


def test_a_closed_position_goes_to_rest_and_a_wallet_change_shows() -> None:
    state = _seeded(("-1",))
    state.apply_account(Venue.USDM, _account(payloads.account_update(
        5000, positions=(("BNBUSDT", "0", "0"),), balances=(("USDT", "990.5"),)
    )))  # fmt: skip
    assert state.view() is None
    state = _seeded()
    state.apply_account(
        Venue.USDM, _account(payloads.account_update(5000, balances=(("USDT", "990.5"),)))
    )
    view = state.view()
    assert view is not None
    assert view.balances[0].wallet_balance == Decimal("990.5")
    assert view.balances[0].usd_value == Decimal("990.5")


def test_an_event_during_the_seed_read_is_applied_on_top_of_it() -> None:
    state = AccountStreamState(SPECS)
    token = state.begin_seed()
    moved = payloads.account_update(5000, balances=(("USDT", "900"),), reason="WITHDRAW")
    state.apply_account(Venue.USDM, _account(moved))
    assert state.finish_seed(token, [], [usdt("1000")])  # REST answered before the transfer
    view = state.view()
    assert view is not None
    assert view.balances[0].wallet_balance == Decimal(900)


def test_a_seed_overtaken_by_a_gap_is_not_installed() -> None:
    state = AccountStreamState(SPECS)
    token = state.begin_seed()
    state.gap()
    assert not state.finish_seed(token, [], [usdt("1000")])
    assert state.view() is None


def test_a_position_with_unknown_leverage_sends_the_state_back_to_rest() -> None:
    state = _seeded()
    fill = payloads.account_update(5000, positions=(("BNBUSDT", "-1", "600"),))
    state.apply_account(Venue.USDM, _account(fill))
    assert state.view() is None


def test_order_updates_are_counted_once() -> None:
    state = _seeded()
    raw = payloads.order_update(
        5000, order_id=1, cid="hb-1", status="FILLED", filled="1", trade_id=9
    )
    event = parse_user_message(raw)
    assert isinstance(event, OrderTradeUpdate)
    assert state.apply_order(event)
    assert not state.apply_order(event)
    older = payloads.order_update(4000, order_id=1, cid="hb-1", status="NEW", filled="0")
    older_event = parse_user_message(older)
    assert isinstance(older_event, OrderTradeUpdate)
    assert not state.apply_order(older_event)
    assert state.order_status == {"hb-1": "FILLED"}


def test_a_transfer_out_of_the_cross_wallet_brings_the_shorts_liquidation_nearer() -> None:
    """No event carries a liquidation price and Binance pushes no position row for a
    transfer: the short's liquidation price must follow the wallet, or the daemon sees its
    short far from a liquidation it is near (and adds no margin before it happens)."""
    state = AccountStreamState(SPECS)
    token = state.begin_seed()
    short = position("BNBUSDT", "-10", liquidation="900")  # REST: wallet 3,000 behind it
    assert state.finish_seed(token, [short], [usdt("3000")])
    withdrawn = payloads.account_update(5000, balances=(("USDT", "1500"),), reason="WITHDRAW")
    state.apply_account(Venue.USDM, _account(withdrawn))
    view = state.view()
    assert view is not None
    (held,) = view.positions
    expected = estimated_liquidation_price(
        SPECS["BNBUSDT"], Decimal(-10), Decimal(600), 5, MarginType.CROSS,
        wallet_margin=Decimal(1500),
    )  # fmt: skip
    assert held.liquidation_price == expected
    assert expected is not None
    assert expected < Decimal(760)


def test_a_fill_beside_another_margin_wallet_is_left_to_rest() -> None:
    """Multi-Assets Mode: BNB in the wallet backs the USDT contract too, at a haircut no
    event carries, so the liquidation price is not estimated from USDT alone."""
    state = AccountStreamState(SPECS)
    state.set_leverage("BNBUSDT", 5)
    token = state.begin_seed()
    bnb = MarginBalance(
        asset="BNB", wallet_balance=Decimal(50), available_balance=Decimal(50),
        usd_value=Decimal(30_000), venue=Venue.USDM,
    )  # fmt: skip
    assert state.finish_seed(token, [], [usdt("1000"), bnb])
    fill = payloads.account_update(5000, positions=(("BNBUSDT", "-1", "600"),))
    state.apply_account(Venue.USDM, _account(fill))
    assert state.view() is None
