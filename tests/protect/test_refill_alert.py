"""After the reserve pays for a repay, the operator is told exactly how to refill it."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from bot.alerts import Alert, AlertKind
from bot.core.repay import ReserveBalance
from bot.daemon.guard.publish import GuardPublisher
from bot.metrics import HealthTracker, HedgebotMetrics

NOW = datetime(2026, 11, 23, tzinfo=UTC)


class Capture:
    def __init__(self) -> None:
        self.alerts: list[Alert] = []

    def submit(self, alert: Alert) -> bool:
        self.alerts.append(alert)
        return True


def _publisher(alerts: Capture, target: Decimal | None = None) -> GuardPublisher:
    return GuardPublisher(
        position="main",
        alerts=alerts,
        metrics=HedgebotMetrics(),
        health=HealthTracker(),
        health_key="main:guard",
        reserve_target_usd=target,
    )


def _usdc(balance: str) -> list[ReserveBalance]:
    return [
        ReserveBalance(symbol="USDC", address="0x" + "2" * 40, decimals=6, balance=Decimal(balance))
    ]


def test_a_spent_reserve_raises_an_alert_with_the_exact_refill_amounts() -> None:
    alerts = Capture()
    publisher = _publisher(alerts)
    publisher.reserve_seen(_usdc("25000"), Decimal(0), NOW)  # the level the daemon started with
    assert alerts.alerts == []
    publisher.reserve_seen(_usdc("15795.33"), Decimal("12000"), NOW)  # after a 9,204.67 repay
    (alert,) = alerts.alerts
    assert alert.kind is AlertKind.RESERVE_REFILL_NEEDED
    assert "9204.67 USD under the wanted 25000.00 USD" in alert.text
    assert "realise 9204.67 USD of unrealised profit" in alert.text


def test_profit_short_of_the_gap_says_what_is_uncovered() -> None:
    alerts = Capture()
    _publisher(alerts, target=Decimal(20_000)).reserve_seen(_usdc("5000"), Decimal("4000"), NOW)
    (alert,) = alerts.alerts
    assert "11000.00 USD is not covered by hedge profit" in alert.text
