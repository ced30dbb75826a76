"""The exchange's ``MARGIN_CALL`` reaches the daemon: a critical alert, and the hedger and the
capital loops woken at once (the capital loop deposits margin when a short nears liquidation;
the hedger reads the account again, from REST: ``StreamedExchange`` invalidated it).

The relay is handed to the streams before the daemon (and its ``wake``) exists: a call that
arrives in between is alerted, and the loops' first ticks come anyway.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol

from bot.alerts import Alert
from bot.alerts import events as alert_events
from bot.exchange.binance.schemas.streams import MarginCall

LOOP_SUFFIXES = (":hedger", ":capital")


class AlertSubmitter(Protocol):
    def submit(self, alert: Alert) -> bool: ...


class MarginCallRelay:
    def __init__(self, alerts: AlertSubmitter, *, account: str) -> None:
        self._alerts = alerts
        self._account = account
        self._wake: Callable[[str], None] | None = None
        self._loops: tuple[str, ...] = ()

    def attach(self, wake: Callable[[str], None], loop_names: Iterable[str]) -> None:
        """Wake these of ``loop_names`` on each call: the hedger and capital loops."""
        self._loops = tuple(n for n in loop_names if n.endswith(LOOP_SUFFIXES))
        self._wake = wake

    def __call__(self, event: MarginCall) -> None:
        """On the stream's socket thread: submit and wake only (both return at once)."""
        positions = tuple((p.symbol, p.mark_price, p.maintenance_margin) for p in event.positions)
        self._alerts.submit(
            alert_events.margin_call(
                account=self._account,
                positions=positions,
                cross_wallet=event.cross_wallet_balance,
            )
        )
        wake = self._wake
        if wake is not None:
            for name in self._loops:
                wake(name)
