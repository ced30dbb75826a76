"""Stream payloads become frozen Decimal values at the edge; odd ones are refused by name."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from bot.core.model import MarginType
from bot.exchange.binance.schemas.common import WireFormatError
from bot.exchange.binance.schemas.streams import (
    AccountUpdate,
    LeverageUpdate,
    ListenKeyExpired,
    MarginCall,
    MarginCallPosition,
    MarkPriceUpdate,
    OrderTradeUpdate,
    StreamError,
    parse_market_message,
    parse_user_message,
)
from tests.exchange.streams import payloads


def test_a_combined_mark_frame_gives_the_symbol_time_and_decimal_price() -> None:
    event = parse_market_message(payloads.mark("BNBUSDT", "612.34000000", 1562305380000))
    assert event == MarkPriceUpdate(
        symbol="BNBUSDT", event_time_ms=1562305380000, mark_price=Decimal("612.34")
    )


def test_the_coinm_mark_frame_with_empty_funding_rate_parses() -> None:
    raw = {"e": "markPriceUpdate", "E": 1596095725000, "s": "BTCUSD_201225",
           "p": "10934.62615417", "P": "10962.17178236", "i": "10933.62615417",
           "r": "", "T": 0}  # fmt: skip
    event = parse_market_message(raw)
    assert isinstance(event, MarkPriceUpdate)
    assert event.mark_price == Decimal("10934.62615417")


@pytest.mark.parametrize("event_ms", [1736996475556, "1736996475556"])
def test_event_time_is_accepted_as_int_or_string(event_ms: int | str) -> None:
    assert parse_user_message(payloads.expired(event_ms)) == ListenKeyExpired(
        event_time_ms=1736996475556
    )
    mark = parse_market_message(payloads.mark("BNBUSDT", "1", event_ms))
    assert isinstance(mark, MarkPriceUpdate)
    assert mark.event_time_ms == 1736996475556


def test_account_update_lists_the_changed_positions_and_wallets() -> None:
    raw = payloads.account_update(
        1564745798939, positions=(("BNBUSDT", "-2.5", "600.5"),), balances=(("USDT", "1000.1"),)
    )
    event = parse_user_message(raw)
    assert isinstance(event, AccountUpdate)
    assert event.event_time_ms == 1564745798939
    assert event.reason == "ORDER"
    (position,) = event.positions
    assert position.amount == Decimal("-2.5")
    assert position.entry_price == Decimal("600.5")
    assert position.margin_type is MarginType.CROSS
    assert event.balances[0].wallet_balance == Decimal("1000.1")


def test_order_trade_update_carries_the_order_and_fill() -> None:
    raw = payloads.order_update(
        1568879465651, order_id=8886774, cid="hb-1", status="FILLED", filled="1", trade_id=7
    )
    event = parse_user_message(raw)
    assert isinstance(event, OrderTradeUpdate)
    assert (event.order_id, event.client_order_id, event.status) == (8886774, "hb-1", "FILLED")
    assert event.cumulative_filled_qty == Decimal(1)
    assert event.trade_id == 7


def test_leverage_change_and_python_binance_errors_are_recognised() -> None:
    raw = {"e": "ACCOUNT_CONFIG_UPDATE", "E": 1611646737479, "T": 1611646737476,
           "ac": {"s": "BNBUSDT", "l": 25}}  # fmt: skip
    assert parse_user_message(raw) == LeverageUpdate(
        event_time_ms=1611646737479, symbol="BNBUSDT", leverage=25
    )
    assert parse_user_message(payloads.error("ReadLoopClosed")) == StreamError(
        kind="ReadLoopClosed", message="made up"
    )
    assert parse_market_message(payloads.error("ReadLoopClosed")) == StreamError(
        kind="ReadLoopClosed", message="made up"
    )


def test_events_hedgebot_does_not_use_parse_to_none() -> None:
    assert parse_user_message({"e": "TRADE_LITE", "E": 1}) is None
    assert parse_user_message({"e": "ACCOUNT_CONFIG_UPDATE", "E": 1, "ai": {"j": True}}) is None
    assert parse_market_message({"result": None, "id": 1}) is None


def test_margin_call_as_documented() -> None:
    """The reference's example (DOCS-2025 Event-Margin-Call); an isolated call has no cw."""
    raw: dict[str, Any] = {
        "e": "MARGIN_CALL",
        "E": 1587727187525,
        "cw": "3.16812045",
        "p": [
            {
                "s": "ETHUSDT",
                "ps": "LONG",
                "pa": "1.327",
                "mt": "CROSSED",
                "iw": "0",
                "mp": "187.17127",
                "up": "-1.166074",
                "mm": "1.614445",
            }
        ],
    }
    row = MarginCallPosition(
        symbol="ETHUSDT",
        position_side="LONG",
        amount=Decimal("1.327"),
        margin_type=MarginType.CROSS,
        isolated_wallet=Decimal(0),
        mark_price=Decimal("187.17127"),
        unrealized_pnl=Decimal("-1.166074"),
        maintenance_margin=Decimal("1.614445"),
    )
    assert parse_user_message(raw) == MarginCall(
        event_time_ms=1587727187525, cross_wallet_balance=Decimal("3.16812045"), positions=(row,)
    )
    isolated_row = {**raw["p"][0], "mt": "ISOLATED", "iw": "5"}
    isolated = {"e": "MARGIN_CALL", "E": 1587727187525, "p": [isolated_row]}
    event = parse_user_message(isolated)
    assert isinstance(event, MarginCall)
    assert event.cross_wallet_balance is None
    assert event.positions[0].margin_type is MarginType.ISOLATED
    with pytest.raises(WireFormatError, match="'mm'"):
        parse_user_message({**raw, "p": [{"s": "ETHUSDT", "pa": "1", "mp": "1"}]})


def test_a_mark_without_a_price_is_refused_naming_the_field() -> None:
    raw = payloads.mark("BNBUSDT", "1", 1)
    del raw["data"]["p"]
    with pytest.raises(WireFormatError, match="'p'"):
        parse_market_message(raw)
    with pytest.raises(WireFormatError, match="'E'"):
        parse_user_message({"e": "listenKeyExpired", "E": "soon"})
