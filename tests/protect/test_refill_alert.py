"""After the reserve pays for a repay, the operator is told what is missing and why nothing
refills it (without a capital loop), or the capital loop refills it and the guard is quiet."""

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


def test_a_spent_reserve_raises_an_alert_with_the_exact_amounts() -> None:
    alerts = Capture()
    publisher = _publisher(alerts)
    publisher.reserve_seen(_usdc("25000"), Decimal(0), NOW)  # the level the daemon started with
    assert alerts.alerts == []
    publisher.reserve_seen(_usdc("15795.33"), Decimal("12000"), NOW)  # after a 9,204.67 repay
    (alert,) = alerts.alerts
    assert alert.kind is AlertKind.RESERVE_REFILL_NEEDED
    assert "9,204.67 USD under the wanted 25,000.00 USD" in alert.text
    assert "12,000.00 USD of unrealised profit" in alert.text
    assert "without a capital: section" in alert.text


def test_with_a_capital_loop_the_guard_leaves_the_refill_to_it() -> None:
    alerts = Capture()
    publisher = GuardPublisher(
        position="main", alerts=alerts, metrics=HedgebotMetrics(), health=HealthTracker(),
        health_key="main:guard", reserve_target_usd=Decimal(20_000), capital_loop=True,
    )  # fmt: skip
    publisher.reserve_seen(_usdc("5000"), Decimal("4000"), NOW)
    assert alerts.alerts == []
