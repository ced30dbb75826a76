"""After the reserve pays for a repay, the operator is told exactly how to refill it."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

from bot.alerts import Alert, AlertKind
from bot.protect.params import ProtectParams
from bot.protect.policy import ReserveBalance
from bot.protect.wiring import ReserveProtector

NOW = datetime(2026, 11, 23, tzinfo=UTC)


class Capture:
    def __init__(self) -> None:
        self.alerts: list[Alert] = []

    def submit(self, alert: Alert) -> bool:
        self.alerts.append(alert)
        return True


def _protector(alerts: Capture, target: Decimal | None = None) -> ReserveProtector:
    return ReserveProtector(
        position="main",
        params=ProtectParams(),
        reader=cast(Any, None),
        executor=cast(Any, None),
        reserve_wallet="0x" + "1" * 40,
        alerts=alerts,
        dry_run=False,
        reserve_target_usd=target,
        journal=cast(Any, None),
    )


def _usdc(balance: str) -> list[ReserveBalance]:
    return [
        ReserveBalance(symbol="USDC", address="0x" + "2" * 40, decimals=6, balance=Decimal(balance))
    ]


def test_a_spent_reserve_raises_an_alert_with_the_exact_refill_amounts() -> None:
    alerts = Capture()
    protector = _protector(alerts)
    protector._refill(_usdc("25000"), Decimal(0), NOW)  # the level the daemon started with
    assert alerts.alerts == []
    protector._refill(_usdc("15795.33"), Decimal("12000"), NOW)  # after a 9,204.67 repay
    (alert,) = alerts.alerts
    assert alert.kind is AlertKind.RESERVE_REFILL_NEEDED
    assert "9204.67 USD under the wanted 25000.00 USD" in alert.text
    assert "realise 9204.67 USD of unrealised profit" in alert.text


def test_profit_short_of_the_gap_says_what_is_uncovered() -> None:
    alerts = Capture()
    _protector(alerts, target=Decimal(20_000))._refill(_usdc("5000"), Decimal("4000"), NOW)
    (alert,) = alerts.alerts
    assert "11000.00 USD is not covered by hedge profit" in alert.text
