"""MARGIN_CALL on the user data stream: once when a cross pool's margin ratio (maintenance /
margin balance) reaches ``margin_call_ratio`` (0.8), again only after it fell back under it;
USD-M and COIN-M, through python-binance's ThreadedWebsocketManager."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from binance import ThreadedWebsocketManager
from binance.client import Client

from bot.emulator.testing import EmulatorHandle
from tests.emulator.stream_helpers import Inbox, wait_for_open

TwmFactory = Callable[..., ThreadedWebsocketManager]


@dataclass(frozen=True, kw_only=True)
class Case:
    venue: str  # "usdm" | "coinm"
    symbol: str
    side: str
    qty: str
    settle_asset: str
    safe_mark: str  # ratio well under 0.8
    call_mark: str  # ratio in [0.8, 1): called, not liquidated
    deeper_mark: str  # still in [0.8, 1)
    call_ratio: Decimal  # the ratio at call_mark (maintenance / margin balance)


# USD-M: short 1 BTC at 60000 on 10000 USDT (9970 after the taker fee); maintenance at mark m is
# 0.005·m − 50 (bracket 2), the margin balance 9970 − (m − 60000).
# COIN-M: long 300 BNBUSD_PERP (10 USD each) at 600 on 10 BNB (9.9975 after the fee);
# maintenance 0.01·3000/m BNB, the margin balance 14.9975 − 3000/m.
CASES = [
    Case(
        venue="usdm",
        symbol="BTCUSDT",
        side="SELL",
        qty="1",
        settle_asset="USDT",
        safe_mark="69000",
        call_mark="69620",
        deeper_mark="69640",
        call_ratio=(Decimal("0.005") * 69620 - 50) / (Decimal("9970") - (69620 - 60000)),
    ),
    Case(
        venue="coinm",
        symbol="BNBUSD_PERP",
        side="BUY",
        qty="300",
        settle_asset="BNB",
        safe_mark="250",
        call_mark="202.4",
        deeper_mark="202.3",
        call_ratio=(Decimal(30) / Decimal("202.4"))
        / (Decimal("14.9975") - Decimal(3000) / Decimal("202.4")),
    ),
]


def _open(case: Case, client: Client, twm_factory: TwmFactory, emulator: EmulatorHandle) -> Inbox:
    inbox = Inbox()
    twm = twm_factory()
    if case.venue == "usdm":
        twm.start_futures_user_socket(callback=inbox)
        wait_for_open(emulator, "user", 1)
        client.futures_create_order(
            symbol=case.symbol, side=case.side, type="MARKET", quantity=case.qty
        )
    else:
        twm.start_coin_futures_user_socket(callback=inbox)
        wait_for_open(emulator, "user", 1)
        client.futures_coin_create_order(
            symbol=case.symbol, side=case.side, type="MARKET", quantity=case.qty
        )
    return inbox


def _sentinel(case: Case, emulator: EmulatorHandle, inbox: Inbox, amount: str) -> None:
    """A deposit's ACCOUNT_UPDATE: every event of the operations before it has arrived."""
    emulator.control.fund(case.settle_asset, amount, venue=case.venue)
    inbox.wait_for(
        lambda m: (
            isinstance(m, dict)
            and m.get("a", {}).get("m") == "DEPOSIT"
            and Decimal(m["a"]["B"][0]["bc"]) == Decimal(amount)
        )
    )


@pytest.mark.parametrize("case", CASES, ids=[c.venue for c in CASES])
def test_margin_call_once_per_crossing(
    case: Case, emulator: EmulatorHandle, client: Client, twm_factory: TwmFactory
) -> None:
    inbox = _open(case, client, twm_factory, emulator)
    emulator.control.set_mark(case.symbol, case.safe_mark)
    emulator.control.set_mark(case.symbol, case.call_mark)
    call = inbox.wait_for(lambda m: isinstance(m, dict) and m.get("e") == "MARGIN_CALL")
    assert set(call) == {"e", "E", "cw", "p"}
    assert isinstance(call["E"], int)
    [entry] = call["p"]
    assert set(entry) == {"s", "ps", "pa", "mt", "iw", "mp", "up", "mm"}
    signed_qty = Decimal(case.qty) if case.side == "BUY" else -Decimal(case.qty)
    assert (entry["s"], entry["ps"], Decimal(entry["pa"])) == (case.symbol, "BOTH", signed_qty)
    assert (entry["mt"], Decimal(entry["iw"]), Decimal(entry["mp"])) == (
        "CROSSED",
        0,
        Decimal(case.call_mark),
    )
    balance = Decimal(call["cw"]) + Decimal(entry["up"])
    ratio = Decimal(entry["mm"]) / balance
    assert Decimal("0.8") <= ratio < 1
    assert abs(ratio - case.call_ratio) < Decimal("0.0001")

    emulator.control.set_mark(case.symbol, case.deeper_mark)  # still above: no second call
    _sentinel(case, emulator, inbox, "0.001")
    assert len(inbox.events("MARGIN_CALL")) == 1

    emulator.control.set_mark(case.symbol, case.safe_mark)  # back under: re-armed
    emulator.control.set_mark(case.symbol, case.call_mark)
    _sentinel(case, emulator, inbox, "0.002")
    calls = inbox.events("MARGIN_CALL")
    assert len(calls) == 2
    assert calls[1]["p"][0]["mp"] == entry["mp"]
    types = [e["o"]["o"] for e in inbox.events("ORDER_TRADE_UPDATE")]
    assert types == ["MARKET", "MARKET"], types  # NEW and TRADE: never liquidated


def test_isolated_position_call_has_no_cross_wallet(
    emulator: EmulatorHandle, client: Client, twm_factory: TwmFactory
) -> None:
    inbox = Inbox()
    twm_factory().start_futures_user_socket(callback=inbox)
    wait_for_open(emulator, "user", 1)
    client.futures_change_margin_type(symbol="BTCUSDT", marginType="ISOLATED")
    client.futures_change_leverage(symbol="BTCUSDT", leverage=50)
    client.futures_create_order(symbol="BTCUSDT", side="SELL", type="MARKET", quantity="0.01")
    # isolated wallet 600/50 = 12 USDT; at 60900 maintenance 0.004·609 = 2.436, balance 3
    emulator.control.set_mark("BTCUSDT", "60900")
    call = inbox.wait_for(lambda m: isinstance(m, dict) and m.get("e") == "MARGIN_CALL")
    assert set(call) == {"e", "E", "p"}
    [entry] = call["p"]
    assert (entry["mt"], Decimal(entry["iw"])) == ("ISOLATED", Decimal(12))
    ratio = Decimal(entry["mm"]) / (Decimal(entry["iw"]) + Decimal(entry["up"]))
    assert Decimal("0.8") <= ratio < 1


def test_margin_call_ratio_is_an_option(emulator: EmulatorHandle) -> None:
    with pytest.raises(Exception, match="margin_call_ratio"):
        emulator.control.configure(margin_call_ratio="0")
    emulator.control.configure(margin_call_ratio="0.5")
