"""The exchange's ``MARGIN_CALL`` reaches the daemon: a critical alert, and the hedger and the
capital loops woken at once (the capital loop deposits margin when a short nears liquidation;
the hedger reads the account again, from REST: ``StreamedExchange`` invalidated it). The capital
loop reads the account from the hedger's board, so it is woken once more when the hedger has
posted what it read after the call.

The relay is handed to the streams before the daemon (and its ``wake``) exists: a call that
arrives in between is alerted, and the loops' first ticks come anyway.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from functools import partial
from typing import Protocol

from bot.alerts import Alert
from bot.alerts import events as alert_events
from bot.daemon.board import MarketBoard
from bot.exchange.binance.schemas.streams import MarginCall

HEDGER, CAPITAL = ":hedger", ":capital"


class AlertSubmitter(Protocol):
    def submit(self, alert: Alert) -> bool: ...


class MarginCallRelay:
    def __init__(
        self,
        alerts: AlertSubmitter,
        board: MarketBoard,
        *,
        account: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._alerts = alerts
        self._clock = clock
        self._board = board
        self._account = account
        self._wake: Callable[[str], None] | None = None
        self._hedgers: tuple[str, ...] = ()
        self._capital: tuple[str, ...] = ()

    def attach(self, wake: Callable[[str], None], loop_names: Iterable[str]) -> None:
        """Wake the hedger and capital loops among ``loop_names`` on each call."""
        names = tuple(loop_names)
        self._hedgers = tuple(n for n in names if n.endswith(HEDGER))
        self._capital = tuple(n for n in names if n.endswith(CAPITAL))
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
        if wake is None:
            return
        if self._capital:
            then = partial(self._wake_all, wake, self._capital)
            self._board.when_posted_since(self._clock(), then)
        self._wake_all(wake, (*self._hedgers, *self._capital))

    @staticmethod
    def _wake_all(wake: Callable[[str], None], names: Iterable[str]) -> None:
        for name in names:
            wake(name)
