"""The margin call relay: a critical alert, the hedger and capital loops woken at once, and the
capital loop once more when the hedger posts a view read after the call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from bot.alerts import Alert, AlertKind, Severity
from bot.core.model import MarginType
from bot.daemon.board import MarketBoard, MarketNote
from bot.daemon.margin_call import MarginCallRelay
from bot.exchange.binance.schemas.streams import MarginCall, MarginCallPosition

CALLED_AT = datetime(2026, 12, 4, 21, 0, tzinfo=UTC)
LOOPS = ("acct:guard", "e2e:guard", "acct:hedger", "acct:capital")


class Alerts:
    def __init__(self) -> None:
        self.sent: list[Alert] = []

    def submit(self, alert: Alert) -> bool:
        self.sent.append(alert)
        return True


def _call() -> MarginCall:
    row = MarginCallPosition(
        symbol="BTCUSDT",
        position_side="BOTH",
        amount=Decimal("-0.533"),
        margin_type=MarginType.CROSS,
        isolated_wallet=Decimal(0),
        mark_price=Decimal("89590.58"),
        unrealized_pnl=Decimal("-15771.78"),
        maintenance_margin=Decimal("191.007"),
    )
    return MarginCall(event_time_ms=1, cross_wallet_balance=Decimal("15984.01"), positions=(row,))


def test_a_call_alerts_and_wakes_the_hedger_and_capital_then_capital_after_a_fresh_view() -> None:
    alerts, board, woken = Alerts(), MarketBoard(), []
    relay = MarginCallRelay(alerts, board, account="acct", clock=lambda: CALLED_AT)
    relay(_call())  # before the daemon exists: alerted, nothing to wake
    relay.attach(woken.append, LOOPS)
    relay(_call())
    assert woken == ["acct:hedger", "acct:capital"]
    [first, second] = alerts.sent
    assert first == second
    assert (first.kind, first.severity) == (AlertKind.MARGIN_CALL, Severity.CRITICAL)
    assert first.title == "acct: margin call on BTCUSDT"
    assert dict(first.fields)["BTCUSDT mark / maintenance margin"] == "89590.58 / 191.007"

    board.post(MarketNote(at=CALLED_AT - timedelta(seconds=1)))  # a tick begun before the call
    assert woken == ["acct:hedger", "acct:capital"]
    board.post(MarketNote(at=CALLED_AT))
    assert woken == ["acct:hedger", "acct:capital", "acct:capital"]
    board.post(MarketNote(at=CALLED_AT + timedelta(seconds=1)))  # once only
    assert woken == ["acct:hedger", "acct:capital", "acct:capital"]
