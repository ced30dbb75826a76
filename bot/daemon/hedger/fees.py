"""Settles the fees of fills: Binance reports a commission only in the trade list (weight 5
per request), so rather than one request per order on the order path, the daemon asks once per
symbol, every ``fee_settle_interval_secs``, for every fill still without its fee.

A settled fee is journaled as a new outcome row (a copy of the order's latest report with the
fee), so the journal stays append-only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Protocol

import structlog

from bot.core.model import OrderReport
from bot.exchange.base import Exchange

log = structlog.get_logger(__name__)

# Binance's userTrades looks back 7 days; a fill older than that keeps an unknown fee.
TRADES_LOOKBACK = timedelta(days=7)
_CLOCK_MARGIN_MS = 60_000  # the venue's updateTime and the trade time may differ a little


class FeeLog(Protocol):
    def fills_awaiting_fees(
        self, since: datetime, *, position: str | None = None
    ) -> Sequence[OrderReport]: ...

    def record_outcome(self, report: OrderReport, *, now: datetime) -> object: ...


def settle_fees(*, exchange: Exchange, journal: FeeLog, position: str, now: datetime) -> int:
    """Journal the fee of every fill of ``position`` still without one; return how many."""
    oldest = now - TRADES_LOOKBACK
    waiting: dict[str, list[OrderReport]] = defaultdict(list)
    for report in journal.fills_awaiting_fees(oldest, position=position):
        waiting[report.symbol].append(report)
    floor_ms = int(oldest.timestamp() * 1000) + _CLOCK_MARGIN_MS
    settled = 0
    for symbol, reports in sorted(waiting.items()):
        first_ms = min((r.update_time_ms for r in reports if r.update_time_ms), default=floor_ms)
        ids = {r.exchange_order_id for r in reports if r.exchange_order_id is not None}
        fees = exchange.order_fees(symbol, ids, since_ms=max(floor_ms, first_ms - _CLOCK_MARGIN_MS))
        for report in reports:
            found = fees.get(report.exchange_order_id or -1)
            if found is None:
                continue  # its trades are not listed yet: the next round asks again
            journal.record_outcome(
                replace(report, fee=found.fee, fee_asset=found.fee_asset, fee_known=True),
                now=now,
            )
            settled += 1
    if settled:
        log.info("fees settled", orders=settled, position=position)
    return settled
